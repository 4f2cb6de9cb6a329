"""A cgroup v1 memory cgroup standing in for the unit's ``MemoryMax``: the whole service
(the daemon, the page's process, the voice's) under the wall the unit gives it."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

MEMORY_ROOT = Path("/sys/fs/cgroup/memory")
UNIT = Path(__file__).resolve().parents[2] / "systemd" / "spotter.service"


def _unit_megabytes(key: str) -> int:
    for line in UNIT.read_text().splitlines():
        if line.startswith(key + "=") and line.endswith("M"):
            return int(line.split("=", 1)[1][:-1])
    raise AssertionError(f"no {key}=<n>M in {UNIT}")


UNIT_LIMIT = _unit_megabytes("MemoryMax") * 1024 * 1024


class MemoryCgroup:
    """Processes started with ``enter`` as their ``preexec_fn`` run under the limit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def enter(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def oom_kills(self) -> int:
        """How many times the kernel killed a process here for want of memory."""
        for line in (self.path / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0


def page_process(pid: int) -> int:
    """The phone page's own process, started by the daemon ``pid``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if b"device.cli.web_child" in Path(f"/proc/{child}/cmdline").read_bytes():
                    return int(child)
    raise AssertionError(f"the daemon {pid} runs no page process")


def peak_rss(pid: int) -> int:
    """The process's peak resident set in bytes (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for {pid}")


@contextlib.contextmanager
def made_cgroup(name: str, limits: dict[str, int]) -> Iterator[MemoryCgroup]:
    """A memory cgroup called ``name`` with ``limits`` (file name -> bytes), skipping the
    test where none can be made; whatever runs in it is killed at the end."""
    path = MEMORY_ROOT / f"{name}-{os.getpid()}"
    try:
        path.mkdir(exist_ok=True)
        for knob, value in limits.items():
            (path / knob).write_text(str(value))
    except OSError as err:
        pytest.skip(f"no memory cgroup can be made here ({MEMORY_ROOT}: {err})")
    try:
        yield MemoryCgroup(path)
    finally:
        for process in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(process), 9)
        # A killed process leaves the cgroup only once the kernel has reaped it.
        deadline = time.monotonic() + 10
        while True:
            try:
                path.rmdir()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # waiting for other processes to be gone


@pytest.fixture
def memory_cgroup() -> Iterator[MemoryCgroup]:
    with made_cgroup("spotter-attack", {"memory.limit_in_bytes": UNIT_LIMIT}) as cgroup:
        yield cgroup
