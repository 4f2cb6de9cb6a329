"""Memory: peak resident size of ``spotter run --simulate`` with its web server, after a
whole workout.

The daemon plays through the real player (``aplay -D null``) and renders with
espeak-ng. The lower-back routine is worked through to its summary by
``POST /api/button`` presses (each hold and rest cut short by the next press), then
``VmHWM`` -- the most the process has ever had resident -- is read from
``/proc/<pid>/status``. With the natural voice installed, once more with it chosen:
the daemon's own peak, and its worker's, read while the worker renders the routine.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

from bench.daemon_proc import Daemon, children, daemon
from bench.report import Figure
from device.voice.natural import natural_installed
from routines.store import Store

TARGET_MB = 55.0
MAX_PRESSES = 500  # the lower-back routine needs about 140


def full_workout(d: Daemon) -> int:
    """Press until the workout is done; returns how many presses it took."""
    status = d.status()
    for presses in range(1, MAX_PRESSES + 1):
        d.gesture("press")
        # Every press changes what the page shows (at least the last line spoken); waiting
        # for that keeps presses from piling up in the queue, as a finger would.
        status = d.wait_for_change(status)
        if status["state"] == "done":
            return presses
    raise RuntimeError(f"the workout did not end after {MAX_PRESSES} presses")


def natural_voice_filled(d: Daemon, timeout: float = 600.0) -> float:
    """Wait until the natural voice's worker has come, rendered and gone; its peak (MB)."""
    peak = 0.0
    seen = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = [pid for pid in children(d.proc.pid) if is_natural_worker(pid)]
        for pid in workers:
            with contextlib.suppress(OSError, RuntimeError):
                peak = max(peak, peak_rss_mb_of(pid))
        seen = seen or bool(workers)
        if seen and not workers:
            return peak
        time.sleep(0.2)
    raise TimeoutError("the natural voice's worker did not finish")


def is_natural_worker(pid: int) -> bool:
    try:
        return b"device.voice.natural_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def peak_rss_mb_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def run(quick: bool = False) -> list[Figure]:
    """One full workout, then the peak; again with the natural voice when it is installed."""
    figures = [workout_peak("", "")]
    if natural_installed():
        figures.append(workout_peak(", natural voice", "natural"))
    return figures


def workout_peak(label: str, engine: str) -> Figure:
    note = ""
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        data = Path(tmp) / "data"
        if engine:
            store = Store.open(data)
            store.update_settings({"voice_engine": engine})
            store.close()
        with daemon(data, silent=False, audio_device="null") as d:
            if engine:
                worker = natural_voice_filled(d)
                note = f"; its worker process peaked at {worker:.0f} MB, then left"
            d.wait_until_quiet()
            after_start = d.peak_rss_mb()
            presses = full_workout(d)
            peak = d.peak_rss_mb()
            page = d.web_peak_rss_mb()
            if page is not None:
                note += f"; the page's own process peaked at {page:.0f} MB"
    return Figure(
        f"4. Peak RSS after a full workout ({presses} presses){label}",
        peak,
        None,
        "MB",
        target=f"<= {TARGET_MB:g} MB",
        passed=peak <= TARGET_MB,
        note=f"VmHWM; {after_start:.1f} MB once started and its routine rendered{note}",
    )
