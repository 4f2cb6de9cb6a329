"""A real ``spotter run --simulate`` in its own process, watched from outside.

The daemon is started exactly as a user starts it (the ``spotter`` console script),
with its web server on a free loopback port. Its CPU time and peak memory are read
from ``/proc``; it is driven through its JSON API. Its standard input is a pipe that
is kept open and silent: the simulated keyboard then waits for keys and never ends.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
STARTUP_TIMEOUT = 60.0


def without_checkins(data_dir: Path) -> None:
    """Keep every routine in ``data_dir`` without its pain check-in, for figures about the
    button and the voice: a check-in's answer waits for its count to come round."""
    from routines.store import Store

    store = Store.open(data_dir)
    try:
        for stored in store.list_routines():
            if stored.routine.checkin != "none":
                store.save_routine(dataclasses.replace(stored.routine, checkin="none"))
    finally:
        store.close()


def _cpu_of(pid: int, *, reaped: bool = False) -> float:
    """``/proc/<pid>/stat`` utime + stime, and with ``reaped`` cutime + cstime too."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # utime, stime, cutime, cstime are fields 14-17 of the whole line; 12-15 after "(comm) ".
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def children(pid: int) -> list[int]:
    """The processes ``pid`` has started and not yet reaped."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def spotter_command() -> list[str]:
    """The installed ``spotter`` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("spotter")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "device.cli"]


class Daemon:
    """One running ``spotter run --simulate`` process."""

    def __init__(
        self,
        data_dir: Path,
        *,
        silent: bool = True,
        audio_device: str | None = None,
        env: Mapping[str, str] | None = None,
        preexec_fn: Callable[[], object] | None = None,
        extra_args: Sequence[str] = (),
        checkins: bool = True,
    ) -> None:
        """``preexec_fn`` runs in the child before it starts (the bench's CPU quota);
        ``checkins=False`` keeps the routines without their pain check-in, so that the
        first presses start the workout."""
        self.data_dir = data_dir
        self.port = free_port()
        args = [
            *spotter_command(),
            "run",
            "--simulate",
            "--data-dir",
            str(data_dir),
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        if silent:
            args.append("--silent")
        if audio_device is not None:
            args += ["--audio-device", audio_device]
        args += extra_args
        data_dir.mkdir(parents=True, exist_ok=True)
        if not checkins:
            without_checkins(data_dir)
        self._output: IO[bytes] = (data_dir.parent / f"spotter-{self.port}.log").open("wb")
        self.started_at = time.perf_counter()
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,
        )

    # -- reading it from outside ----------------------------------------------------------

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the daemon and the processes it started: its
        speech engine renders and levels lines in a process of its own."""
        total = _cpu_of(self.proc.pid, reaped=True)
        for child in children(self.proc.pid):
            with contextlib.suppress(OSError):
                total += _cpu_of(child)
        return total

    def peak_rss_mb(self) -> float:
        """Peak resident memory (``VmHWM``) in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc status")

    def web_peak_rss_mb(self) -> float | None:
        """Peak resident memory of the phone page's own process, if it runs."""
        for child in children(self.proc.pid):
            with contextlib.suppress(OSError):
                if b"device.cli.web_child" in Path(f"/proc/{child}/cmdline").read_bytes():
                    for line in Path(f"/proc/{child}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1]) / 1024
        return None

    def wait_until_quiet(self, *, window: float = 1.0, timeout: float = 180.0) -> float:
        """Wait until a whole ``window`` passes with at most one clock tick of CPU (start-up
        rendering has finished); returns how long that took."""
        began = time.monotonic()
        before = self.cpu_seconds()
        while time.monotonic() - began < timeout:
            time.sleep(window)
            after = self.cpu_seconds()
            if after - before <= 1 / CLK_TCK:
                return time.monotonic() - began
            before = after
        raise TimeoutError(f"spotter kept busy for {timeout:g} s")

    # -- driving it through its API -------------------------------------------------------

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 10.0
    ) -> tuple[int, bytes]:
        """One request on a fresh connection; (status, body)."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            headers = {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def wait_for_web(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the page answers (or the process died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spotter exited with {self.proc.returncode}: {self.log()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/api/status", timeout=1.0)[0] == 200:
                    return
            time.sleep(0.05)
        raise TimeoutError("the web page did not answer")

    def status(self) -> dict[str, Any]:
        code, body = self.request("GET", "/api/status")
        if code != 200:
            raise RuntimeError(f"GET /api/status gave {code}")
        value: dict[str, Any] = json.loads(body)
        return value

    def gesture(self, name: str) -> None:
        code, body = self.request("POST", "/api/button", {"gesture": name})
        for _ in range(20):
            if code != 429:
                break
            # Faster than a person presses: the page asks to wait a moment, as one would.
            time.sleep(0.2)
            code, body = self.request("POST", "/api/button", {"gesture": name})
        if code != 202:
            raise RuntimeError(f"POST /api/button gave {code}: {body!r}")

    def wait_for_state(self, *states: str, timeout: float = 10.0) -> str:
        """Wait until the session is in one of ``states``."""
        deadline = time.monotonic() + timeout
        while True:
            state: str = self.status()["state"]
            if state in states:
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f"state stayed {state}, not one of {states}")
            time.sleep(0.02)

    def wait_for_change(self, seen: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the status differs from ``seen``; returns the new one."""
        deadline = time.monotonic() + timeout
        while (status := self.status()) == seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the status stayed {seen}")
            time.sleep(0.01)
        return status

    # -- stopping -------------------------------------------------------------------------

    def log(self) -> str:
        self._output.flush()
        path = self.data_dir.parent / f"spotter-{self.port}.log"
        return path.read_text(errors="replace")[-2000:]

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; SIGKILL if it has not gone after 10 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self._output.close()
        return self.proc.returncode


@contextlib.contextmanager
def daemon(data_dir: Path, **options: Any) -> Iterator[Daemon]:
    """A started daemon whose web page answers; stopped on the way out."""
    d = Daemon(data_dir, **options)
    try:
        d.wait_for_web()
        yield d
    finally:
        d.stop()
