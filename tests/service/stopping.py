"""Waiting for a daemon to stop, and saying where it was stuck if it does not."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import pytest

# Set in a daemon's environment, so that SIGABRT makes it write every thread's stack.
DUMPS_STACKS = {"PYTHONFAULTHANDLER": "1"}


def stopped(process: subprocess.Popen[str], timeout: float, log: Callable[[], str]) -> int:
    """The exit status of ``process`` once it has stopped. If it is still running after
    ``timeout`` s, the test fails with the end of its ``log``, which then holds the stacks
    of its threads (it runs with ``DUMPS_STACKS``): where a stop hangs is what to fix."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        time.sleep(0.5)  # for the log's reader to take the last of it
        pytest.fail(f"still running {timeout:g} s after it was asked to stop:\n{log()[-8000:]}")
