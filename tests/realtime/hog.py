"""A busy machine: one process spinning on every core beside the test, at the test's own
priority, so that an answer that depends on load shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_hog(processes: int | None = None) -> Iterator[list[int]]:
    """Spin ``processes`` (None: one per core) busy loops until the block ends; yields their ids."""
    count = (os.cpu_count() or 1) if processes is None else processes
    spinning = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield [p.pid for p in spinning]
    finally:
        for process in spinning:
            process.kill()
        for process in spinning:
            process.wait()
