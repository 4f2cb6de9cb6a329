"""Members press, owners configure: with the setting on (the default), the Now page's
session buttons and the button API work without the PIN; every change to routines,
settings or data still needs it."""

from __future__ import annotations

from flask import request

from web_config.context import store

# What drives the workout in progress and nothing else.
SESSION_ENDPOINTS = frozenset({"now.press", "api.button"})


def open_to_members() -> bool:
    """Whether this request is a session button that the setting leaves open to everyone.
    A request that brings a PIN is judged by it: a wrong one is refused, not overlooked."""
    return (
        request.endpoint in SESSION_ENDPOINTS
        and request.authorization is None
        and store().settings().open_session_buttons
    )


def session_buttons_locked(authorised: bool) -> bool:
    """Whether the Now page must ask for the PIN before its buttons work."""
    settings = store().settings()
    return bool(settings.pin_hash) and not authorised and not settings.open_session_buttons
