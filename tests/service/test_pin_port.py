"""The allowance of wrong PINs across the port: the daemon keeps it, any page process
it starts asks for it, nothing the page sends can grow it or break it, and a page that
cannot ask judges no PIN."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.control import MustWait
from device.service import port_socket
from device.service.pin_throttle import FIRST_WAIT, FREE_TRIES, MAX_OPEN, PinThrottle
from device.service.port_socket import PortClient, PortServer, private_socket_path
from device.testing import FakeClock
from routines.store import Store
from tests.dummy_control import DummyControl
from tests.service.test_port_socket import Control, raw_call
from tests.web_support import post_form
from web_config import create_app
from web_config.access_pin import hash_pin

PIN = "246810"


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[PinThrottle, PortServer]]:
    pins = PinThrottle(FakeClock())
    server = PortServer(Control(), private_socket_path(str(tmp_path)), pins=pins).start()
    try:
        yield pins, server
    finally:
        server.close()


def test_a_page_started_again_finds_the_wait_where_the_last_one_left_it(daemon):
    _, server = daemon
    first_page = PortClient(server.path, timeout=5)
    tickets = [first_page.pins.start() for _ in range(FREE_TRIES)]
    assert len(set(tickets)) == FREE_TRIES
    first_page.close()
    again = PortClient(server.path, timeout=5)
    with pytest.raises(MustWait) as refused:
        again.pins.start()
    assert refused.value.seconds == FIRST_WAIT
    assert again.pins.retry_after() == FIRST_WAIT
    assert again.pins.start("owner's phone") > 0  # a known browser's own allowance
    again.pins.right(tickets[-1])  # that PIN was right after all
    assert again.pins.retry_after() == 0
    again.close()


BAD = [
    ("pin_start", {"known": 7}, "known: must be text"),
    ("pin_start", {"known": ""}, "known: must be 1 to 64 characters"),
    ("pin_start", {"known": "x" * 65}, "known: must be 1 to 64 characters"),
    ("pin_retry_after", {"known": ["a"]}, "known: must be text"),
    ("pin_right", {}, "ticket: must be a whole number"),
    ("pin_right", {"ticket": "1"}, "ticket: must be a whole number"),
    ("pin_right", {"ticket": True}, "ticket: must be a whole number"),
    ("pin_right", {"ticket": 0}, "ticket: must be from 1 to"),
    ("pin_right", {"ticket": 2**70}, "ticket: must be from 1 to"),
    ("pin_right", {"ticket": 1.5}, "ticket: must be a whole number"),
]


@pytest.mark.parametrize(("call", "args", "error"), BAD)
def test_bad_pin_calls_are_refused_by_name_and_change_nothing(daemon, call, args, error):
    pins, server = daemon
    ticket = pins.start()
    line = json.dumps({"call": call, "args": args}).encode() + b"\n"
    assert raw_call(server.path, line)["error"].startswith(error)
    assert pins.retry_after() == 0
    pins.right(ticket)  # still open: nothing above took it back
    for _ in range(FREE_TRIES):
        pins.start()
    assert pins.retry_after() == FIRST_WAIT


def test_a_flood_of_tries_from_the_page_leaves_the_daemons_memory_bounded(daemon):
    pins, server = daemon
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(server.path))
        reader = sock.makefile("rb")
        for i in range(5000):
            call = {"call": "pin_start", "args": {"known": f"mark {i}"}}
            sock.sendall(json.dumps(call).encode() + b"\n")
            assert "ticket" in json.loads(reader.readline())["ok"]
    # Looked at directly: how much the daemon holds is the point here.
    assert len(pins._open) == MAX_OPEN
    assert len(pins._known) <= 64
    assert PortClient(server.path, timeout=5).pins.retry_after() == 0  # still answering


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    s.update_settings({"pin_hash": hash_pin(PIN)})
    try:
        yield s
    finally:
        s.close()


def page_with(store: Store, socket_path: Path):
    client = PortClient(socket_path, timeout=5)
    app = create_app({"TESTING": True}, store=store, control=DummyControl(), pins=client.pins)
    return app.test_client()


def refused_untried(page) -> None:
    login = post_form(page, "/login", {"pin": PIN})
    assert login.status_code == 503
    assert "Try again in a few seconds" in login.get_data(as_text=True)
    assert login.headers["Retry-After"] == "5"
    bearer = page.put("/api/settings", json={}, headers={"Authorization": f"Bearer {PIN}"})
    assert bearer.status_code == 503
    assert "cannot check a PIN" in bearer.get_json()["error"]


def test_a_page_whose_daemon_is_gone_judges_no_pin(store, tmp_path):
    refused_untried(page_with(store, private_socket_path(str(tmp_path))))


def test_a_page_given_no_allowance_judges_no_pin(store):
    app = create_app({"TESTING": True}, store=store, control=DummyControl())
    refused_untried(app.test_client())


def test_a_page_whose_daemon_does_not_answer_judges_no_pin(store, tmp_path, monkeypatch):
    monkeypatch.setattr(port_socket, "PIN_CALL_SECONDS", 0.2)
    path = private_socket_path(str(tmp_path))
    busy = socket.socket(socket.AF_UNIX)
    busy.bind(str(path))
    busy.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_say_nothing() -> None:
        while not stop.is_set():
            try:
                held.append(busy.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_and_say_nothing, daemon=True).start()
    try:
        refused_untried(page_with(store, path))
    finally:
        stop.set()
        busy.close()
        for conn in held:
            conn.close()
