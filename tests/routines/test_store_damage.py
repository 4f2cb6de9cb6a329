"""A damaged, emptied, deleted or full store never silences Spotter nor loses its data.

Every test works on real SQLite files (and, for a full disk, a real tmpfs): the
damage is done to the bytes on disk the way an SD card or a careless hand does it.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from device.testing import FakeClock
from routines.settings import Settings
from routines.store import DB_NAME, HistoryEntry, Store
from routines.store_backups import BackupPolicy
from routines.store_files import check_store_file
from routines.validation import load_library, parse_routine
from tests.small_disk import fill, small_disk

pytestmark = pytest.mark.attack

PAGE = 4096


def mine(name: str = "My own routine") -> object:
    return parse_routine({"name": name, "exercises": [{"name": "Squat", "sets": 2, "reps": 8}]})


def entry(finished_at: float = 2_000_000.0) -> HistoryEntry:
    return HistoryEntry("lower-back", "Lower back", finished_at - 600, finished_at, 4, 12, True)


def build_store(data_dir: Path, *, backup: bool = True) -> None:
    """A store with the user's own data in it (and its backup, when asked)."""
    with Store.open(data_dir) as store:
        store.create_routine(mine())  # type: ignore[arg-type]
        store.update_settings({"voice_rate": 190})
        store.add_history(entry())
        store.secret("web")
        if backup:
            assert store.backup_now()
        else:
            store._backups = None  # type: ignore[assignment]  # no backup on close either
    if not backup:
        (data_dir / (DB_NAME + ".backup")).unlink(missing_ok=True)


def has_users_data(store: Store) -> bool:
    names = [s.routine.name for s in store.list_routines()]
    return (
        "My own routine" in names
        and store.settings().voice_rate == 190
        and [e.sets_done for e in store.history()] == [12]
    )


