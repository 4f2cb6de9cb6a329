"""sd_notify: the datagrams arrive on a real Unix socket the test owns, as systemd gets them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.events import State, Status
from device.service import notify as notify
from device.service.listeners import SystemdListener
from device.service.notify import Notifier, describe_status
from device.voice.speaker import VoiceProblem


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(5)
    try:
        yield sock, path
    finally:
        sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_each_message_is_one_datagram(listener):
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.enabled
    assert notifier.ready("Idle")
    assert received(sock) == "READY=1\nSTATUS=Idle"
    assert notifier.status("Resting:\n20 s  left")
    assert received(sock) == "STATUS=Resting: 20 s left"
    assert notifier.watchdog()
    assert received(sock) == "WATCHDOG=1"
    assert notifier.stopping()
    assert received(sock) == "STOPPING=1"
    assert notifier.extend_timeout(2.5)
    assert received(sock) == "EXTEND_TIMEOUT_USEC=2500000"
    notifier.close()
    assert notifier.ready()
    assert received(sock) == "READY=1"


def test_a_reader_that_stops_reading_never_holds_the_sender(listener, monkeypatch):
    # The listener reads nothing: once its queue is full a blocking send would wait for
    # ever, and with it the worker's status updates and the stop that needs the same lock.
    monkeypatch.setattr(notify, "SEND_TIMEOUT", 0.05)
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path})
    results: list[bool] = []
    sender = threading.Thread(
        target=lambda: results.extend(notifier.status(f"{n}") for n in range(200)), daemon=True
    )
    sender.start()
    sender.join(30)
    assert not sender.is_alive()
    assert results[0] and not results[-1]  # the first arrived; the queue then filled
    stopper = threading.Thread(target=notifier.stopping, daemon=True)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive()
    assert received(sock) == "STATUS=0"  # what was queued is still there, in order


def test_an_abstract_socket_is_reached_through_its_at_sign():
    name = f"spotter-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(b"\0" + name.encode())
    sock.settimeout(5)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).watchdog()
        assert received(sock) == "WATCHDOG=1"
    finally:
        sock.close()


@pytest.mark.parametrize("value", ["", "relative/notify.sock"])
def test_without_a_usable_socket_nothing_is_sent(value):
    notifier = Notifier({"NOTIFY_SOCKET": value} if value else {})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()


def test_a_socket_nobody_listens_on_fails_quietly_and_warns_once(tmp_path, caplog):
    notifier = Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    assert not notifier.watchdog()
    assert not notifier.watchdog()
    assert caplog.text.count("cannot tell systemd") == 1


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"}, 15.0),
        ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_the_watchdog_interval_is_half_the_timeout_for_the_watched_process(env, expected):
    assert Notifier(env, pid=4242).watchdog_interval() == expected


def test_the_module_functions_use_the_process_environment(listener, tmp_path):
    _, path = listener
    # A fresh interpreter: the process-wide notifier reads os.environ once.
    code = (
        "from device.service import notify\n"
        "assert notify.ready('Idle')\n"
        "assert notify.status('Working')\n"
        "assert notify.watchdog()\n"
        "assert notify.stopping()\n"
        "print(notify.watchdog_interval())\n"
    )
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"}
    env.pop("WATCHDOG_PID", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "2.0"
    sock = listener[0]
    assert [received(sock) for _ in range(4)] == [
        "READY=1\nSTATUS=Idle",
        "STATUS=Working",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_module_functions_do_nothing_without_systemd(monkeypatch):
    monkeypatch.setattr(notify, "_default", Notifier({}))
    assert not notify.ready()
    assert not notify.status("Idle")
    assert not notify.watchdog()
    assert not notify.stopping()
    assert notify.watchdog_interval() is None


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (Status(), "Idle"),
        (
            Status(routine_id="lb", routine_name="Lower-back relief"),
            "Idle, ready to start Lower-back relief",
        ),
        (
            Status(
                state=State.SET,
                routine_name="Lower-back relief",
                exercise_index=1,
                exercise_name="Reverse ab curls",
                set=2,
                sets=3,
                rep=4,
                reps=10,
            ),
            "Working: Reverse ab curls, set 2 of 3, rep 4 of 10",
        ),
        (
            Status(
                state=State.HOLD,
                exercise_name="Hip flexor wall stretch",
                set=1,
                sets=3,
                side="left",
                remaining_seconds=12,
            ),
            "Holding: Hip flexor wall stretch, set 1 of 3, left side, 12 s left",
        ),
        (
            Status(
                state=State.REST,
                exercise_name="Glute hip thrusts",
                set=3,
                sets=3,
                remaining_seconds=40,
            ),
            "Resting: Glute hip thrusts, set 3 of 3, 40 s left",
        ),
        (
            Status(state=State.PAUSED, exercise_name="Glute hip thrusts", set=1, sets=3),
            "Paused: Glute hip thrusts, set 1 of 3",
        ),
        (
            Status(state=State.INTRO, exercise_name="Glute hip thrusts"),
            "Starting: Glute hip thrusts",
        ),
        (Status(state=State.DONE, routine_name="Lower-back relief"), "Finished Lower-back relief"),
    ],
)
def test_the_status_line_says_what_spotter_is_doing(status, text):
    assert describe_status(status) == text


def test_a_signal_handler_may_notify_while_the_same_thread_is_sending(listener):
    _, path = listener
    # The handler runs on the main thread while it holds the notifier's lock (as if
    # SIGTERM came in mid-send); a plain lock would hang here, so this runs apart.
    code = (
        "import os, signal\n"
        "from device.service.notify import Notifier\n"
        f"n = Notifier({{'NOTIFY_SOCKET': {path!r}}})\n"
        "signal.signal(signal.SIGTERM, lambda *a: n.stopping())\n"
        "with n._lock:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    n.watchdog()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)
    sock = listener[0]
    assert [received(sock), received(sock)] == ["STOPPING=1", "WATCHDOG=1"]


def test_systemd_hears_the_status_with_the_voices_problem_and_each_round(listener):
    sock, path = listener
    systemd = SystemdListener(Notifier({"NOTIFY_SOCKET": path}))
    idle = Status(state=State.IDLE, routine_name="Knee")
    systemd.status_changed(idle)
    assert received(sock) == f"STATUS={describe_status(idle)}"
    # A problem is told at once, on the status last shown; and goes when it heals.
    systemd.voice_problem(VoiceProblem("silent for 3 min", restart_helps=True))
    assert received(sock) == f"STATUS={describe_status(idle, 'silent for 3 min')}"
    systemd.voice_problem(None)
    assert received(sock) == f"STATUS={describe_status(idle)}"
    systemd.alive()
    assert received(sock) == "WATCHDOG=1"
