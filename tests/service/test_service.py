"""Spotter as systemd runs it: READY, watchdog pings, STATUS, and a clean SIGTERM.

The daemon runs as a real subprocess; the test owns the notify socket, just as
systemd would.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from device.events import Action
from device.service.build import Parts, build
from device.service.config import Config
from device.voice.player import NullPlayer
from tests.dummy_voice import ToneRenderer
from tests.recording_listener import RecordingListener

SPOTTER = [sys.executable, "-m", "device.cli"]


class NotifySocket:
    """The systemd end of sd_notify: a Unix datagram socket that collects messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[tuple[float, str]] = []

    def receive_until(self, predicate, timeout: float) -> bool:
        """Collect datagrams until ``predicate(messages)`` holds, or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return False
            for field in data.decode().split("\n"):
                if field:
                    self.messages.append((time.monotonic(), field))
        return True

    def count(self, field: str) -> int:
        return sum(1 for _, f in self.messages if f == field)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path):
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


def start_spotter(data_dir: Path, notify: NotifySocket, watchdog_usec: int) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        NOTIFY_SOCKET=str(notify.path),
        WATCHDOG_USEC=str(watchdog_usec),
        SPOTTER_DATA_DIR=str(data_dir),
        SPOTTER_CONFIG=str(data_dir.parent / "no-such-config.toml"),
    )
    env.pop("WATCHDOG_PID", None)
    # The config named by SPOTTER_CONFIG must exist; an empty file means the defaults.
    (data_dir.parent / "no-such-config.toml").write_text("")
    return subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--silent", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def stop(process: subprocess.Popen) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


@pytest.mark.slow
def test_ready_watchdog_stopping_and_resume(tmp_path, notify_socket):
    data_dir = tmp_path / "data"
    process = start_spotter(data_dir, notify_socket, watchdog_usec=400_000)
    try:
        assert notify_socket.receive_until(lambda m: any(f == "READY=1" for _, f in m), 30), (
            notify_socket.messages
        )
        ready_at = next(t for t, f in notify_socket.messages if f == "READY=1")
        # Pings every half WatchdogSec: 0.2 s here, so a dozen within ~3 s.
        assert notify_socket.receive_until(lambda m: notify_socket.count("WATCHDOG=1") >= 12, 10)
        pings = [t for t, f in notify_socket.messages if f == "WATCHDOG=1" and t >= ready_at]
        gaps = sorted(b - a for a, b in itertools.pairwise(pings))
        assert 0.1 < gaps[len(gaps) // 2] < 0.35
        statuses = [f for _, f in notify_socket.messages if f.startswith("STATUS=")]
        assert any("Idle" in s for s in statuses)

        # Start the routine (a hold skips the pain check-in) and its first set, so a workout
        # is in progress.
        assert process.stdin is not None
        process.stdin.write("\nh\n\n")
        process.stdin.flush()
        assert notify_socket.receive_until(
            lambda m: any(f.startswith("STATUS=Working") for _, f in m), 15
        ), notify_socket.messages

        code, _, err = stop(process)
        assert code == 0, err
        assert notify_socket.receive_until(lambda m: notify_socket.count("STOPPING=1") == 1, 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    # The next start offers to pick the workout up again.
    process = start_spotter(data_dir, notify_socket, watchdog_usec=400_000)
    try:
        assert notify_socket.receive_until(lambda m: notify_socket.count("READY=1") == 2, 30)
        code, out, err = stop(process)
        assert code == 0, err
        assert "You stopped part way through Lower-back relief" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_hung_engine_loop_stops_the_watchdog_pings(tmp_path):
    """The ping comes from the worker loop itself, so a hang there is seen by systemd."""
    beats: list[float] = []
    beat = threading.Condition()

    def heartbeat() -> None:
        with beat:
            beats.append(time.monotonic())
            beat.notify_all()

    built = build(
        Config(data_dir=tmp_path / "data"),
        Parts(pin_factory=MockFactory(), renderer=ToneRenderer(), player=NullPlayer()),
        listeners=[RecordingListener(on_alive=heartbeat)],
        heartbeat_interval=0.02,
    )
    spotter = built.worker

    release = threading.Event()
    hung = threading.Event()
    real_act = spotter._engine.act

    def hang_on_end(action: Action):
        if action is Action.END:
            hung.set()
            release.wait(10)
        return real_act(action)

    spotter._engine.act = hang_on_end  # the injected fault: the engine stops answering
    try:
        spotter.start()
        with beat:
            assert beat.wait_for(lambda: len(beats) >= 5, timeout=5)
        spotter.act(Action.END)
        assert hung.wait(5)
        with beat:
            frozen = len(beats)
            # Twenty-five heartbeat intervals pass with no ping while the loop is stuck.
            assert not beat.wait_for(lambda: len(beats) > frozen, timeout=0.5)
        release.set()
        with beat:
            assert beat.wait_for(lambda: len(beats) > frozen + 3, timeout=5)
    finally:
        release.set()
        built.close()
