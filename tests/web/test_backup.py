"""Backups over HTTP: GET /api/backup, POST /api/restore and the Settings page's forms."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from routines.backup import MAX_BACKUP_BYTES
from routines.changes import REPLACED_FILE
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, csrf, post_form
from web_config.access_pin import hash_pin

RAW = {"Content-Type": "application/octet-stream"}


def download(client, **headers: str) -> bytes:
    response = client.get("/api/backup", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.sqlite3"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="spotter-')
    return response.get_data()


def test_back_up_change_restore_over_the_api(client, store, control):
    add_workout(store, finished_at=WEDNESDAY_NOON - 3600, minutes=20)
    store.update_settings({"default_rest_seconds": 40})
    before = contents(store)
    backup = download(client)

    store.update_settings({"default_rest_seconds": 90})
    store.delete_routine("lower-back")
    response = client.post("/api/restore", data=backup, headers=RAW)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "restored": True,
        "previous": "spotter.db.previous",
        "workout_ended": False,
    }
    assert contents(store) == before
    assert REPLACED_FILE in control.heard()  # the worker re-reads the routine it starts


def test_with_a_pin_only_someone_logged_in_gets_a_backup_pin_hash_and_all(client, store):
    pin_hash = hash_pin("2468")
    store.update_settings({"pin_hash": pin_hash})
    assert client.get("/api/backup").status_code == 401
    assert pin_hash.encode() in download(client, Authorization="Bearer 2468")


def damaged(good: bytes) -> bytes:
    return good[:2048] + b"\xa5" * 2048 + good[4096:]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda good: b"name: a routine\n", "not a Spotter backup"),
        (damaged, "damaged"),
        (lambda good: b"SQLite format 3\x00" + b"\0" * (MAX_BACKUP_BYTES + 1), "at most"),
    ],
    ids=["text", "damaged", "oversized"],
)
def test_a_bad_file_gets_a_422_saying_why_and_nothing_changes(client, store, control, make, why):
    body = make(download(client))
    store.update_settings({"default_rest_seconds": 40})
    before = contents(store)
    files = sorted(p.name for p in store.path().parent.iterdir())
    response = client.post("/api/restore", data=body, headers=RAW)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert why in error
    assert "Nothing was changed" in error
    assert contents(store) == before
    assert sorted(p.name for p in store.path().parent.iterdir()) == files
    assert control.calls == []


def test_a_foreign_database_is_refused(client, store, tmp_path):
    path = tmp_path / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    response = client.post("/api/restore", data=path.read_bytes(), headers=RAW)
    assert response.status_code == 422
    assert "not a Spotter backup" in response.get_json()["error"]


def test_a_restore_needs_the_pin_and_a_file_type_no_plain_form_can_send(client, store):
    backup = download(client)
    store.update_settings({"pin_hash": hash_pin("2468")})
    before = contents(store)
    assert client.post("/api/restore", data=backup, headers=RAW).status_code == 401
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = client.post(
            "/api/restore",
            data=backup,
            headers={"Content-Type": content_type, "Authorization": "Bearer 2468"},
        )
        assert response.status_code == 415
    assert contents(store) == before
    ok = client.post("/api/restore", data=backup, headers={**RAW, "Authorization": "Bearer 2468"})
    assert ok.status_code == 200


def test_the_settings_page_downloads_and_restores(client, store, control):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'href="/api/backup"' in page
    backup = download(client)
    store.update_settings({"default_rest_seconds": 90})
    response = client.post(
        "/settings/restore",
        data={"csrf_token": csrf(client), "backup": (io.BytesIO(backup), "corner.sqlite3")},
    )
    assert response.status_code == 302
    assert store.settings().default_rest_seconds == 30
    assert "Restored." in client.get("/settings/").get_data(as_text=True)

    response = post_form(client, "/settings/restore", {"backup": (io.BytesIO(b"junk"), "x")})
    assert "Not restored: the file is not a Spotter backup" in client.get("/settings/").get_data(
        as_text=True
    )
    without_token = client.post(
        "/settings/restore", data={"backup": (io.BytesIO(backup), "corner.sqlite3")}
    )
    assert without_token.status_code == 400


def test_the_previous_store_is_kept_beside_the_new_one(client, store):
    backup = download(client)
    store.update_settings({"default_rest_seconds": 77})
    client.post("/api/restore", data=backup, headers=RAW)
    previous = Path(store.path()).with_name("spotter.db.previous")
    conn = sqlite3.connect(previous)
    try:
        (value,) = conn.execute(
            "SELECT value FROM settings WHERE key = 'default_rest_seconds'"
        ).fetchone()
    finally:
        conn.close()
    assert json.loads(value) == 77
