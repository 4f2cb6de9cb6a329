"""Start-up: from starting ``spotter run --simulate --silent`` to READY=1 on the notify socket.

The bench owns a Unix datagram socket and hands it to the daemon as
``NOTIFY_SOCKET``, as systemd does. The clock starts just before the process is
spawned and stops when a datagram holding ``READY=1`` arrives. Empty cache: a
fresh data directory each time (a new store, no rendered speech). Warm: the same
data directory again, after a first run rendered every line of the routine.
"""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path

from bench.daemon_proc import Daemon
from bench.report import Figure, p50_p95

TARGET_S = 1.5
READY_TIMEOUT = 30.0


def time_to_ready(data_dir: Path, sock_path: Path, *, settle: bool = False) -> float:
    """Seconds from spawning the daemon to its READY=1 (TimeoutError if none came).

    ``settle``: before stopping it, let it finish rendering its routine."""
    sock_path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(0.2)
        d = Daemon(data_dir, env={"NOTIFY_SOCKET": str(sock_path)})
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    message = sock.recv(4096)
                except TimeoutError:
                    if d.proc.poll() is not None:
                        raise RuntimeError(f"spotter exited: {d.log()}") from None
                    continue
                if b"READY=1" in message.split(b"\n"):
                    return time.perf_counter() - d.started_at
            raise TimeoutError(f"no READY=1 within {READY_TIMEOUT:g} s")
        finally:
            if settle:
                d.wait_for_web()
                d.wait_until_quiet()
            d.stop()


def run(quick: bool = False) -> list[Figure]:
    """Several cold and warm starts."""
    starts = 2 if quick else 5
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        root = Path(tmp)
        sock = root / "notify.sock"
        empty = [time_to_ready(root / f"empty-{i}", sock) for i in range(starts)]
        # The first start renders the routine; the rest find it in the cache.
        time_to_ready(root / "warm-up", sock, settle=True)
        warm = [time_to_ready(root / "warm-up", sock) for _ in range(starts)]
    figures = []
    for label, times in (("empty cache", empty), ("warm cache", warm)):
        p50, p95 = p50_p95(times)
        figures.append(
            Figure(
                f"6. Start -> READY=1, {label} ({starts} starts)",
                p50,
                p95,
                "s",
                target=f"<= {TARGET_S:g} s",
                passed=p95 <= TARGET_S,
            )
        )
    return figures
