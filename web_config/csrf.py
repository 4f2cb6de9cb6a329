"""Cross-site care: a per-browser token in every form, and Origin checks on every write.

A page on another site can make a phone's browser send a form to Spotter; it cannot read
the token in Spotter's own pages, and it cannot send JSON without a CORS preflight
that Spotter never grants.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
_SESSION_KEY = "csrf"


def csrf_token() -> str:
    """This browser's form token (made on first use and kept in its session cookie)."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
        # A phone that restores a tab after a restart should still be able to send it.
        session.permanent = True
    return token


def form_token_ok() -> bool:
    """Whether the posted form carries this browser's token."""
    kept = session.get(_SESSION_KEY)
    sent = request.form.get(FIELD, "")
    return isinstance(kept, str) and hmac.compare_digest(sent.encode(), kept.encode())


def same_origin() -> bool:
    """Whether the request may come from Spotter's own pages: an ``Origin`` header, when
    sent, must name this server, and the browser must not call the request cross-site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")
