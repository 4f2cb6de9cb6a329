"""Who may change things: with a PIN set, a login session or the PIN as a bearer token."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import ParamSpec

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

from web_config.access_pin import PinGuard
from web_config.context import store

_SESSION_KEY = "pin_mark"

bp = Blueprint("auth", __name__)

P = ParamSpec("P")


def pin_guard() -> PinGuard:
    """The app's ``PinGuard``."""
    found: PinGuard = current_app.extensions["spotter.pins"]
    return found


def current_pin_hash() -> str:
    """The stored PIN hash; empty when no PIN is set."""
    return store().settings().pin_hash


def _secret() -> bytes:
    key = current_app.secret_key
    return key.encode() if isinstance(key, str) else bytes(key or b"")


def _session_mark(pin_hash: str) -> str:
    # Tied to the hash, so that changing or removing the PIN logs every phone out.
    return hmac.new(_secret(), pin_hash.encode(), "sha256").hexdigest()[:32]


def client_id() -> str:
    """Who is asking, for counting wrong PINs."""
    return request.remote_addr or "unknown"


def is_authorised() -> bool:
    """Whether this request may change things: no PIN set, a login session or a right
    ``Authorization: Bearer`` PIN."""
    pin_hash = current_pin_hash()
    if not pin_hash:
        return True
    if session.get(_SESSION_KEY) == _session_mark(pin_hash):
        return True
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return pin_guard().check(client_id(), auth.token, pin_hash)
    return False


def start_login_session(pin_hash: str) -> None:
    """Mark this browser as logged in for the PIN behind ``pin_hash``."""
    session[_SESSION_KEY] = _session_mark(pin_hash)
    session.permanent = True


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything else goes to the Now page."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
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
    pin = request.form.get("pin", "")
    if pin_guard().check(client_id(), pin, pin_hash):
        start_login_session(pin_hash)
        flash("Logged in.", "ok")
        return redirect(target)
    left = pin_guard().tries_left(client_id())
    message = f"That PIN is not right ({left} {'try' if left == 1 else 'tries'} left this minute)."
    return render_template("login.html", next=target, error=message), 401


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Forget this browser's login."""
    session.pop(_SESSION_KEY, None)
    flash("Logged out.", "ok")
    return redirect(url_for("now.page"))


def init_app(app: Flask, clock: Callable[[], float], secret: bytes) -> None:
    """Give ``app`` its PIN guard."""
    app.extensions["spotter.pins"] = PinGuard(clock, secret)
