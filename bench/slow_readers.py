"""Attack: clients that ask for backups and never read them.

A real ``spotter run --simulate``; three connections, each from its own loopback
address, send 150 pipelined ``GET /api/backup`` at once and never read a byte. Once
every one of them has its answers piling up (a few seconds: the kernel's buffers take
the first ones), ``GET /api/status`` is timed on fresh connections for a while.
"""

from __future__ import annotations

import socket
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.daemon_proc import HOST, Daemon, daemon
from bench.report import Figure, p50_p95

READERS = 3
REQUESTS = 150
# Time for the answers to fill the kernel's buffers and waitress's before status is timed.
FILL_SECONDS = 8.0
TARGET_MS = 1000.0
TIMEOUT = 5.0


def status_times(d: Daemon, samples: int) -> tuple[list[float], int]:
    """Milliseconds for each status request on a fresh connection (one that got no answer
    counts as the timeout), and how many got none."""
    times, missing = [], 0
    for _ in range(samples):
        began = time.perf_counter()
        try:
            status, _ = d.request("GET", "/api/status", timeout=TIMEOUT)
        except OSError:
            status = 0
        if status != 200:
            missing += 1
        times.append((time.perf_counter() - began) * 1000)
    return times, missing


def run(quick: bool = False) -> list[Figure]:
    samples = 20 if quick else 100
    with (
        tempfile.TemporaryDirectory(prefix="spotter-attack-") as tmp,
        daemon(Path(tmp) / "data") as d,
        ExitStack() as held,
    ):
        request = f"GET /api/backup HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
        for i in range(READERS):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.bind((f"127.0.0.{200 + i}", 0))
            sock.connect((HOST, d.port))
            sock.sendall(request * REQUESTS)
        time.sleep(FILL_SECONDS)
        times, missing = status_times(d, samples)
        peak = d.peak_rss_mb()
    median, p95 = p50_p95(times)
    return [
        Figure(
            f"GET /api/status while {READERS} clients pipeline {REQUESTS} backups each "
            "and never read",
            median,
            p95,
            "ms",
            f"p95 <= {TARGET_MS:g} ms",
            p95 <= TARGET_MS and not missing,
            note=f"{samples} requests, {missing} unanswered within {TIMEOUT:g} s, slowest "
            f"{max(times):.0f} ms; daemon peak RSS {peak:.1f} MB",
        )
    ]


def _main() -> None:
    from bench.report import table

    print(table(run(quick=True)))


if __name__ == "__main__":
    _main()
