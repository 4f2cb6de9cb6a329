"""Each endpoint its own body limit: a real backup of a full store is restored through the
real server, while every other endpoint still refuses anything bigger than it needs."""

from __future__ import annotations

import http.client
import json
import random
import re
import string
import uuid

import pytest

from routines.backup import write_backup
from routines.validation import parse_routine
from tests.attack.live_server import connect, read_answer, serving
from web_config.server import MAX_BODY_BYTES, UPLOADS_AT_ONCE

pytestmark = pytest.mark.attack

ROUTINES = 60


def _words(rng: random.Random, length: int) -> str:
    # Text that does not compress away, as real notes do not.
    return "".join(rng.choice(string.ascii_lowercase + "     ") for _ in range(length)).strip()


def _full_routine(number: int, rng: random.Random) -> dict[str, object]:
    exercises = [
        {
            "name": f"Move {number}-{index}",
            "sets": 3,
            "reps": 10,
            "setup": [_words(rng, 280)],
            "cues": [_words(rng, 280) for _ in range(3)],
        }
        for index in range(20)
    ]
    return {"name": f"Routine {number}", "description": _words(rng, 1900), "exercises": exercises}


@pytest.fixture
def full_backup(store, tmp_path) -> bytes:
    rng = random.Random(7)
    made = [store.create_routine(parse_routine(_full_routine(n, rng))) for n in range(ROUTINES)]
    path = tmp_path / "full.sqlite3"
    write_backup(store, path, with_pin=False)
    # Gone again, so that only a restore brings them back.
    for routine in made:
        store.delete_routine(routine.routine.id)
    assert len(store.list_routines()) < ROUTINES
    return path.read_bytes()


def _post(server, path: str, body: bytes, kind: str) -> tuple[int, bytes]:
    with connect(server) as sock:
        sock.settimeout(30)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        answer = read_answer(sock)
    head_bytes, _, rest = answer.partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), rest


def test_a_real_backup_of_a_full_store_is_restored(app, store, full_backup):
    assert len(full_backup) > 1024 * 1024, len(full_backup)
    with serving(app) as server:
        status, body = _post(server, "/api/restore", full_backup, "application/octet-stream")
    assert status == 200, body[:300]
    assert len(store.list_routines()) >= ROUTINES


def test_other_endpoints_still_refuse_a_body_of_that_size(app, full_backup):
    big = json.dumps({"gesture": "press", "pad": "x" * len(full_backup)}).encode()
    with serving(app) as server:
        for path in ("/api/button", "/api/routines", "/api/settings"):
            status, _ = _post(server, path, big, "application/json")
            assert status == 413, path
        status, _ = _post(server, "/api/button", b"x" * (MAX_BODY_BYTES + 1), "application/json")
        assert status == 413


def test_the_settings_form_restores_the_same_backup(app, store, full_backup):
    with serving(app) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        conn.request("GET", "/settings/", headers={"Host": "localhost"})
        page = conn.getresponse()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page.read())
        assert token is not None
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                f"{token.group(1).decode()}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f'name="backup"; filename="full.sqlite3"\r\n'
                "Content-Type: application/vnd.sqlite3\r\n\r\n"
            ).encode()
            + full_backup
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {
            "Host": "localhost",
            "Cookie": cookie,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        }
        conn.request("POST", "/settings/restore", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        conn.close()
    assert answer.status == 302, answer.status
    assert len(store.list_routines()) >= ROUTINES


def _start_upload(server, length: int):
    """A restore upload whose headers the server has read (it said 100 Continue)."""
    sock = connect(server)
    sock.settimeout(30)
    sock.sendall(
        (
            f"POST /api/restore HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n"
            "Expect: 100-continue\r\n\r\n"
        ).encode()
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 100"), "the server did not read the headers"
    return sock


def test_only_two_backups_are_received_at_a_time(app, store, full_backup):
    size = len(full_backup)
    with serving(app) as server:
        slow = [_start_upload(server, size) for _ in range(UPLOADS_AT_ONCE)]
        try:
            # A third, while those two are still arriving, gets only the usual limit.
            status, _ = _post(server, "/api/restore", full_backup, "application/octet-stream")
            assert status == 413
            for sock in slow:
                sock.sendall(full_backup)
                answer = read_answer(sock)
                assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
        finally:
            for sock in slow:
                sock.close()
        # Once they are in, the next one is taken again.
        status, _ = _post(server, "/api/restore", full_backup, "application/octet-stream")
        assert status == 200
