"""Idle cost: CPU used by a running ``spotter run --simulate --silent`` with its web server.

Measured from outside, as utime + stime of the process in ``/proc/<pid>/stat``
(all threads), over a window: first idle (after start-up rendering has finished),
then while the lower-back routine's first 30-second hold counts down. Nobody
requests a page meanwhile. The figure is the mean over the window, in percent of
one core; the median and p95 columns show it per 1-second slice.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.daemon_proc import CLK_TCK, Daemon, daemon
from bench.report import Figure, p50_p95

TARGET_IDLE_PERCENT = 0.5


def cpu_over(d: Daemon, seconds: float) -> tuple[float, list[float]]:
    """Mean CPU percent over ``seconds`` and the percent in each 1-second slice."""
    start_cpu = d.cpu_seconds()
    start = time.monotonic()
    slices: list[float] = []
    last_cpu, last = start_cpu, start
    while (now := time.monotonic()) - start < seconds:
        time.sleep(min(1.0, seconds - (now - start)))
        cpu, now = d.cpu_seconds(), time.monotonic()
        slices.append(100 * (cpu - last_cpu) / (now - last))
        last_cpu, last = cpu, now
    return 100 * (last_cpu - start_cpu) / (last - start), slices


def run(quick: bool = False) -> list[Figure]:
    """Idle, then a hold counting down."""
    window = 10.0 if quick else 30.0
    with (
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        daemon(Path(tmp) / "data", checkins=False) as d,
    ):
        d.wait_until_quiet()
        idle, idle_slices = cpu_over(d, window)
        # Idle -> intro -> first set -> the 30-second hold of the hip flexor stretch.
        for _ in range(3):
            d.gesture("press")
        d.wait_for_state("hold")
        hold, hold_slices = cpu_over(d, min(window, 28.0))
    resolution = f"one clock tick is {100 / CLK_TCK / window:.2f} % of this window"
    return [
        Figure(
            f"3. Idle CPU, web server up ({window:g} s)",
            idle,
            p50_p95(idle_slices)[1],
            "%",
            target=f"<= {TARGET_IDLE_PERCENT:g} % of one core",
            passed=idle <= TARGET_IDLE_PERCENT,
            note=f"mean over the window in the median column, 1-s slices in p95; {resolution}",
        ),
        Figure(
            f"3. CPU while a hold counts down ({min(window, 28.0):g} s)",
            hold,
            p50_p95(hold_slices)[1],
            "%",
            note="spoken lines go to stdout (--silent): the cost of speech itself is not in it",
        ),
    ]
