"""``spotter doctor``'s checks for a device among others: its name on the LAN, its Avahi
announcement and its MQTT broker."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from device.cli.doctor import CheckResult, Level
from device.service.config import Config
from device.service.mdns import SERVICE_FILE, Resolver, host_name, local_name, resolve
from device.service.network import on_every_network

AVAHI_FIX = "sudo apt install avahi-daemon libnss-mdns && sudo systemctl enable --now avahi-daemon"


# The package's postinst writes the file when Avahi is there; reconfiguring runs it again.
WRITE_AGAIN = (
    "write it again: sudo dpkg-reconfigure spotter (from a checkout: sudo systemd/install.sh)"
)


def fleet_checks(
    config: Config,
    *,
    resolver: Resolver = resolve,
    hostname: Callable[[], str] = host_name,
    service_file: Path = SERVICE_FILE,
) -> list[CheckResult]:
    """The name and the announcement (when the page is served to the LAN) and the broker
    (when one is configured)."""
    results: list[CheckResult] = []
    if config.web_enabled and on_every_network(config.web_host):
        results.append(check_name(hostname(), resolver))
        results.append(check_service_file(service_file, config.web_port))
    if config.mqtt is not None:
        results.append(check_broker(config))
    return results


def check_name(hostname: str, resolver: Resolver) -> CheckResult:
    """``<hostname>.local`` resolves, so phones can open the page by name."""
    name = local_name(hostname)
    if name is None:
        return CheckResult(
            "name",
            Level.WARN,
            f"the host name {hostname!r} is no name to find a device by",
            "give each device its own name: sudo raspi-config, System Options, Hostname",
        )
    addresses = resolver(name)
    if not addresses:
        return CheckResult("name", Level.WARN, f"{name} does not resolve here", AVAHI_FIX)
    return CheckResult("name", Level.OK, f"{name} resolves to {', '.join(addresses)}")


def check_service_file(path: Path, port: int) -> CheckResult:
    """Avahi announces the page (``_http._tcp``) on the port it is served on."""
    try:
        # Root's own file, written by the installer: not untrusted input.
        root = ET.fromstring(path.read_bytes())  # noqa: S314
    except FileNotFoundError:
        return CheckResult(
            "announced",
            Level.WARN,
            f"{path} is missing: the page is not announced on the network",
            WRITE_AGAIN,
        )
    except (OSError, ET.ParseError) as err:
        return CheckResult("announced", Level.WARN, f"{path} cannot be read: {err}", WRITE_AGAIN)
    name = root.findtext("name") or "?"
    announced = root.findtext("service/port")
    if announced != str(port):
        return CheckResult(
            "announced",
            Level.WARN,
            f"{path} announces port {announced}, but the page is on {port}",
            WRITE_AGAIN,
        )
    return CheckResult("announced", Level.OK, f"as {name!r} (_http._tcp, port {port})")


def check_broker(config: Config) -> CheckResult:
    """The configured MQTT broker accepts Spotter's login."""
    assert config.mqtt is not None
    from device.service.mqtt import BrokerError, probe

    try:
        detail = probe(config.mqtt)
    except BrokerError as err:
        return CheckResult(
            "mqtt",
            Level.FAIL,
            str(err),
            "check [mqtt] host, port, username and password_file in the config, and that "
            "the broker runs; Spotter keeps working without it and retries",
        )
    return CheckResult("mqtt", Level.OK, detail)
