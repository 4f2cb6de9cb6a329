"""Who may change things: with a PIN set, a login session or the PIN as a bearer token.

A login is a random id kept on the device (``logins``), so logging out ends it for every
copy of the cookie. A browser that has logged in also keeps a mark tied to the PIN: it
lets that browser try PINs on its own allowance, whatever strangers are guessing.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import ParamSpec
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from device.control import MustWait, PinAllowance
from web_config.access_pin import PinChecker
from web_config.context import store
from web_config.errors import ApiError
from web_config.logins import LoginBook

_SESSION_KEY = "pin_mark"
_LOGIN_KEY = "login"
_BROWSER_KEY = "browser"
_KNOWN_KEY = "known"

bp = Blueprint("auth", __name__)

P = ParamSpec("P")


def pin_checker() -> PinChecker:
    """The app's ``PinChecker``."""
    found: PinChecker = current_app.extensions["spotter.pins"]
    return found


def login_book() -> LoginBook:
    """The app's live logins."""
    found: LoginBook = current_app.extensions["spotter.logins"]
    return found


def current_pin_hash() -> str:
    """The stored PIN hash; empty when no PIN is set."""
    return store().settings().pin_hash


def _secret() -> bytes:
    key = current_app.secret_key
    return key.encode() if isinstance(key, str) else bytes(key or b"")


def _mark(*parts: str) -> str:
    return hmac.new(_secret(), "\n".join(parts).encode(), "sha256").hexdigest()[:32]


def _known_browser(pin_hash: str) -> str | None:
    """This browser's id when it has logged in with this PIN before, else None."""
    browser = session.get(_BROWSER_KEY)
    mark = session.get(_KNOWN_KEY)
    if not isinstance(browser, str) or not isinstance(mark, str):
        return None
    if not hmac.compare_digest(mark, _mark("known", pin_hash, browser)):
        return None
    return browser


def wait_message(seconds: int) -> str:
    """What a person is told while no PIN may be tried."""
    unit = "second" if seconds == 1 else "seconds"
    return f"Too many wrong PINs have been tried on this device. Try again in {seconds} {unit}."


# While the daemon that keeps the allowance of wrong PINs cannot be asked, none is judged.
UNCOUNTED = "Spotter cannot check a PIN just now. Try again in a few seconds."
UNCOUNTED_RETRY = 5


def check_pin(pin: str, pin_hash: str) -> bool:
    """Judge ``pin``; while no PIN may be tried, a 429 that says for how long, and a 503
    while the allowance of wrong PINs cannot be asked."""
    try:
        return pin_checker().check(pin, pin_hash, _known_browser(pin_hash))
    except MustWait as wait:
        current_app.extensions["spotter.refusals"].refused("PIN tried while waiting")
        raise ApiError(
            429, wait_message(wait.seconds), headers={"Retry-After": str(wait.seconds)}
        ) from None
    except ConnectionError as err:
        current_app.logger.warning("no PIN judged: %s", err)
        raise ApiError(503, UNCOUNTED, headers={"Retry-After": str(UNCOUNTED_RETRY)}) from None


def is_authorised() -> bool:
    """Whether this request may change things: no PIN set, a live login or a right
    ``Authorization: Bearer`` PIN."""
    pin_hash = current_pin_hash()
    if not pin_hash:
        return True
    if session.get(_SESSION_KEY) == _mark("login", pin_hash) and login_book().is_live(
        session.get(_LOGIN_KEY)
    ):
        return True
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return check_pin(auth.token, pin_hash)
    return False


def start_login_session(pin_hash: str) -> None:
    """Mark this browser as logged in for the PIN behind ``pin_hash``."""
    login_book().end(session.get(_LOGIN_KEY))
    browser = session.get(_BROWSER_KEY)
    if not isinstance(browser, str):
        browser = secrets.token_urlsafe(16)
    session[_BROWSER_KEY] = browser
    session[_KNOWN_KEY] = _mark("known", pin_hash, browser)
    session[_SESSION_KEY] = _mark("login", pin_hash)
    session[_LOGIN_KEY] = login_book().start()
    session.permanent = True


def safe_next(target: str | None) -> str:
    """A path on this device to go to after logging in; anything else goes to the Now page.

    Browsers drop tabs and line breaks from addresses and read ``\\`` as ``/``, so
    ``/<tab>/evil.example`` would leave the site: a target with any of them is refused."""
    if (
        target
        and target.startswith("/")
        and target.isprintable()
        and " " not in target
        and "\\" not in target
        and len(target) <= 2000
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not target.startswith("//"):
            return target
    return url_for("now.page")


def login_required(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """For pages that only hold a form: send the visitor to log in first when a PIN is set."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if not is_authorised():
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=here))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Ask for the PIN; a right one keeps this browser logged in."""
    pin_hash = current_pin_hash()
    target = safe_next(request.values.get("next"))
    if not pin_hash:
        flash("No PIN is set, so there is nothing to log in to.", "info")
        return redirect(target)
    if request.method == "GET":
        return render_template("login.html", next=target)
    try:
        right = check_pin(request.form.get("pin", ""), pin_hash)
    except ApiError as refused:
        page = render_template("login.html", next=target, error=refused.message)
        return page, refused.status, refused.headers
    if right:
        start_login_session(pin_hash)
        flash("Logged in.", "ok")
        return redirect(target)
    return render_template("login.html", next=target, error="That PIN is not right."), 401


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """End this browser's login, on the device too, so no copy of its cookie still works."""
    login_book().end(session.pop(_LOGIN_KEY, None))
    session.pop(_SESSION_KEY, None)
    flash("Logged out.", "ok")
    return redirect(url_for("now.page"))


def init_app(
    app: Flask, clock: Callable[[], float], secret: bytes, pins: PinAllowance | None = None
) -> None:
    """Give ``app`` its PIN checker and its book of logins. ``pins``: the daemon's
    allowance of wrong PINs; without it no PIN is judged."""
    app.extensions["spotter.pins"] = PinChecker(pins, secret)
    app.extensions["spotter.logins"] = LoginBook(clock)
