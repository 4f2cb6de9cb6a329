"""Spotter's phone page: a Flask application factory over the store and the live session."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, Response

from device.control import PinAllowance, SessionControl
from routines.store import Store
from web_config import auth, errors, guard, logins
from web_config.context import DeviceLink, attach
from web_config.csrf import csrf_token

# Routine files may be up to 256 KiB (routines.yaml_io); nothing else sent here is bigger.
MAX_BODY_BYTES = 256 * 1024

# Everything is served by Spotter itself, so the browser may load nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    store: Store,
    control: SessionControl,
    pins: PinAllowance | None = None,
) -> Flask:
    """Build the web app for one device; ``config`` overrides defaults (tests use it).

    ``pins``: the allowance of wrong PINs the daemon keeps (never one of the page's own,
    which a page started again would start afresh); without it no PIN is judged.

    ``CLOCK`` in ``config`` replaces ``time.time`` (wall clock: weeks and PIN slow-down);
    ``ALLOWED_HOSTS`` lists extra host names that writes may come through (see ``csrf``).
    """
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=store.secret("flask"),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="spotter_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # The browser may keep the cookie this long; the login in it ends sooner when
        # unused (web_config.logins).
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=logins.MAX_AGE),
        # Without re-signing the cookie on every status poll.
        SESSION_REFRESH_EACH_REQUEST=False,
        CLOCK=time.time,
        ALLOWED_HOSTS=(),
    )
    if config is not None:
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    clock = app.config["CLOCK"]
    attach(app, DeviceLink(store=store, control=control, clock=clock))
    auth.init_app(app, clock, _secret_bytes(app.config["SECRET_KEY"]), pins)
    errors.init_app(app)
    guard.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["spotter_version"] = _installed_version()
    # Template indentation is for people; phones on a slow Wi-Fi need not download it.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.after_request(_security_headers)

    from web_config import (
        api,
        api_checkin,
        api_doses,
        api_history,
        api_profiles,
        api_routines,
        backup,
        dose_pages,
        history,
        now,
        people_pages,
        routine_pages,
        settings_pages,
    )

    for module in (
        now,
        routine_pages,
        settings_pages,
        history,
        people_pages,
        auth,
        api,
        api_routines,
        api_profiles,
        api_history,
        backup,
        api_checkin,
        api_doses,
        dose_pages,
    ):
        app.register_blueprint(module.bp)
    return app


def _secret_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _installed_version() -> str:
    """The installed Spotter's version (pyproject.toml's, as the package metadata holds it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spotter-coach")
    except PackageNotFoundError:
        return "unknown"
