"""Who may change things: the optional access PIN, the login session and the slow-down
that makes guessing a PIN take longer than it is worth."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
from werkzeug.exceptions import TooManyRequests

from web_config.context import store

PIN_RULE = "must be 4 to 12 digits"
_PIN = re.compile(r"[0-9]{4,12}")
# scrypt at 16 MiB: slow enough to make a stolen hash costly, quick enough for a Pi Zero.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SESSION_KEY = "pin_mark"

bp = Blueprint("auth", __name__)

P = ParamSpec("P")
R = TypeVar("R")


def pin_problem(pin: object) -> str | None:
    """Why ``pin`` cannot be a PIN, or None when it can."""
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        return PIN_RULE
    return None


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of ``pin`` in the form kept in the settings."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, pin_hash: str) -> bool:
    """Whether ``pin`` matches ``pin_hash``; a damaged hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = pin_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


class PinGuard:
    """Checks PINs, counting wrong ones per client: after ``limit`` in ``window`` seconds
    that client must wait. Remembers PINs already proven right, so a script sending its
    PIN with every request does not pay for scrypt each time."""

    def __init__(
        self, clock: Callable[[], float], secret: bytes, *, limit: int = 5, window: float = 60.0
    ) -> None:
        self._clock = clock
        self._secret = secret
        self._limit = limit
        self._window = window
        self._failures: dict[str, deque[float]] = {}
        self._proven: set[bytes] = set()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            failures = self._failures.get(client)
            if failures is None or len(failures) < self._limit:
                return 0
            return max(1, int(failures[0] + self._window - now + 0.999))

    def tries_left(self, client: str) -> int:
        """Wrong PINs ``client`` may still enter in this window."""
        with self._lock:
            self._forget_old(self._clock())
            return max(0, self._limit - len(self._failures.get(client, ())))

    def check(self, client: str, pin: str, pin_hash: str) -> bool:
        """Whether ``pin`` is right; raises ``TooManyRequests`` while ``client`` must wait."""
        wait = self.retry_after(client)
        if wait:
            raise TooManyRequests(retry_after=wait)
        mark = hmac.digest(self._secret, f"{pin_hash}\n{pin}".encode(), "sha256")
        with self._lock:
            if mark in self._proven:
                return True
        if verify_pin(pin, pin_hash):
            with self._lock:
                if len(self._proven) > 16:
                    self._proven.clear()
                self._proven.add(mark)
            return True
        with self._lock:
            self._failures.setdefault(client, deque()).append(self._clock())
        return False

    def _forget_old(self, now: float) -> None:
        for client in list(self._failures):
            failures = self._failures[client]
            while failures and failures[0] <= now - self._window:
                failures.popleft()
            if not failures:
                del self._failures[client]


def guard() -> PinGuard:
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
        return guard().check(client_id(), auth.token, pin_hash)
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
    if guard().check(client_id(), pin, pin_hash):
        start_login_session(pin_hash)
        flash("Logged in.", "ok")
        return redirect(target)
    left = guard().tries_left(client_id())
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
