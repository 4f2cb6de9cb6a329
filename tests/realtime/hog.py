"""A busy machine: one process spinning on every core beside the test, at the test's own
priority, so that an answer that depends on load shows it.

Tests that run side by side (the suite's parallel workers) share one set of spinners:
the first to need them starts them and the last to finish stops them. Four such tests at
once then keep every core busy as one does, instead of putting four times as many
spinners on the machine, which would only slow the rest of the suite.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARK = "spotter-cpu-hog"
# A spinner stops by itself after this long, should every test that used it have died.
LONGEST_S = 1800
SPIN = f"import time\nend = time.monotonic() + {LONGEST_S}\nwhile time.monotonic() < end: pass\n"
STATE = Path(tempfile.gettempdir()) / f"{MARK}-{os.getuid()}.json"


@contextmanager
def _locked() -> Iterator[None]:
    with open(STATE.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _spinning(pid: int) -> bool:
    """Whether ``pid`` is one of the spinners, still running (not a zombie, not reused)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z" and MARK.encode() in cmdline


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def _start(count: int) -> list[int]:
    # Started from a shell that leaves at once, so that the spinners belong to no test's
    # process: whichever test is last may stop them, and init reaps them.
    script = " ".join(
        f"{sys.executable} -c '{SPIN}' {MARK} </dev/null >/dev/null 2>&1 & echo $!;"
        for _ in range(count)
    )
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    return [int(pid) for pid in out.stdout.split()]


def _stop(pids: list[int]) -> None:
    for pid in pids:
        if _spinning(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _read() -> dict[str, list[int]]:
    try:
        state = json.loads(STATE.read_text())
        return {"users": list(state["users"]), "pids": list(state["pids"])}
    except (OSError, ValueError, KeyError, TypeError):
        return {"users": [], "pids": []}


@contextmanager
def cpu_hog(processes: int | None = None) -> Iterator[list[int]]:
    """Keep ``processes`` (None: one per core) busy loops spinning until the block ends;
    yields their ids."""
    count = (os.cpu_count() or 1) if processes is None else processes
    if count <= 0:
        yield []
        return
    me = os.getpid()
    with _locked():
        state = _read()
        # A test that died without leaving no longer counts.
        users = [pid for pid in state["users"] if _alive(pid)]
        pids = [pid for pid in state["pids"] if _spinning(pid)]
        if len(pids) < count:
            pids += _start(count - len(pids))
        STATE.write_text(json.dumps({"users": [*users, me], "pids": pids}))
    try:
        yield pids
    finally:
        with _locked():
            state = _read()
            users = list(state["users"])
            if me in users:
                users.remove(me)
            users = [pid for pid in users if _alive(pid)]
            if users:
                STATE.write_text(json.dumps({"users": users, "pids": state["pids"]}))
            else:
                _stop(state["pids"])
                STATE.unlink(missing_ok=True)
