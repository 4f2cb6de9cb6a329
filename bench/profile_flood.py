"""Profile flood: a stranger makes profiles as fast as the page takes them while someone
trains, on a device without a PIN.

The physical button is the simulator's Enter key; its answer is timed by the worker's
own report of the new rep to systemd (``STATUS=`` on a socket of the bench's), which no
web request stands between. First a few presses with nobody else about, then the same
while one client posts profiles back to back: up to the cap, then refusals.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.daemon_proc import Daemon, daemon
from bench.report import Figure, p50_p95

PRESS_EVERY = 1.0  # seconds between presses: past the double-press window
ANSWER_TIMEOUT = 30.0
REPS = 200
# An answer a person takes as at once; before the cap, presses waited minutes.
TARGET_P95_MS = 500.0


class StatusWatch:
    """Every ``STATUS=`` the daemon sends systemd, with when it arrived."""

    def __init__(self, path: Path) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.05)
        self._seen: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                message = self._sock.recv(65536).decode("utf-8", "replace")
            except TimeoutError:
                continue
            except OSError:
                return
            at = time.perf_counter()
            with self._changed:
                for field in message.split("\n"):
                    if field.startswith("STATUS="):
                        self._seen.append((at, field[len("STATUS=") :]))
                self._changed.notify_all()

    def wait_for(self, text: str, since: float, timeout: float) -> float | None:
        """When a status holding ``text`` arrived after ``since``; None after ``timeout``."""

        def found() -> float | None:
            return next((at for at, s in self._seen if at >= since and text in s), None)

        with self._changed:
            self._changed.wait_for(lambda: found() is not None, timeout)
            return found()

    def close(self) -> None:
        self._closed = True
        self._thread.join(1.0)
        self._sock.close()


def press(d: Daemon) -> float:
    """The simulated finger presses the physical button; when the key went in."""
    assert d.proc.stdin is not None
    at = time.perf_counter()
    d.proc.stdin.write(b"\n")
    d.proc.stdin.flush()
    return at


def rep_answers(d: Daemon, watch: StatusWatch, first: int, count: int) -> list[float]:
    """Milliseconds from each of ``count`` presses to the worker's report of its rep."""
    times = []
    for rep in range(first, first + count):
        at = press(d)
        answered = watch.wait_for(f"rep {rep} of {REPS}", at, ANSWER_TIMEOUT)
        times.append(ANSWER_TIMEOUT * 1000 if answered is None else (answered - at) * 1000)
        time.sleep(max(0.0, at + PRESS_EVERY - time.perf_counter()))
    return times


def flood(d: Daemon, stop: threading.Event, codes: Counter[int]) -> None:
    """Post new profiles back to back until told to stop."""
    n = 0
    while not stop.is_set():
        status, _ = d.request("POST", "/api/profiles", {"name": f"Stranger {n}"}, timeout=60)
        codes[status] += 1
        n += 1


def run(quick: bool = False) -> list[Figure]:
    presses = 8 if quick else 20
    with tempfile.TemporaryDirectory(prefix="spotter-flood-") as tmp:
        sock_path = Path(tmp) / "notify.sock"
        watch = StatusWatch(sock_path)
        try:
            with daemon(
                Path(tmp) / "data", env={"NOTIFY_SOCKET": str(sock_path)}, checkins=False
            ) as d:
                return _measure(d, watch, presses)
        finally:
            watch.close()


def _measure(d: Daemon, watch: StatusWatch, presses: int) -> list[Figure]:
    routine = {"name": "Flood reps", "exercises": [{"name": "Bridges", "sets": 1, "reps": REPS}]}
    status, body = d.request("POST", "/api/routines", routine)
    if status != 201:
        raise RuntimeError(f"creating the routine answered {status}")
    routine_id = json.loads(body)["id"]
    status, _ = d.request("PUT", "/api/profiles/1", {"routine_id": routine_id})
    if status != 200:
        raise RuntimeError(f"choosing the routine answered {status}")
    d.wait_until_quiet()
    # Into the set: the introduction, then the set's start; each press after is a rep.
    for state in ("intro", "set"):
        press(d)
        d.wait_for_state(state, timeout=ANSWER_TIMEOUT)
        time.sleep(PRESS_EVERY)
    alone = rep_answers(d, watch, 1, presses)
    stop = threading.Event()
    codes: Counter[int] = Counter()
    stranger = threading.Thread(target=flood, args=(d, stop, codes), daemon=True)
    began = time.monotonic()
    stranger.start()
    try:
        flooded = rep_answers(d, watch, 1 + presses, presses)
    finally:
        stop.set()
        stranger.join(60)
    seconds = time.monotonic() - began
    profiles = len(json.loads(d.request("GET", "/api/profiles")[1])["profiles"])
    median, p95 = p50_p95(flooded)
    alone_median, alone_p95 = p50_p95(alone)
    server_errors = sum(n for code, n in codes.items() if code >= 500)
    return [
        Figure(
            f"Physical press answered while a stranger floods profiles ({presses} presses)",
            median,
            p95,
            "ms",
            f"p95 <= {TARGET_P95_MS:g} ms, every press answered",
            p95 <= TARGET_P95_MS and max(flooded) < ANSWER_TIMEOUT * 1000,
            baseline=f"alone: {alone_median:.0f} ms median, {alone_p95:.0f} ms p95",
            note=(
                f"{sum(codes.values())} posts in {seconds:.0f} s: "
                + ", ".join(f"{n} x {code}" for code, n in sorted(codes.items()))
                + f"; {profiles} profiles kept; {server_errors} 5xx; "
                f"peak RSS {d.peak_rss_mb():.1f} MB"
            ),
        )
    ]


def _main() -> None:
    from bench.report import table

    print(table(run(quick=True)))


if __name__ == "__main__":
    _main()
