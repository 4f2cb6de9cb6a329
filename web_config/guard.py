"""Every request passes here before its view runs: each must name Spotter by a LAN
address, and each that changes something must also come from its own pages, as its owner.
With a PIN set, reading health data (history, backups) needs it too, and presses from
the page are limited per address."""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue as Answer
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, RequestEntityTooLarge, Unauthorized

from web_config.auth import is_authorised
from web_config.backup import MEDIA_TYPE, RAW_BODY_ENDPOINTS, UPLOAD_LIMITS
from web_config.csrf import form_token_ok, lan_host, same_origin
from web_config.errors import MESSAGES, ApiError, excerpt
from web_config.press_limit import PressLimit
from web_config.refusals import RefusalLog
from web_config.session_access import SESSION_ENDPOINTS, open_to_members

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Logging in is a write that must work before one is logged in.
OPEN_ENDPOINTS = frozenset({"auth.login"})
RAW_BODY_TYPES = frozenset({"application/octet-stream", MEDIA_TYPE})
# Every member's workouts and pain scores: for the owner only, where a PIN is set.
HEALTH_READS = frozenset(
    {
        "api_history.history",
        "api_history.history_csv",
        "history.page",
        "backup.download",
        "api_doses.doses",
    }
)


def is_api() -> bool:
    """Whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def refusals() -> RefusalLog:
    """The app's log of refused requests (one line a minute per kind)."""
    found: RefusalLog = current_app.extensions["spotter.refusals"]
    return found


def check_host() -> None:
    """Refuse every request, reads too, that names Spotter by a public domain name: a
    page on that domain could otherwise read routines and history (DNS rebinding)."""
    if not lan_host():
        refusals().refused("not addressed by its network address", excerpt(request.host, 60))
        raise ApiError(
            403,
            f"Spotter only answers when it is opened by its network address "
            f"(such as its IP address or its .local name), not as {excerpt(request.host, 60)}.",
        )


def _ask_for_pin(message: str, back: str) -> Answer:
    if is_api() or request.accept_mimetypes.best == "application/json":
        raise Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "Spotter"}))
    flash(message, "info")
    return redirect(url_for("auth.login", next=back))


def check_read() -> Answer | None:
    """With a PIN set, history and backups only for someone logged in."""
    if request.endpoint not in HEALTH_READS or is_authorised():
        return None
    return _ask_for_pin("Enter the PIN to see the history.", request.full_path.rstrip("?"))


def check_press_rate() -> None:
    """A 429 for an address pressing faster than a person can."""
    limit: PressLimit = current_app.extensions["spotter.presses"]
    wait = limit.take(request.remote_addr or "")
    if wait > 0:
        refusals().refused("presses too fast", request.remote_addr or "")
        seconds = max(1, round(wait))
        raise ApiError(
            429,
            "That is more presses than a person makes: wait a moment and press again.",
            headers={"Retry-After": str(seconds)},
        )


def check_write() -> Answer | None:
    """Refuse cross-site writes, wrong body types, missing form tokens and, with a PIN set,
    writes from anyone not logged in."""
    check_host()
    if request.routing_exception is not None:
        return None
    if request.method in READ_METHODS:
        return check_read()
    if request.endpoint in UPLOAD_LIMITS:
        request.max_content_length = UPLOAD_LIMITS[request.endpoint]
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        refusals().refused("body too large", request.remote_addr or "")
        raise RequestEntityTooLarge()
    if not same_origin():
        refusals().refused("cross-site write", request.remote_addr or "")
        raise Forbidden()
    if request.endpoint in RAW_BODY_ENDPOINTS:
        # Not a type a plain cross-site form can send.
        if request.mimetype not in RAW_BODY_TYPES:
            raise ApiError(415, "Send the backup file as application/octet-stream.")
    elif is_api():
        if request.mimetype != "application/json":
            raise ApiError(415, MESSAGES[415])
    elif not form_token_ok():
        raise ApiError(
            400,
            "This form has expired or did not come from Spotter's own page. "
            "Go back, reload the page and try again.",
        )
    if request.endpoint in SESSION_ENDPOINTS:
        check_press_rate()
    if request.endpoint in OPEN_ENDPOINTS or is_authorised() or open_to_members():
        return None
    # Back to the page the form was on, once logged in (the form itself cannot be replayed).
    page = request.referrer or ""
    back = page[len(request.host_url) - 1 :] if page.startswith(request.host_url) else "/"
    return _ask_for_pin("Enter the PIN to make changes.", back)


def init_app(app: Flask) -> None:
    """Run ``check_write`` before every view of ``app``."""
    app.extensions["spotter.refusals"] = RefusalLog()
    app.extensions["spotter.presses"] = PressLimit(app.config["CLOCK"])
    app.before_request(check_write)
