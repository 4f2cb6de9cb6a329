"""An emulated Raspberry Pi Zero 2 W: a process tree under a CPU quota (cgroup v1).

A Zero 2 W core (Cortex-A53, 1 GHz) does roughly a ninth of what one core of
this machine does, so a child process is started inside a cgroup allowed 1/9
of one core. The slow-down is measured side by side on a fixed piece of pure
Python work and printed with the figures. Where a cgroup cannot be made (no
v1 cpu controller, no permission), ``QuotaUnavailable`` says why and the bench
skips the emulated figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

CPU_CGROUPS = Path("/sys/fs/cgroup/cpu")
PI_ZERO_SHARE = 1 / 9
_PERIOD_US = 100_000
_WORK = "sum(i * i for i in range(3_000_000))"


class QuotaUnavailable(Exception):
    """No CPU quota can be set up on this machine."""


@contextmanager
def cpu_quota(share: float = PI_ZERO_SHARE) -> Iterator[Callable[[], None]]:
    """A cgroup allowed ``share`` of one core; yields a ``preexec_fn`` that moves a new
    child (and so all it starts) into it. The cgroup is removed afterwards."""
    if not (CPU_CGROUPS / "cgroup.procs").exists():
        raise QuotaUnavailable(f"no cgroup v1 cpu controller at {CPU_CGROUPS}")
    group = CPU_CGROUPS / f"spotter-bench-{os.getpid()}"
    try:
        group.mkdir()
        (group / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(round(_PERIOD_US * share)))
    except OSError as err:
        raise QuotaUnavailable(f"cannot make a cgroup in {CPU_CGROUPS}: {err}") from err
    procs = group / "cgroup.procs"

    def enter() -> None:
        # Runs in the child before it execs: "0" means the writing process itself.
        procs.write_text("0")

    try:
        yield enter
    finally:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except OSError:
                time.sleep(0.1)  # its last process is still being reaped


def _timed_work(preexec: Callable[[], None] | None) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _WORK], check=True, preexec_fn=preexec)
    return time.perf_counter() - started


def slow_down(enter: Callable[[], None]) -> float:
    """How many times longer the same work takes inside the quota than outside."""
    return _timed_work(enter) / _timed_work(None)
