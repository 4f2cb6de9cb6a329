"""Spotter found by name on the LAN: its ``.local`` name and its Avahi service file.

Raspberry Pi OS runs Avahi, which answers ``<hostname>.local`` and announces the
services described in ``/etc/avahi/services``. The installer writes Spotter's file
there (Avahi notices new files by itself: nothing is restarted); a gym names each
device by its host name, one per corner.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Final

SERVICE_FILE: Final = Path("/etc/avahi/services/spotter.service")
# Avahi puts the host name in place of %h, so the default follows a renamed device.
DEFAULT_NAME_PATTERN: Final = "Spotter (%h)"
MAX_NAME_LENGTH: Final = 63  # a DNS label: the longest service name mDNS can carry


def host_name() -> str:
    """This machine's host name without any domain, e.g. ``spotter-corner-2``."""
    return socket.gethostname().split(".")[0]


def local_name(hostname: str) -> str | None:
    """``<hostname>.local``, the name Avahi answers for; None when there is no real name."""
    if not hostname or hostname.lower() in ("localhost", "localhost.localdomain"):
        return None
    return f"{hostname.split('.')[0]}.local"


def device_name(configured: str | None, hostname: str) -> str:
    """The name people see: the configured one, else ``Spotter (<hostname>)``."""
    return configured or DEFAULT_NAME_PATTERN.replace("%h", hostname)


def service_file(name: str | None, port: int) -> str:
    """The Avahi service file announcing the web page as ``_http._tcp`` on ``port``."""
    if name is None:
        name_element = f'<name replace-wildcards="yes">{DEFAULT_NAME_PATTERN}</name>'
    else:
        name_element = f"<name>{_escape(name)}</name>"
    return (
        '<?xml version="1.0" standalone="no"?>\n'
        '<!DOCTYPE service-group SYSTEM "avahi-service.dtd">\n'
        "<!-- Written by Spotter's installer from /etc/spotter/spotter.toml; "
        "run it again after changing name or web.port. -->\n"
        "<service-group>\n"
        f"  {name_element}\n"
        "  <service>\n"
        "    <type>_http._tcp</type>\n"
        f"    <port>{port}</port>\n"
        "    <txt-record>path=/</txt-record>\n"
        "  </service>\n"
        "</service-group>\n"
    )


Resolver = Callable[[str], list[str]]


def resolve(name: str) -> list[str]:
    """The IPv4 addresses ``name`` resolves to on this machine (empty when it does not)."""
    try:
        found = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


def _escape(text: str) -> str:
    """XML character data (xml.sax.saxutils.escape, without loading urllib and ssl)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
