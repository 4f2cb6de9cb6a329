"""Clients that hold connections or send too much: M2 and M3, with real sockets on loopback."""

from __future__ import annotations

import json
import logging
import socket
import time
from contextlib import ExitStack

import pytest

from device.testing import FakeClock
from tests.attack.live_server import BOUND, closed_by_server, connect, get, read_answer, serving
from tests.big_history import add_to
from web_config import server as server_module
from web_config.refusals import OncePerPeriod, RefusalLog
from web_config.server import (
    MAX_BODY_BYTES,
    PER_ADDRESS,
    SLOW_READERS,
    THREADS,
    quiet_queue_warnings,
    server_settings,
)

pytestmark = pytest.mark.attack


def _post_head(path: str, length: int | None, *, chunked: bool = False) -> bytes:
    size = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    return (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"{size}\r\n\r\n"
    ).encode()


def test_a_huge_content_length_is_refused_before_any_body_is_sent(app):
    with serving(app) as server, connect(server) as sock:
        sock.sendall(_post_head("/api/button", 400 * 1024 * 1024))
        started = time.monotonic()
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert time.monotonic() - started < BOUND
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body["error"] == "That was too big: Spotter accepts at most 256 KB at a time."


def test_a_chunked_body_is_cut_off_at_the_limit(app, control):
    chunk = b"x" * 4096
    with serving(app) as server, connect(server) as sock:
        sock.sendall(_post_head("/api/button", None, chunked=True))
        sent = 0
        # Never sends the closing chunk: the server must stop on the size alone.
        while sent <= MAX_BODY_BYTES:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    assert control.calls == []


def test_a_body_at_the_limit_still_reaches_the_app(app):
    body = json.dumps({"gesture": "press", "pad": "x" * (MAX_BODY_BYTES - 40)}).encode()
    body = body[: MAX_BODY_BYTES - 2] + b'"}' if len(body) > MAX_BODY_BYTES else body
    with serving(app) as server, connect(server) as sock:
        sock.sendall(_post_head("/api/button", len(body)) + body)
        answer = read_answer(sock)
    # The app judged it (422: an unknown field), so waitress let it through.
    assert answer.startswith(b"HTTP/1.1 422"), answer[:80]


def test_status_answers_while_two_hundred_connections_sit_idle(app):
    with serving(app) as server, ExitStack() as held:
        # Spread over ten addresses, as two hundred phones would be.
        for i in range(200):
            held.enter_context(connect(server, f"127.0.0.{10 + i % 10}"))
        status, body = get(server, "/api/status")
    assert status == 200
    assert json.loads(body)["state"] == "idle"


def test_half_sent_requests_hold_no_worker(app):
    with serving(app) as server, ExitStack() as held:
        for i in range(30):
            sock = held.enter_context(connect(server, f"127.0.0.{40 + i % 3}"))
            sock.sendall(b"GET /api/status HTTP/1.1\r\nHost: loc")
        assert get(server, "/api/status")[0] == 200


def test_one_address_cannot_take_every_connection(app):
    with serving(app) as server, ExitStack() as held:
        socks = [held.enter_context(connect(server, "127.0.0.66")) for _ in range(PER_ADDRESS + 8)]
        dropped = sum(closed_by_server(s) for s in socks[PER_ADDRESS:])
        assert dropped == 8
        assert get(server, "/api/status", "127.0.0.67")[0] == 200


def test_idle_connections_are_closed(app):
    with serving(app, idle_timeout=1) as server, connect(server) as sock:
        assert closed_by_server(sock)


def test_a_request_sent_a_byte_at_a_time_is_dropped(app):
    request = b"GET /api/status HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 1000
    with serving(app, request_timeout=1.0) as server, connect(server) as sock:
        sock.settimeout(0.2)
        deadline = time.monotonic() + BOUND
        closed = False
        for byte in request:
            # Each byte is fresh activity, which waitress's idle timeout alone would accept.
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if time.monotonic() > deadline:
                break
    assert closed


