"""Where a phone on the same network finds Spotter's page, found without sending a packet.

Connecting a UDP socket only asks the kernel which route (and so which local
address) it would use; nothing goes on the wire. When there is no route to
try (a network without a gateway), the interfaces' own addresses are read
instead. With no network at all the answer is None, at once.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import socket
import struct
from collections.abc import Callable, Iterable

from device.service.mdns import host_name, local_name

log = logging.getLogger(__name__)

# Private addresses nobody is expected to own: only their route matters. The
# discard port says the same thing to anyone who reads the code.
ROUTE_PROBES = ("10.254.254.254", "172.31.254.254", "192.168.254.254")
_DISCARD_PORT = 9

# Linux ioctls on a socket, from <linux/sockios.h> and <net/if.h>.
_SIOCGIFFLAGS = 0x8913
_SIOCGIFADDR = 0x8915
_IFF_UP = 0x1
_IFF_LOOPBACK = 0x8

_WILDCARD_HOSTS = ("", "0.0.0.0", "::", "*")  # noqa: S104 - names, not a bind


def route_address(probes: Iterable[str] = ROUTE_PROBES) -> str | None:
    """The local IPv4 address the kernel would send from to reach the LAN, or None."""
    for target in probes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((target, _DISCARD_PORT))
            except OSError:
                continue
            address = str(sock.getsockname()[0])
        if _usable(address):
            return address
    return None


def interface_addresses() -> list[str]:
    """The IPv4 address of every interface that is up, loopback left out."""
    found: list[str] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack_from("H", fcntl.ioctl(sock, _SIOCGIFFLAGS, request), 16)[0]
                if not flags & _IFF_UP or flags & _IFF_LOOPBACK:
                    continue
                address = socket.inet_ntoa(fcntl.ioctl(sock, _SIOCGIFADDR, request)[20:24])
            except OSError:
                continue  # no IPv4 address on this interface
            if _usable(address):
                found.append(address)
    return found


def lan_address(
    *,
    route: Callable[[], str | None] = route_address,
    interfaces: Callable[[], list[str]] = interface_addresses,
) -> str | None:
    """Spotter's address on the local network, or None when it is on none."""
    try:
        address = route()
        if address is None:
            # A phone is on the home network: private addresses first, link-local ones last.
            candidates = sorted(interfaces(), key=_preference)
            address = candidates[0] if candidates else None
    except OSError as err:
        log.debug("cannot read the network addresses: %s", err)
        return None
    return address


def page_url(host: str, port: int, *, lan: Callable[[], str | None] = lan_address) -> str | None:
    """The web page's address to speak and log, e.g. ``http://192.168.1.20:8080``.

    ``host`` is the address the server listens on; a wildcard means the LAN address.
    None when no phone could reach it (no network, or only the Pi itself).
    """
    if host in _WILDCARD_HOSTS:
        address = lan()
    else:
        try:
            address = host if not ipaddress.ip_address(host).is_loopback else None
        except ValueError:
            address = host  # a host name: the user chose it, so phones can resolve it
    if address is None:
        return None
    if ":" in address:
        address = f"[{address}]"
    return f"http://{address}" if port == 80 else f"http://{address}:{port}"


def on_every_network(host: str) -> bool:
    """Whether a listening address means every interface (so the ``.local`` name reaches it)."""
    return host in _WILDCARD_HOSTS


def page_urls(
    host: str,
    port: int,
    *,
    lan: Callable[[], str | None] = lan_address,
    hostname: Callable[[], str] = host_name,
) -> list[str]:
    """The page's addresses, the best first: ``http://<hostname>.local:8080`` (names survive
    DHCP and are easier to type), then the IP address in case the phone cannot resolve
    ``.local`` names. Empty when no phone could reach the page."""
    by_address = page_url(host, port, lan=lan)
    if by_address is None:
        return []
    name = local_name(hostname()) if on_every_network(host) else None
    if name is None:
        return [by_address]
    return [page_url(name, port, lan=lan) or by_address, by_address]


def _preference(address: str) -> tuple[bool, bool]:
    ip = ipaddress.ip_address(address)
    return (ip.is_link_local, not ip.is_private)


def _usable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_unspecified)
