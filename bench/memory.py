"""Memory: peak resident size of ``spotter run --simulate`` with its web server, after a
whole workout.

The daemon plays through the real player (``aplay -D null``) and renders with
espeak-ng. The lower-back routine is worked through to its summary by
``POST /api/button`` presses (each hold and rest cut short by the next press), then
``VmHWM`` -- the most the process has ever had resident -- is read from
``/proc/<pid>/status``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.daemon_proc import Daemon, daemon
from bench.report import Figure

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


def run(quick: bool = False) -> list[Figure]:
    """One full workout, then the peak."""
    with (
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        daemon(Path(tmp) / "data", silent=False, audio_device="null") as d,
    ):
        d.wait_until_quiet()
        after_start = d.peak_rss_mb()
        presses = full_workout(d)
        peak = d.peak_rss_mb()
    return [
        Figure(
            f"4. Peak RSS after a full workout ({presses} presses)",
            peak,
            None,
            "MB",
            target=f"<= {TARGET_MB:g} MB",
            passed=peak <= TARGET_MB,
            note=f"VmHWM; {after_start:.1f} MB once started and its routine rendered",
        )
    ]
