"""The page served by its real waitress server on loopback, for tests that use sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from web_config.server import SpotterServer, make_server

BOUND = 5.0  # seconds any single answer may take before a test calls it missing


@contextmanager
def serving(app: Any, **options: Any) -> Iterator[SpotterServer]:
    """Serve ``app`` on 127.0.0.1 (a free port) while the block runs."""
    server = make_server(app, "127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.run, name="test-web", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(BOUND)


def connect(server: SpotterServer, source: str = "127.0.0.1") -> socket.socket:
    """A connection from ``source`` (any 127.x.y.z address reaches loopback)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(BOUND)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", int(server.effective_port)))
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection or BOUND passes."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def get(server: SpotterServer, path: str, source: str = "127.0.0.1") -> tuple[int, bytes]:
    """One GET on a fresh connection: the status code and the body."""
    with connect(server, source) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
        )
        answer = read_answer(sock)
    if not answer:
        return 0, b""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` within BOUND without being sent anything more."""
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
