"""numpy levels lines in the render processes and never enters the daemon itself.

The real daemon runs as a subprocess and renders the routine's lines through its
real espeak-ng process; the memory maps of both say which holds numpy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SPOTTER = [sys.executable, "-m", "device.cli"]


def _maps(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ""


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def test_the_daemon_never_maps_numpy_while_its_render_processes_do(tmp_path):
    data_dir = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text("")
    env = dict(os.environ, SPOTTER_DATA_DIR=str(data_dir), SPOTTER_CONFIG=str(config))
    env.pop("NOTIFY_SOCKET", None)
    process = subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--silent", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        levelling = []
        while not levelling and time.monotonic() < deadline:
            time.sleep(0.2)
            levelling = [c for c in _children(process.pid) if "numpy" in _maps(c)]
        assert levelling, "no render process of the daemon has loaded numpy"
        assert "numpy" not in _maps(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