def test_refusals_are_logged_once_a_minute_per_kind(caplog):
    clock = FakeClock()
    refusals = RefusalLog(clock)
    with caplog.at_level(logging.WARNING, logger="web_config.refused"):
        for _ in range(1000):
            refusals.refused("body too large")
        refusals.refused("request too slow")
        clock.advance(60)
        refusals.refused("body too large")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "refused: body too large",
        "refused: request too slow",
        "refused: body too large (999 more since the last report)",
    ]


def test_waitress_queue_depth_warnings_come_once_a_minute(caplog):
    clock = FakeClock()
    queue_log = logging.getLogger("waitress.queue")
    quiet = OncePerPeriod(clock)
    saved = list(queue_log.filters)
    queue_log.filters[:] = [quiet]
    try:
        with caplog.at_level(logging.WARNING, logger="waitress.queue"):
            for depth in range(500):
                queue_log.warning("Task queue depth is %d", depth)
            clock.advance(61)
            queue_log.warning("Task queue depth is %d", 3)
        assert len(caplog.records) == 2
    finally:
        queue_log.filters[:] = saved


def test_the_server_quiets_the_queue_warning():
    quiet_queue_warnings()
    quiet_queue_warnings()
    filters = logging.getLogger("waitress.queue").filters
    assert sum(isinstance(f, OncePerPeriod) for f in filters) == 1


def _pipeline_unread(server, path: str, count: int, source: str) -> socket.socket:
    """A connection that sends ``count`` requests for ``path`` at once and reads nothing."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A small window, so that the server's side fills up soon.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(BOUND)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", int(server.effective_port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode() * count)
    return sock


def _status_time(server) -> float:
    started = time.monotonic()
    status, body = get(server, "/api/status")
    assert status == 200 and json.loads(body)["state"] == "idle"
    return time.monotonic() - started


def _until_all_stuck(server, timeout: float = 40.0) -> None:
    """Wait until each connection has its output buffer full (its worker would wait for
    the client), or has been dropped."""
    high = server_settings()["outbuf_high_watermark"]
    deadline = time.monotonic() + timeout
    while len(server.active_channels) < THREADS and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the server to take the connections in
    while time.monotonic() < deadline:
        channels = list(server.active_channels.values())
        if all(c.total_outbufs_len > high for c in channels):
            return
        time.sleep(0.05)
    raise AssertionError("the answers never filled the buffers")


# An answer bigger than what the kernel's socket buffers take in (about 7 MB) that anyone
# may ask for while no PIN is set: the CSV of a long history. (A backup was one, but its
# downloads are now limited per minute; a streamed answer also closes its connection, so
# what the client pipelined after it is never served.)
BIG_ANSWER = "/api/history.csv"


@pytest.fixture
def long_history(store):
    add_to(store, 40_000)
    return store


@pytest.mark.serial
def test_status_answers_while_three_clients_pipeline_downloads_and_never_read(app, long_history):
    with serving(app) as server, ExitStack() as held:
        for i in range(THREADS):
            held.enter_context(_pipeline_unread(server, BIG_ANSWER, 150, f"127.0.0.{80 + i}"))
        _until_all_stuck(server)
        times = [_status_time(server) for _ in range(5)]
        assert len(server.active_channels) >= SLOW_READERS  # the patient ones still wait
    assert max(times) < 1.2, times


@pytest.mark.serial
def test_a_client_that_never_reads_its_answers_is_dropped(app, long_history, monkeypatch, caplog):
    monkeypatch.setattr(server_module, "STALLED_SECONDS", 1.0)
    with (
        caplog.at_level(logging.WARNING, logger="web_config.refused"),
        serving(app) as server,
        ExitStack() as held,
    ):
        for i in range(THREADS):
            held.enter_context(_pipeline_unread(server, BIG_ANSWER, 150, f"127.0.0.{90 + i}"))
        _until_all_stuck(server)
        deadline = time.monotonic() + BOUND
        while server.active_channels and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting for the server to give up on them
        assert not server.active_channels
        assert _status_time(server) < 1.0
    assert any(r.getMessage().startswith("refused: answer not read") for r in caplog.records)
