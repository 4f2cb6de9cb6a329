"""Backups and restores of a real store file."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from routines.backup import BackupError, check_backup, restore_backup, write_backup
from routines.store import SCHEMA_VERSION, HistoryEntry, Store, StoreBusy
from routines.validation import parse_routine

PIN_HASH = "scrypt$16384$8$1$" + "ab" * 16 + "$" + "cd" * 32


def everything(store: Store) -> tuple[object, ...]:
    return (
        [(s.routine, s.version) for s in store.list_routines()],
        store.active_routine().routine.id if store.active_routine() else None,
        store.settings(),
        [dataclass_tuple(e) for e in store.history()],
    )


def dataclass_tuple(entry: HistoryEntry) -> tuple[object, ...]:
    return (entry.routine_id, entry.finished_at, entry.sets_done, entry.completed)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "data")
    s.create_routine(
        parse_routine(
            {"name": "Corner two", "exercises": [{"name": "Squat", "sets": 2, "reps": 8}]}
        )
    )
    s.set_active_routine("corner-two")
    s.update_settings({"default_rest_seconds": 45, "weekly_goal": 4})
    s.add_history(HistoryEntry("corner-two", "Corner two", 100.0, 400.0, 1, 2, True))
    try:
        yield s
    finally:
        s.close()


def test_back_up_change_restore_gives_everything_back(store, tmp_path):
    before = everything(store)
    secret = store.secret("flask")
    backup = tmp_path / "corner-2.spotterbackup"
    write_backup(store, backup, with_pin=True)

    store.delete_routine("lower-back")
    store.update_settings({"default_rest_seconds": 90})
    store.add_history(HistoryEntry("corner-two", "Corner two", 500.0, 900.0, 1, 2, False))
    store.save_progress({"at": "set 2"})
    assert everything(store) != before

    restore_backup(store, backup)
    assert everything(store) == before
    assert store.load_progress() is None  # a workout in progress is not part of a backup
    assert store.secret("flask") == secret  # this device's logins keep working
    previous = store.path().with_name("spotter.db.previous")
    with Store.open_file(previous) as old:
        assert old.settings().default_rest_seconds == 90


def test_the_pin_hash_is_in_a_backup_only_when_asked_for(store, tmp_path):
    store.update_settings({"pin_hash": PIN_HASH})
    with_pin, without = tmp_path / "with", tmp_path / "without"
    write_backup(store, with_pin, with_pin=True)
    write_backup(store, without, with_pin=False)
    assert PIN_HASH.encode() in with_pin.read_bytes()
    # Not even in a free page of the file.
    assert b"cdcdcdcdcdcd" not in without.read_bytes()
    assert store.secret("flask") not in without.read_bytes()

    # Restoring a backup without a PIN keeps the device's PIN.
    store.update_settings({"pin_hash": ""})
    store.update_settings({"pin_hash": PIN_HASH.replace("ab", "ef")})
    restore_backup(store, without)
    assert store.settings().pin_hash == PIN_HASH.replace("ab", "ef")
    restore_backup(store, with_pin)
    assert store.settings().pin_hash == PIN_HASH


def foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path


def newer(store: Store, path: Path) -> Path:
    write_backup(store, path, with_pin=False)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    return path


def damaged(store: Store, path: Path) -> Path:
    write_backup(store, path, with_pin=False)
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'history'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * size
    data[start : start + 12] = b"\xa5" * 12  # the history table's page header
    path.write_bytes(bytes(data))
    return path


def bad_routine(store: Store, path: Path) -> Path:
    write_backup(store, path, with_pin=False)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE routines SET body = '{\"name\": 5}'")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda store, p: (p.write_bytes(b"hello, not a database"), p)[1], "not an SQLite"),
        (lambda store, p: foreign(p), "not a Spotter backup"),
        (newer, "from a newer Spotter"),
        (damaged, "damaged"),
        (bad_routine, "routines table"),
        (
            lambda store, p: (p.write_bytes(b"SQLite format 3\x00" + b"\0" * 17_000_000), p)[1],
            "at most 16777216 bytes",
        ),
    ],
    ids=["text", "foreign", "newer", "damaged", "bad-routine", "oversized"],
)
def test_a_bad_file_is_refused_and_nothing_changes(store, tmp_path, make, why):
    before = everything(store)
    files = sorted(p.name for p in store.path().parent.iterdir())
    upload = make(store, tmp_path / "upload")
    file_before = digest(store.path())
    with pytest.raises(BackupError, match=why):
        restore_backup(store, upload)
    assert everything(store) == before
    assert digest(store.path()) == file_before
    assert sorted(p.name for p in store.path().parent.iterdir()) == files


def test_check_backup_accepts_a_backup(store, tmp_path):
    backup = tmp_path / "b"
    write_backup(store, backup, with_pin=False)
    check_backup(backup)


@pytest.mark.slow
def test_a_store_another_process_holds_open_is_not_claimed(store, tmp_path):
    with Store.open_file(store.path()) as other, pytest.raises(StoreBusy):
        other.claim_alone()
