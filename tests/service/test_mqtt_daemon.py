"""``spotter run --simulate`` with a broker configured: Home Assistant's view of a running
device, and a broker that goes away mid-workout. Everything is real: the daemon, Mosquitto
and the MQTT client standing in for Home Assistant."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from device.service.homeassistant import node_id
from device.service.mdns import host_name
from routines.store import Store
from tests import mosquitto
from tests.checkin_support import without_checkins
from tests.mosquitto import Listener
from tests.ports import free_port

broker = mosquitto.broker

SPOTTER = [sys.executable, "-m", "device.cli"]
NODE = node_id(host_name())
BASE = f"spotter/{NODE}"


class Daemon:
    """A running ``spotter run --simulate``; its printed lines are collected as they come."""

    def __init__(
        self, tmp_path: Path, broker_port: int, preexec_fn: Callable[[], None] | None = None
    ) -> None:
        config = tmp_path / "spotter.toml"
        config.write_text(f'[mqtt]\nhost = "127.0.0.1"\nport = {broker_port}\n')
        # These tests are about MQTT: the shipped routine starts without its pain check-in.
        with Store.open(tmp_path / "data") as store:
            without_checkins(store)
        env = {**os.environ, "SPOTTER_DATA_DIR": str(tmp_path / "data")}
        env.pop("NOTIFY_SOCKET", None)
        self.process = subprocess.Popen(
            [*SPOTTER, "run", "--simulate", "--silent", "--config", str(config), "--port", "0",
             "--host", "127.0.0.1"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            preexec_fn=preexec_fn,
        )  # fmt: skip
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20.0, *, after: int = 0) -> int:
        """The index of the first printed line from ``after`` on that contains ``text``."""
        with self._changed:
            found: list[int] = []

            def seen() -> bool:
                found[:] = [i for i, line in enumerate(self.lines) if i >= after and text in line]
                return bool(found)

            assert self._changed.wait_for(seen, timeout), f"no {text!r} in {self.lines}"
            return found[0]

    def key(self, keys: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(keys)
        self.process.stdin.flush()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(20)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def daemon_for(tmp_path):
    started: list[Daemon] = []

    def start(port: int) -> Daemon:
        started.append(Daemon(tmp_path, port))
        return started[-1]

    yield start
    for daemon in started:
        daemon.kill()


def state_is(state: str):
    return lambda m: m.topic == f"{BASE}/state" and m.json()["state"] == state


def test_home_assistant_sees_presses_and_drives_a_running_spotter(broker, daemon_for):
    listener = Listener(broker.port, "homeassistant/#", f"{BASE}/#")
    try:
        daemon = daemon_for(broker.port)
        listener.on(f"homeassistant/sensor/{NODE}/state/config", timeout=30)
        listener.on(f"homeassistant/button/{NODE}/press/config")
        listener.on(f"homeassistant/event/{NODE}/button/config")
        listener.wait_for(lambda m: m.topic == f"{BASE}/availability" and m.payload == b"online")
        listener.wait_for(state_is("idle"))

        # A press from Home Assistant starts the routine, as the button would.
        listener.publish(f"{BASE}/command", "press")
        intro = listener.wait_for(state_is("intro"))
        assert intro.json()["exercise"] == "Hip flexor wall stretch"
        assert not any(m.topic == f"{BASE}/gesture" for m in listener.messages)

        # The real (simulated) button: a press shows up as an event, and moves the workout on.
        seen = len(listener.messages)
        daemon.key("\n")
        event = listener.on(f"{BASE}/gesture", after=seen)
        assert event.json() == {"event_type": "press"}
        assert listener.wait_for(state_is("set"), after=seen).json()["set"] == 1

        # A bad command is ignored; the daemon keeps going.
        listener.publish(f"{BASE}/command", "self-destruct")
        seen = len(listener.messages)
        listener.publish(f"{BASE}/command", "pause")
        listener.wait_for(state_is("paused"), after=seen)
        daemon.wait_for("ignored the command 'self-destruct'")

        seen = len(listener.messages)
        assert daemon.stop() == 0
        offline = listener.on(f"{BASE}/availability", after=seen)
        assert offline.payload == b"offline"
    finally:
        listener.close()


def test_a_broker_killed_mid_workout_leaves_the_workout_going(broker, daemon_for):
    listener = Listener(broker.port, f"{BASE}/#")
    daemon = daemon_for(broker.port)
    try:
        listener.wait_for(state_is("idle"), timeout=30)
        daemon.key("\n")  # the routine's introduction
        listener.wait_for(state_is("intro"))
    finally:
        listener.close()
    broker.kill()
    mark = len(daemon.lines)
    daemon.key("\n\n")  # set 1, then its hold: with no broker
    daemon.wait_for("Hold for 30 seconds", after=mark)
    broker.start()  # empty: it kept nothing from before
    listener = Listener(broker.port, f"{BASE}/#", "homeassistant/#")
    try:
        state = listener.wait_for(state_is("hold"), timeout=40)
        assert state.json()["exercise"] == "Hip flexor wall stretch"
        listener.on(f"homeassistant/sensor/{NODE}/rep/config")
        listener.publish(f"{BASE}/command", "pause")
        listener.wait_for(state_is("paused"))
    finally:
        listener.close()
    assert daemon.process.poll() is None


@pytest.mark.parametrize("broker_kind", ["nothing listening", "never answers"])
def test_a_missing_or_mute_broker_never_delays_the_button(tmp_path, daemon_for, broker_kind):
    mute = None
    if broker_kind == "never answers":
        # Takes the connection (the kernel's backlog) and never says a word.
        mute = socket.socket()
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        port = mute.getsockname()[1]
    else:
        port = free_port()
    try:
        daemon = daemon_for(port)
        daemon.wait_for("Simulated button")
        mark = len(daemon.lines)
        daemon.key("\n")
        daemon.wait_for("Exercise 1 of 4", timeout=10, after=mark)
        mark = len(daemon.lines)
        daemon.key("\n\n")
        daemon.wait_for("Hold for 30 seconds", timeout=10, after=mark)
        assert daemon.stop() == 0
    finally:
        if mute is not None:
            mute.close()
