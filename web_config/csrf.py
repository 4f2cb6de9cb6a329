"""Cross-site care: a per-browser token in every form, and Origin checks on every write.

A page on another site can make a phone's browser send a form to Spotter; it cannot read
the token in Spotter's own pages, and it cannot send JSON without a CORS preflight
that Spotter never grants. A site that points its own domain name at Spotter's LAN
address (DNS rebinding) passes the Origin check, so writes also need Spotter to be
addressed the way a home network addresses it.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from flask import current_app, request, session

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


# Names a home network gives a device; a public domain name pointing into the LAN is not one.
LAN_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".internal", ".localdomain")


def _host_name(host: str) -> str:
    if host.startswith("["):  # [IPv6]:port
        return host[1 : host.find("]")]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def lan_host() -> bool:
    """Whether the request names Spotter by an IP address, a one-word name, a home-network
    name (``spotter.local``) or a name in the ``ALLOWED_HOSTS`` setting."""
    name = _host_name(request.host).lower().rstrip(".")
    if not name:
        # Werkzeug gives an empty host for one it cannot read ("a b", "1.2.3.4:80:x").
        return False
    allowed = current_app.config.get("ALLOWED_HOSTS") or ()
    if name in allowed or "." not in name or name.endswith(LAN_SUFFIXES):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
