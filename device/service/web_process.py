"""The daemon's side of the phone page's process: start it, watch it, start it again.

The page runs in a process of its own (``device.cli.web_child``) that reaches the
daemon through the port on a Unix socket (``port_socket``). If it dies (out of memory,
killed) it is started again within a second and the workout goes on; if it keeps dying,
a little later each time, so a broken page cannot keep a core busy. An address that is
taken is said once and not tried again: the button works without the page. The
allowance of wrong PINs is kept here, not in the page: a page started again goes on
with it.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from device.control import SessionControl
from device.service.pin_throttle import PinThrottle
from device.service.port_socket import PortServer, private_socket_path
from routines.store import Store

log = logging.getLogger(__name__)

CHILD_MODULE = "device.cli.web_child"
# The child's exit codes that starting it again cannot mend (web_child's).
CANNOT_BIND = 3
CANNOT_OPEN = 4
# How long a start may take before the child is taken for hung (a Pi loading Flask).
START_SECONDS = 60.0
RESTART_DELAY = 0.5
# Five ends within a minute: wait this long before the next start.
CRASH_WINDOW, CRASHES, BACKOFF = 60.0, 5, 30.0
STOP_SECONDS = 5.0


class WebProcess:
    """Serves the page from a child process; ``on_up(port)`` each time it is serving."""

    def __init__(
        self,
        control: SessionControl,
        store: Store,
        *,
        data_dir: Path,
        host: str,
        port: int,
        log_level: str,
        on_up: Callable[[int, bool], None],
    ) -> None:
        self.pins = PinThrottle(time.monotonic)
        self._server = PortServer(control, private_socket_path(), store, self.pins)
        self._command = [
            sys.executable,
            "-m",
            CHILD_MODULE,
            "--data-dir",
            str(data_dir),
            "--socket",
            str(self._server.path),
            "--host",
            host,
            "--port",
            str(port),
            "--log-level",
            log_level,
        ]
        self._on_up = on_up
        self._stopping = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="spotter-web", daemon=True)

    @property
    def pid(self) -> int | None:
        """The page's process now (tests and benchmarks measure it)."""
        child = self._child
        return None if child is None or child.poll() is not None else child.pid

    def start(self) -> WebProcess:
        self._server.start()
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the page's process (SIGTERM, then SIGKILL) and the port's socket."""
        self._stopping.set()
        with self._lock:
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._thread.join(STOP_SECONDS)
        self._server.close()

    def _watch(self) -> None:
        ends: collections.deque[float] = collections.deque(maxlen=CRASHES)
        first = True
        while not self._stopping.is_set():
            child = self._spawn()
            if child is None:
                return
            port = _port_from(child)
            if port is not None:
                # Started again, the page keeps its port (also one the system chose).
                self._command[self._command.index("--port") + 1] = str(port)
                self._on_up(port, first)
                first = False
            code = child.wait()
            if self._stopping.is_set():
                return
            if code in (CANNOT_BIND, CANNOT_OPEN):
                log.error("the web page did not start; the button works without it")
                return
            ends.append(time.monotonic())
            crashing = len(ends) == CRASHES and ends[-1] - ends[0] < CRASH_WINDOW
            delay = BACKOFF if crashing else RESTART_DELAY
            log.warning(
                "the web page's process ended (%s); starting it again in %.1f s",
                _describe(code),
                delay,
            )
            if self._stopping.wait(delay):
                return

    def _spawn(self) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            try:
                # Its standard input stays open as long as this process lives: the page
                # ends when it closes (web_child), even after a kill -9 of the daemon.
                self._child = subprocess.Popen(
                    self._command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    close_fds=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            except OSError as err:
                log.error("cannot start the web page's process: %s", err)
                return None
            return self._child


def _port_from(child: subprocess.Popen[bytes]) -> int | None:
    """The port the child says it serves on, or None if it ends (or hangs) first."""
    assert child.stdout is not None
    deadline = time.monotonic() + START_SECONDS
    line = b""
    with contextlib.closing(child.stdout):
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([child.stdout], [], [], left)[0]:
                log.error("the web page's process did not start within %.0f s", START_SECONDS)
                child.kill()
                return None
            chunk = os.read(child.stdout.fileno(), 64)
            if not chunk:
                return None
            line += chunk
    word, _, number = line.decode(errors="replace").strip().partition(" ")
    return int(number) if word == "PORT" and number.isdigit() else None


def _describe(code: int) -> str:
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
