"""Loopback ports for the servers the tests start: each test process has a range of its own.

Asking the system for a free port (binding port 0) and then closing it leaves the port
free for anyone: with the suite spread over several processes, another worker's daemon
or broker could be handed the same one before the test starts its server on it, and
outgoing connections take their ports from the same system range. So each pytest-xdist
worker picks from its own block below that range, starting at a random point (two
suites run side by side on one machine rarely meet), checks that nothing listens there,
and never hands out a port twice.
"""

from __future__ import annotations

import os
import random
import socket

FIRST_PORT = 20_000  # below Linux's range for outgoing connections (32768 on)
PORTS_PER_WORKER = 500
MAX_WORKERS = 24


def worker_index() -> int:
    """0 without pytest-xdist, else 1 + the worker's number (``gw3`` is 4)."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not name.startswith("gw"):
        return 0
    return 1 + int(name[2:]) % (MAX_WORKERS - 1)


def worker_ports(index: int) -> range:
    start = FIRST_PORT + index * PORTS_PER_WORKER
    return range(start, start + PORTS_PER_WORKER)


class _PortPicker:
    def __init__(self, ports: range) -> None:
        self.ports = ports
        self.offset = random.randrange(len(ports))
        self.given: set[int] = set()

    def next(self) -> int:
        for _ in range(len(self.ports)):
            port = self.ports[self.offset]
            self.offset = (self.offset + 1) % len(self.ports)
            if port not in self.given and _bindable(port):
                self.given.add(port)
                return port
        raise RuntimeError(f"no free loopback port left in {self.ports}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


_picker = _PortPicker(worker_ports(worker_index()))


def free_port() -> int:
    """A loopback port nobody listens on, never given to another worker or test before."""
    return _picker.next()
