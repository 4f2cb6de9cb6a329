"""The button works from the first moment: a press made while Spotter is still loading is kept.

In-process, the relay that holds edges until the worker exists is driven through
a mock pin before anything else is built. As a real ``spotter run``, a press
goes in 50 ms after the daemon says the pin is set up, while it is still
loading, and must start the workout once it is up.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory

from device.engine.gestures import Edge
from device.hardware.button import ButtonInput
from device.hardware.edge_relay import EdgeRelay
from device.service.notify import BUTTON_LIVE
from tests.service.stopping import DUMPS_STACKS, stopped
from tests.service.test_service import SPOTTER, NotifySocket, start_spotter, stop

PIN = 17


def test_edges_before_the_worker_are_held_and_handed_over_in_order():
    factory = MockFactory()
    relay = EdgeRelay()
    ticks = iter(range(100))
    button = ButtonInput(PIN, relay, lambda: float(next(ticks)), pin_factory=factory)
    try:
        pin = factory.pin(PIN)
        pin.drive_low()
        pin.drive_high()
        taken: list[Edge] = []
        assert relay.connect(taken.append) == 2
        pin.drive_low()
        assert taken == [Edge(True, 0.0), Edge(False, 1.0), Edge(True, 2.0)]
    finally:
        button.close()
        factory.close()


@pytest.mark.slow
def test_a_press_50_ms_after_the_pin_is_set_up_is_answered_once_spotter_is_up(tmp_path):
    notify_socket = NotifySocket(tmp_path / "notify.sock")
    process = start_spotter(tmp_path / "data", notify_socket, watchdog_usec=0)
    try:
        live = f"STATUS={BUTTON_LIVE}"
        assert notify_socket.receive_until(lambda m: any(f == live for _, f in m), 30), (
            notify_socket.messages
        )
        live_at = next(t for t, f in notify_socket.messages if f == live)
        assert not any(f == "READY=1" for _, f in notify_socket.messages)
        time.sleep(max(0.0, live_at + 0.05 - time.monotonic()))
        assert process.stdin is not None
        process.stdin.write("\n")
        process.stdin.flush()
        pressed_at = time.monotonic()
        assert notify_socket.receive_until(lambda m: any(f == "READY=1" for _, f in m), 30)
        ready_at = next(t for t, f in notify_socket.messages if f == "READY=1")
        assert pressed_at < ready_at, "Spotter was up before the press: nothing was proved"

        def started(messages: list[tuple[float, str]]) -> bool:
            return any(
                f.startswith("STATUS=") and not f.startswith(("STATUS=Idle", live))
                for _, f in messages
            )

        assert notify_socket.receive_until(started, 30), notify_socket.messages
        code, out, err = stop(process)
        assert code == 0, err
        assert "Hip flexor" in out  # the workout's first exercise was announced
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        notify_socket.close()


@pytest.mark.slow
def test_a_web_page_that_cannot_start_leaves_the_button_working(tmp_path):
    notify = NotifySocket(tmp_path / "notify.sock")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, **DUMPS_STACKS, "NOTIFY_SOCKET": str(notify.path)}
        data, address = str(tmp_path / "data"), ["--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            [*SPOTTER, "run", "--simulate", "--silent", "--data-dir", data, *address],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        logged: list[str] = []
        web_failed = threading.Event()

        def read_log() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                logged.append(line)
                if "the button works without it" in line:
                    web_failed.set()

        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        try:
            assert notify.receive_until(lambda m: any(f == "READY=1" for _, f in m), 30)
            # The page loads after READY, on its own thread: wait until it has given up.
            assert web_failed.wait(30), logged
            assert any(f"cannot serve the web page on 127.0.0.1:{port}" in line for line in logged)
            assert process.stdin is not None
            process.stdin.write("\n")
            process.stdin.flush()
            assert notify.receive_until(
                lambda m: any(f.startswith("STATUS=") and "Hip flexor" in f for _, f in m), 30
            ), notify.messages
            process.send_signal(signal.SIGTERM)
            # A stop closes the speech engine's processes and backs the store up: on a
            # machine as loaded as the parallel suite makes it, that can take a while.
            assert stopped(process, 60, lambda: "".join(logged)) == 0, logged
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            reader.join(5)
            notify.close()
