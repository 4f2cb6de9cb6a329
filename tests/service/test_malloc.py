"""The daemon asks glibc for two malloc arenas, so its threads share their freed memory.

Counted by glibc itself (``malloc_stats`` prints one "Arena" per arena) in a fresh
interpreter where eight threads allocate at the same time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THREADS = 8
PROGRAM = f"""
import ctypes, sys, threading
from device.service.malloc import limit_arenas
print(limit_arenas() if sys.argv[1] == "limit" else "not asked", flush=True)
together = threading.Barrier({THREADS})
def work():
    together.wait()
    kept = [bytearray(100_000) for _ in range(20)]  # from malloc, not Python's own pools
    together.wait()
threads = [threading.Thread(target=work) for _ in range({THREADS})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
        check=True,
    )
    count = sum(line.startswith("Arena ") for line in done.stderr.splitlines())
    return done.stdout.strip(), count


pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="malloc arenas are glibc's, on Linux"
)


def test_threads_share_two_arenas_once_limited():
    assert arenas("not asked")[1] > THREADS  # glibc's own way: one arena a thread
    assert arenas("limit") == ("True", 2)


def test_a_limit_set_in_the_environment_is_left_alone():
    assert arenas("limit", MALLOC_ARENA_MAX="3") == ("False", 3)