def damage_header(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[:100] = random.Random(1).randbytes(100)
    path.write_bytes(bytes(data))


def damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    rng = random.Random(2)
    for page in range(1, len(data) // PAGE):
        data[page * PAGE : page * PAGE + 64] = rng.randbytes(64)
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def make_text(path: Path) -> None:
    path.write_text("these are not the routines you are looking for\n" * 50)


def make_empty(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE = {
    "random header bytes": damage_header,
    "random page bytes": damage_pages,
    "truncated": truncate,
    "a text file": make_text,
    "0 bytes": make_empty,
}


def aside(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.iterdir() if ".damaged-" in p.name)


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_store_is_set_aside_and_the_backup_restored(tmp_path, damage, caplog):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    path = data_dir / DB_NAME
    damage(path)
    damaged_bytes = path.read_bytes()
    assert check_store_file(path, newest_schema=1) is not None

    with caplog.at_level(logging.WARNING), Store.open(data_dir) as store:
        assert store.recovered == "restored from its backup"
        assert has_users_data(store)
    (kept,) = aside(data_dir)
    assert kept.read_bytes() == damaged_bytes, "the damaged file is kept as it was"
    assert "failed its check" in caplog.text
    # Restored once: the next start finds a sound store and says nothing.
    with Store.open(data_dir) as store:
        assert store.recovered is None
        assert has_users_data(store)


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_without_a_backup_a_damaged_store_becomes_a_fresh_one(tmp_path, damage):
    data_dir = tmp_path / "data"
    build_store(data_dir, backup=False)
    damage(data_dir / DB_NAME)
    with Store.open(data_dir) as store:
        assert store.recovered == "made afresh"
        assert [s.routine.id for s in store.list_routines()] == [r.id for r in load_library()]
        assert store.active_routine() is not None
    assert len(aside(data_dir)) == 1


def test_a_damaged_backup_is_not_restored(tmp_path):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    make_text(data_dir / DB_NAME)
    damage_pages(data_dir / (DB_NAME + ".backup"))
    with Store.open(data_dir) as store:
        assert store.recovered == "made afresh"
        assert store.active_routine() is not None


def test_a_sound_store_is_opened_as_it_is(tmp_path):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    with Store.open(data_dir) as store:
        assert store.recovered is None
        assert has_users_data(store)
    assert aside(data_dir) == []


def test_a_new_store_is_never_seen_empty(tmp_path):
    # It is built under another name and renamed: an empty spotter.db only means damage.
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        assert store.recovered is None
    assert sorted(p.name for p in data_dir.iterdir() if "spotter.db" in p.name) == [
        DB_NAME,
        *([DB_NAME + ".backup"] if (data_dir / (DB_NAME + ".backup")).exists() else []),
    ]


# -- backups ------------------------------------------------------------------------------------


def test_backup_to_writes_one_consistent_self_contained_file(tmp_path):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    target = tmp_path / "copy" / "spotter-backup.db"
    target.parent.mkdir()
    with Store.open(data_dir) as store:
        store.update_settings({"voice_rate": 200})  # still in the WAL, not the main file
        store.backup_to(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["spotter-backup.db"]
    assert check_store_file(target, newest_schema=1) is None
    conn = sqlite3.connect(target)
    try:
        rate = conn.execute("SELECT value FROM settings WHERE key = 'voice_rate'").fetchone()
    finally:
        conn.close()
    assert rate == ("200",)


def test_a_change_is_backed_up_and_closing_backs_up_the_last_one(tmp_path):
    data_dir = tmp_path / "data"
    backup = data_dir / (DB_NAME + ".backup")
    with Store.open(data_dir) as store:
        store.update_settings({"voice_rate": 150})
    assert backup.exists()
    with Store.open(data_dir) as store:
        store.update_settings({"voice_rate": 175})
        assert store.backup_now()
        shutil.copy(backup, tmp_path / "check.db")
    conn = sqlite3.connect(tmp_path / "check.db")
    try:
        assert conn.execute("SELECT value FROM settings").fetchall() == [("175",)]
    finally:
        conn.close()


def test_backups_come_at_most_once_per_interval():
    clock = FakeClock()
    policy = BackupPolicy(60.0, clock)
    assert policy.due_in() is None  # nothing changed: nothing to do
    clock.advance(1)
    policy.changed()
    assert policy.due_in() == 59.0  # a minute from the start
    clock.advance(59)
    assert policy.due_in() == 0.0
    policy.done()
    clock.advance(5)
    policy.changed()
    assert policy.due_in() == 55.0  # the next waits out the minute
    clock.advance(55)
    assert policy.due_in() == 0.0
    policy.done()
    clock.advance(600)
    assert policy.due_in() is None


# -- rows that cannot be read --------------------------------------------------------------------


def test_bad_rows_are_skipped_with_one_log_line_each(tmp_path, caplog):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    conn = sqlite3.connect(data_dir / DB_NAME)
    with conn:
        conn.execute(
            "INSERT INTO routines (id, body, version, updated_at) VALUES ('bad', 'not json', 1, 0)"
        )
        conn.execute(
            "INSERT INTO routines (id, body, version, updated_at) "
            """VALUES ('odd', '{"name": 5}', 1, 0)"""
        )
        conn.execute("UPDATE routines SET body = '[' WHERE rowid = 1")  # the first, shipped one
        conn.execute("INSERT INTO state (key, value) VALUES ('active_routine', 'bad')")
        conn.execute(
            "INSERT INTO history (routine_id, routine_name, started_at, finished_at,"
            " exercises_done, sets_done, completed) VALUES ('x', 'X', 'soon', 'later', 1, 1, 1)"
        )
        conn.execute("INSERT INTO settings (key, value) VALUES ('hold_ms', '{{{')")
        conn.execute("INSERT INTO state (key, value) VALUES ('progress', 'no json')")
        conn.execute("UPDATE secrets SET value = 'text, not bytes'")
    conn.close()

    with caplog.at_level(logging.WARNING), Store.open(data_dir) as store:
        for _ in range(3):  # as a page polling would
            assert [s.routine.name for s in store.list_routines()] == ["My own routine"]
            assert store.active_routine().routine.name == "My own routine"
            assert [e.sets_done for e in store.history()] == [12]
            assert store.settings().voice_rate == 190
            assert store.settings().hold_ms == Settings().hold_ms
            assert store.load_progress() is None
            assert len(store.secret("web")) == 32
        # An edit of an unreadable routine replaces it instead of failing.
        saved = store.save_routine(parse_routine({"id": "bad", **_doc("Fixed")}))
        assert saved.version == 2
    skips = [r.getMessage() for r in caplog.records if r.getMessage().startswith("skipping")]
    assert len(skips) == len(set(skips)) >= 6


def _doc(name: str) -> dict[str, object]:
    return {"name": name, "exercises": [{"name": "Squat", "sets": 1, "reps": 1}]}


# -- the file going away under a running Spotter --------------------------------------------------


@pytest.mark.parametrize("with_wal", [False, True], ids=["the file", "the file and its WAL"])
def test_a_store_deleted_while_running_is_written_again(tmp_path, with_wal, caplog):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    with Store.open(data_dir) as store:
        store.update_settings({"hold_ms": 900})  # in the WAL
        (data_dir / DB_NAME).unlink()
        if with_wal:
            for suffix in ("-wal", "-shm"):
                (data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
        with caplog.at_level(logging.WARNING):
            created = store.create_routine(mine("Written after the delete"))  # type: ignore[arg-type]
        assert "deleted or replaced" in caplog.text
    with Store.open(data_dir) as store:
        assert store.recovered is None
        assert has_users_data(store)
        assert store.settings().hold_ms == 900
        assert store.get_routine(created.routine.id) is not None


def test_a_store_replaced_while_running_is_kept_aside_and_written_again(tmp_path):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    other = tmp_path / "other"
    with Store.open(other):
        pass
    with Store.open(data_dir) as store:
        stranger = (other / DB_NAME).read_bytes()
        os.replace(other / DB_NAME, data_dir / DB_NAME)
        assert store.check_file()  # what the backup thread does every minute
    with Store.open(data_dir) as store:
        assert has_users_data(store)
    # The stranger is kept as it was (with the WAL files found beside it), never deleted.
    (kept,) = [
        p
        for p in data_dir.iterdir()
        if p.name.startswith(DB_NAME + ".replaced-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert kept.read_bytes() == stranger


# -- a finished workout when the disk is full ----------------------------------------------------


def test_a_workout_finished_on_a_full_disk_is_kept_and_written_later(tmp_path):
    with small_disk(tmp_path / "disk", "2m") as disk:
        data_dir = disk / "data"
        with Store.open(data_dir) as store:
            store.add_history(entry(1_000_000.0))
            filler = fill(disk)
            kept = store.add_history(entry(2_000_000.0))  # no exception: kept for later
            assert kept.id is None
            assert [e.finished_at for e in store.history()] == [2_000_000.0, 1_000_000.0]
            assert store.sessions_since(0) == 2
            filler.unlink()
            store.check_file()  # the retry the backup thread makes
        with Store.open(data_dir) as store:
            assert [e.finished_at for e in store.history()] == [2_000_000.0, 1_000_000.0]
            assert all(e.id is not None for e in store.history())


def test_workouts_left_waiting_by_an_earlier_run_are_stored_at_start(tmp_path):
    data_dir = tmp_path / "data"
    build_store(data_dir)
    waiting = data_dir / (DB_NAME + ".pending")
    waiting.write_text(
        '{"routine_id": "a", "routine_name": "A", "started_at": 1.0, "finished_at": 5.0,'
        ' "exercises_done": 1, "sets_done": 2, "completed": true, "id": null}\n'
        "torn lin\n"
    )
    with Store.open(data_dir) as store:
        assert sorted(e.routine_id for e in store.history()) == ["a", "lower-back"]
    assert not waiting.exists()
