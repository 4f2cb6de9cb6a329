"""The spoken page address: found from the routing table or the interfaces, never by sending.

Where the test may make network namespaces (root with ``unshare`` and ``ip``), the real
functions run in a private namespace: with no network, on a LAN without a gateway, and
on one with a gateway, and the interface's packet counters prove nothing was sent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from device.service.network import interface_addresses, lan_address, page_url, route_address

ROOT = Path(__file__).resolve().parents[2]


def test_the_route_decides_first():
    assert lan_address(route=lambda: "192.168.1.20", interfaces=lambda: ["10.0.0.5"]) == (
        "192.168.1.20"
    )


def test_without_a_route_a_private_interface_address_is_preferred():
    found = lan_address(route=lambda: None, interfaces=lambda: ["169.254.3.4", "192.168.7.2"])
    assert found == "192.168.7.2"
    assert lan_address(route=lambda: None, interfaces=lambda: ["169.254.3.4"]) == "169.254.3.4"


def test_no_route_and_no_interface_means_no_address():
    assert lan_address(route=lambda: None, interfaces=list) is None


def test_an_error_reading_the_network_means_no_address():
    def broken() -> str | None:
        raise OSError("no sockets here")

    assert lan_address(route=broken) is None


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("0.0.0.0", 8080, "http://192.168.1.20:8080"),
        ("::", 8080, "http://192.168.1.20:8080"),
        ("0.0.0.0", 80, "http://192.168.1.20"),
        ("10.1.2.3", 8080, "http://10.1.2.3:8080"),
        ("fd00::5", 8080, "http://[fd00::5]:8080"),
        ("spotter.local", 8080, "http://spotter.local:8080"),
        ("127.0.0.1", 8080, None),
        ("::1", 8080, None),
    ],
)
def test_the_page_url_follows_the_listening_address(host, port, url):
    assert page_url(host, port, lan=lambda: "192.168.1.20") == url


def test_no_lan_means_no_page_url():
    assert page_url("0.0.0.0", 8080, lan=lambda: None) is None


def test_the_real_functions_agree_with_each_other():
    route = route_address()
    addresses = interface_addresses()
    assert all(not a.startswith("127.") for a in addresses)
    if route is not None:
        assert route in addresses
    assert lan_address() == (route or (addresses[0] if addresses else None))


# -- in a private network namespace ---------------------------------------------------------

CAN_UNSHARE = (
    sys.platform == "linux"
    and os.geteuid() == 0
    and shutil.which("unshare") is not None
    and shutil.which("ip") is not None
    and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
)
needs_netns = pytest.mark.skipif(not CAN_UNSHARE, reason="needs root, unshare and ip")

PROBE = textwrap.dedent(
    """
    import json
    from device.service.network import lan_address, route_address
    print(json.dumps({"route": route_address(), "lan": lan_address()}))
    """
)


def in_namespace(setup: str, probe: str = PROBE) -> tuple[object, int, int]:
    """Run ``probe`` in a fresh network namespace after ``setup``; report what it printed
    (JSON) and the veth's count of transmitted packets before and after it."""
    script = textwrap.dedent(
        f"""
        set -eu
        mount -t sysfs none /sys
        echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
        ( {setup} ) || exit 77
        count() {{ cat /sys/class/net/v0/statistics/tx_packets 2>/dev/null || echo 0; }}
        before=$(count)
        "$PYTHON" -c "$PROBE"
        after=$(count)
        echo "$before $after"
        """
    )
    out = subprocess.run(
        ["unshare", "-n", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable, "PROBE": probe},
        timeout=30,
    )
    if out.returncode == 77:
        pytest.skip(f"cannot set up the namespace's network here: {out.stderr.strip()}")
    assert out.returncode == 0, out.stderr
    answer, counts = out.stdout.strip().splitlines()[-2:]
    before, after = (int(n) for n in counts.split())
    return json.loads(answer), before, after


VETH = """
ip link add v0 type veth peer name v1
ip addr add 192.168.7.2/24 dev v0
ip link set v1 up
ip link set v0 up
"""


@needs_netns
def test_the_packet_counter_would_see_a_datagram():
    send = "import socket, json\n" + (
        "socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('192.168.7.9', 9))\n"
        "print(json.dumps(None))\n"
    )
    _, before, after = in_namespace(VETH, send)
    assert after > before


@needs_netns
def test_offline_there_is_no_address():
    answer, _, _ = in_namespace("ip link set lo up")
    assert answer == {"route": None, "lan": None}


@needs_netns
def test_a_lan_without_a_gateway_is_found_from_its_interface_and_nothing_is_sent():
    answer, before, after = in_namespace(VETH)
    assert answer == {"route": None, "lan": "192.168.7.2"}
    assert after == before


@needs_netns
def test_a_lan_with_a_gateway_is_found_from_the_route_and_nothing_is_sent():
    answer, before, after = in_namespace(VETH + "ip route add default via 192.168.7.1\n")
    assert answer == {"route": "192.168.7.2", "lan": "192.168.7.2"}
    assert after == before
