"""The port over its Unix socket: every call reaches the daemon's control and comes back
as the same values, and nothing malformed gets past the daemon's checks."""

from __future__ import annotations

import json
import socket
import stat
import threading
from pathlib import Path

import pytest

from device.control import ClickerInfo, EffectiveSettings
from device.events import Action, Gesture, State, Status
from device.service.port_socket import (
    PortClient,
    PortGone,
    PortRefused,
    PortServer,
    private_socket_path,
)
from routines.settings import Settings
from routines.validation import load_library


class Control:
    """A daemon's side that records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.version = 0
        self.changed = threading.Event()

    def status(self) -> Status:
        return Status(state=State.HOLD, routine_id="r", set=2, counted_clickers=("ring",))

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        self.changed.wait(timeout)
        return self.version, Status(state=State.REST, remaining_seconds=12)

    def act(self, action: Action) -> None:
        self.calls.append(("act", action))

    def gesture(self, gesture: Gesture) -> None:
        self.calls.append(("gesture", gesture))

    def late_score_since(self, now: float) -> float:
        return now - 7200.0

    def settings(self) -> EffectiveSettings:
        return EffectiveSettings(
            Settings(voice_rate=150, pin_hash="x"), {"voice_rate": "/etc/s.toml"}
        )

    def preview(self, routine) -> list[str]:
        self.calls.append(("preview", routine))
        return [f"{routine.name}.", "Done."]

    def answer(self, question: str, value: int) -> None:
        self.calls.append(("answer", (question, value)))

    def test_voice(self, text: str) -> None:
        self.calls.append(("test_voice", text))

    def voices(self) -> list[tuple[str, str]]:
        return [("en", "English")]

    def pair_clicker(self) -> None:
        self.calls.append(("pair", None))

    def clickers(self) -> list[ClickerInfo]:
        return [ClickerInfo("ring", pinned_owner="Ann", holds=False)]


@pytest.fixture
def served(tmp_path: Path):
    control = Control()
    server = PortServer(control, private_socket_path(str(tmp_path))).start()
    client = PortClient(server.path, timeout=5)
    try:
        yield control, server, client
    finally:
        client.close()
        server.close()


def test_every_call_crosses_the_socket_with_its_values(served):
    control, _, client = served
    assert client.status() == control.status()
    assert client.settings() == control.settings()
    assert client.late_score_since(10_000.0) == 2800.0
    assert client.voices() == [("en", "English")]
    assert client.clickers() == control.clickers()
    routine = next(iter(load_library()))
    assert client.preview(routine) == [f"{routine.name}.", "Done."]
    client.act(Action.SKIP)
    client.gesture(Gesture.DOUBLE)
    client.answer("pain_after", 4)
    client.test_voice("Hello.")
    client.pair_clicker()
    assert control.calls == [
        ("preview", routine),
        ("act", Action.SKIP),
        ("gesture", Gesture.DOUBLE),
        ("answer", ("pain_after", 4)),
        ("test_voice", "Hello."),
        ("pair", None),
    ]


def test_a_long_wait_holds_its_own_connection_only(served):
    control, _, client = served
    waited: list[tuple[int, Status]] = []
    waiter = PortClient(client._path, timeout=5)
    thread = threading.Thread(target=lambda: waited.append(waiter.wait_for_change(0, 30)))
    thread.start()
    assert client.status().state is State.HOLD  # answered while the other waits
    control.version = 3
    control.changed.set()
    thread.join(10)
    waiter.close()
    assert waited == [(3, Status(state=State.REST, remaining_seconds=12))]


def test_the_socket_is_its_owners_alone(served):
    _, server, _ = served
    assert stat.S_IMODE(server.path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(server.path.stat().st_mode) & 0o077 == 0


def raw_call(path: Path, line: bytes) -> dict:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(line)
        return json.loads(sock.makefile("rb").readline())


def test_bad_calls_are_refused_by_name_and_reach_nothing(served):
    control, server, client = served
    assert "not a call" in raw_call(server.path, b"{nonsense\n")["error"]
    assert "not a call" in raw_call(server.path, b'{"call": "exec"}\n')["error"]
    refused = raw_call(server.path, b'{"call": "act", "args": {"action": "format_disk"}}\n')
    assert refused["error"].startswith("action:")
    bad_routine = {"call": "preview", "args": {"routine": {"id": "x", "exercises": []}}}
    assert raw_call(server.path, json.dumps(bad_routine).encode() + b"\n")["error"].startswith(
        "routine:"
    )
    with pytest.raises(PortRefused, match="value: must be a whole number"):
        client._call("answer", question="who", value="1; drop table")
    assert control.calls == []


def test_a_call_longer_than_the_cap_is_cut_off(served, monkeypatch):
    from device.service import port_socket

    monkeypatch.setattr(port_socket, "MAX_CALL_BYTES", 1000)
    _, server, _ = served
    assert raw_call(server.path, b'{"call": "status", "pad": "' + b"x" * 5000 + b'"}\n') == {
        "error": "call too long"
    }


def test_a_daemon_that_is_gone_is_a_clear_error_and_a_new_one_is_reached(tmp_path):
    path = private_socket_path(str(tmp_path))
    client = PortClient(path, timeout=2)
    with pytest.raises(PortGone, match="cannot be reached"):
        client.status()
    server = PortServer(Control(), path).start()
    try:
        assert client.status().state is State.HOLD
    finally:
        server.close()
    with pytest.raises(PortGone):
        client.status()
    client.close()
