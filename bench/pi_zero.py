"""An emulated Raspberry Pi Zero 2 W: a process tree under a CPU quota, calibrated here.

A Pi Zero 2 W's Cortex-A53 cores at 1 GHz run Python roughly 8-10 times slower
than one core of a current x86 machine. The bench makes a cgroup (v1 ``cpu``
controller, ``cpu.cfs_quota_us``) that lets its processes use 1/9 of one core,
puts each process it starts there before it runs a single instruction of
Python, and measures the slowdown side by side: the same pure-Python workload,
timed in the quota and outside it. The factor is printed with the figures.

Two ways, each said with its figures: ``PiZeroQuota`` holds the whole process tree
to one Pi core's share (conservative: the daemon, the page's process and every render
process take turns on one core); ``OwnCoreQuota`` gives each process a cgroup of its
own with that same quota (the Pi's four cores, as long as no more than four processes
are busy at once), and moves every process the first one starts into a new one of its
own within a few milliseconds of its fork. Threads of one process always share a core.

What it does not emulate: its SD card (the disk here is much faster) and its
memory bandwidth. So start-up that waits on the disk looks better here than it
will be.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 20_000  # short periods throttle in small steps, closer to a slow CPU
SLOWDOWN = 9.0  # the emulated Pi runs Python this many times slower than one core here
# The kernel lets a throttled group overdraw its quota by up to a scheduling slice, so
# a quota of 1/9 of a core gives less than a 9x slowdown: the quota is tuned until the
# measured factor is within this fraction of the target.
TOLERANCE = 0.12
WORKLOAD = (
    "import time\n"
    "t = time.perf_counter()\n"
    "n = 0\n"
    "for i in range(1_000_000):\n"
    "    n += len(str(i * 7)) % 3\n"
    "print(time.perf_counter() - t)\n"
)


class QuotaUnavailable(Exception):
    """No cgroup could be made here (not root, or no cgroup v1 cpu controller)."""


class PiZeroQuota:
    """A cgroup with a CPU quota; ``run``/``popen`` start processes inside it."""

    per_process = False  # True: each process has a Pi core of its own

    def __init__(self, slowdown: float = SLOWDOWN) -> None:
        if not (CGROUP_ROOT / "cpu.cfs_quota_us").exists():
            raise QuotaUnavailable(f"no cgroup v1 cpu controller at {CGROUP_ROOT}")
        self.path = CGROUP_ROOT / f"spotter-bench-{os.getpid()}"
        try:
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            self._set_quota(int(PERIOD_US / slowdown))
        except OSError as err:
            raise QuotaUnavailable(f"cannot make a cgroup under {CGROUP_ROOT}: {err}") from err
        self.slowdown = slowdown
        self.factor: float | None = None

    def _set_quota(self, quota_us: int) -> None:
        self.quota_us = max(1000, min(PERIOD_US, quota_us))
        (self.path / "cpu.cfs_quota_us").write_text(str(self.quota_us))

    def enter(self) -> None:
        """Move this process (all its threads, and whatever it starts later) into the quota.
        As a ``preexec_fn`` it runs in a child between fork and exec."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def calibrate(self, rounds: int = 2, attempts: int = 4) -> float:
        """Tune the quota until the workload runs ``slowdown`` times slower inside it than
        outside (best of ``rounds`` each side); returns the factor finally measured."""

        def best(inside: bool) -> float:
            times = []
            for _ in range(rounds):
                done = subprocess.run(
                    [sys.executable, "-c", WORKLOAD],
                    capture_output=True,
                    text=True,
                    check=True,
                    preexec_fn=self.enter if inside else None,
                )
                times.append(float(done.stdout))
            return min(times)

        for _ in range(attempts):
            self.factor = best(True) / best(False)
            if abs(self.factor / self.slowdown - 1) <= TOLERANCE:
                break
            self._set_quota(round(self.quota_us * self.factor / self.slowdown))
        assert self.factor is not None
        return self.factor

    def describe(self) -> str:
        return "one Pi core for the whole process tree"

    def close(self) -> None:
        """Remove the cgroup once its processes have gone."""
        _remove(self.path)

    def __enter__(self) -> PiZeroQuota:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _remove(path: Path) -> None:
    for _ in range(50):
        try:
            path.rmdir()
            return
        except OSError:
            time.sleep(0.1)


CORES = 4
WATCH_EVERY = 0.003  # seconds between looks for newly started processes


class OwnCoreQuota(PiZeroQuota):
    """Each process in a cgroup of its own, held to one Pi core's share (the quota a
    ``PiZeroQuota`` was calibrated to); all of them together to four cores' worth."""

    per_process = True

    def __init__(self, quota_us: int, factor: float | None) -> None:
        if not (CGROUP_ROOT / "cpu.cfs_quota_us").exists():
            raise QuotaUnavailable(f"no cgroup v1 cpu controller at {CGROUP_ROOT}")
        self.path = CGROUP_ROOT / f"spotter-bench-cores-{os.getpid()}"
        self.slowdown = SLOWDOWN
        self.factor = factor
        self.quota_us = quota_us
        try:
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota_us * CORES))
        except OSError as err:
            raise QuotaUnavailable(f"cannot make a cgroup under {CGROUP_ROOT}: {err}") from err
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="own-cores", daemon=True)
        self._watcher.start()

    def describe(self) -> str:
        return f"one Pi core per process, {CORES} in all"

    def _own(self, pid: int) -> None:
        group = self.path / f"p{pid}"
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(self.quota_us))
        (group / "cgroup.procs").write_text(str(pid))

    def enter(self) -> None:
        """Move this process into a core of its own (also as a ``preexec_fn``)."""
        self._own(os.getpid())

    def _watch(self) -> None:
        # A process starts in its parent's group; each one that is not the group's owner
        # is moved to a group of its own. cgroup.procs of the parent catches any process
        # written there directly.
        while not self._stop.wait(WATCH_EVERY):
            groups = [self.path, *(g for g in self.path.iterdir() if g.is_dir())]
            for group in groups:
                try:
                    pids = (group / "cgroup.procs").read_text().split()
                except OSError:
                    continue
                for pid in pids:
                    if group.name != f"p{pid}":
                        with contextlib.suppress(OSError):  # it has ended meanwhile
                            self._own(int(pid))

    def close(self) -> None:
        self._stop.set()
        self._watcher.join()
        for group in self.path.iterdir():
            if group.is_dir():
                _remove(group)
        _remove(self.path)


def emulated_presses(quota: PiZeroQuota, presses: int) -> list[float]:
    """Warm presses (ms to first audio bytes) with the rig and Spotter inside the quota and
    the sound tap outside it, as the sound card is outside a Pi's CPU."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.pi_zero", str(quota.path), str(presses)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the presses on the emulated Pi failed: {done.stderr[-2000:]}")
    values: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


def _press_in_quota(cgroup: Path, presses: int) -> list[float]:
    from bench.press_latency import mixed_presses
    from bench.rig import running_spotter
    from bench.sound_tap import SoundTap

    with SoundTap() as tap, tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        # The tap's reader has started outside; from here on this process is the slow Pi.
        (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        with running_spotter(Path(tmp) / "data", tap) as rig:
            return mixed_presses(rig, presses)


if __name__ == "__main__":
    print(json.dumps(_press_in_quota(Path(sys.argv[1]), int(sys.argv[2]))))
