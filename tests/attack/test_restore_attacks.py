"""Hostile backup files, and bad luck around backups: a restore copies data, never a schema.

Each file here is a real backup of a real store, then changed with sqlite3 the way an
attacker (or a damaged card) would: triggers that copy the secrets, a view under a table's
name, a table missing, a routine past the caps, a workout dated 1e18. Each is sent to the
real restore endpoint; nothing of it may run, and what is refused is a 422 naming why.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from routines.backup import restore_backup, write_backup
from routines.model import HistoryEntry
from routines.store import DB_NAME, Store
from tests.attack.memory_cgroup import memory_cgroup

pytestmark = pytest.mark.attack
__all__ = ["memory_cgroup"]

RAW = {"Content-Type": "application/octet-stream"}


def schema(conn: sqlite3.Connection) -> set[tuple[str, str, str]]:
    return {
        (r[0], r[1], r[2] or "")
        for r in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        )
    }


def own_schema(tmp_path: Path) -> set[tuple[str, str, str]]:
    with Store.open_file(tmp_path / "fresh.db") as fresh:
        return schema(fresh.db.conn)


def backup_of(store: Store, path: Path, *sql: str, params: tuple[object, ...] = ()) -> bytes:
    """A real backup of ``store``, then changed by ``sql`` (run as a script)."""
    write_backup(store, path, with_pin=False)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in sql:
            conn.execute(statement, params if "?" in statement else ())
    finally:
        conn.close()
    return path.read_bytes()


def restore(client, body: bytes):
    return client.post("/api/restore", data=body, headers=RAW)


def everything(store: Store) -> tuple[object, ...]:
    return (
        [r.routine for r in store.list_routines()],
        store.profiles(),
        store.settings(),
        store.history(),
    )


TRIGGERS = (
    # Each copies the device's secrets or PIN hash where the open page shows them, or
    # wipes what Spotter writes, the moment Spotter itself writes.
    "CREATE TRIGGER steal AFTER INSERT ON history BEGIN "
    "UPDATE profiles SET name = (SELECT hex(value) FROM secrets LIMIT 1); END",
    "CREATE TRIGGER pin AFTER UPDATE ON settings BEGIN "
    "UPDATE profiles SET name = (SELECT value FROM settings WHERE key = 'pin_hash'); END",
    "CREATE TRIGGER wipe AFTER INSERT ON state BEGIN DELETE FROM history; END",
    "CREATE TABLE junk (x)",
    "CREATE TRIGGER grow AFTER INSERT ON state BEGIN "
    "INSERT INTO junk VALUES (randomblob(100000)); END",
    "CREATE VIEW planted AS SELECT * FROM secrets",
    "CREATE INDEX extra ON routines (body)",
)


def test_nothing_of_a_restored_files_schema_survives_or_runs(client, store, tmp_path):
    store.add_history(
        HistoryEntry("lower-back", "Lower-back relief", 1.0e9, 1.0e9 + 600, 4, 12, True)
    )
    body = backup_of(store, tmp_path / "hostile.sqlite3", *TRIGGERS)
    answer = restore(client, body)
    assert answer.status_code == 200, answer.get_json()

    assert schema(store.db.conn) == own_schema(tmp_path)
    store.update_settings({"pin_hash": "pbkdf2$planted"})
    store.add_history(
        HistoryEntry("lower-back", "Lower-back relief", 1.1e9, 1.1e9 + 600, 4, 12, True)
    )
    store.save_progress({"step": 1})
    names = [p["name"] for p in client.get("/api/profiles").get_json()["profiles"]]
    assert names == ["Me"]
    assert len(store.history()) == 2
    assert (
        store.db.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'junk'").fetchone()[
            0
        ]
        == 0
    )


def test_a_restored_file_in_wal_mode_leaves_no_journal_beside_it(client, store, tmp_path):
    body = backup_of(store, tmp_path / "wal.sqlite3", "PRAGMA journal_mode=WAL")
    assert body[18:20] == b"\x02\x02"  # the header says WAL
    assert restore(client, body).status_code == 200
    data = store.path().parent
    assert not [p.name for p in data.iterdir() if p.name.startswith((".upload", "..upload"))]


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (
            (
                "ALTER TABLE routines RENAME TO kept",
                "CREATE VIEW routines AS SELECT * FROM kept",
            ),
            "routines is a view",
        ),
        (("DROP TABLE profiles",), "no profiles table"),
        (("DROP TABLE secrets",), "no secrets table"),
        (("ALTER TABLE history DROP COLUMN routine_name",), "history table has no routine_name"),
        (("DELETE FROM profiles",), "profiles table is empty"),
        (
            ("UPDATE profiles SET name = ?",),
            "holds a value longer than Spotter ever writes",
        ),
        (("UPDATE profiles SET name = substr(?, 1, 41)",), "profile 1 (profiles table): name"),
        (
            (
                "INSERT INTO history (routine_id, routine_name, started_at, finished_at, "
                "exercises_done, sets_done, completed) VALUES ('x', 'X', 1e9, 1e18, 1, 1, 1)",
            ),
            "finished_at",
        ),
        (
            (
                "INSERT INTO history (routine_id, routine_name, started_at, finished_at, "
                "exercises_done, sets_done, completed, profile_id) "
                "VALUES ('x', 'X', 1e9, 1e9, 1, 1, 1, 99)",
            ),
            "profile_id: there is no profile 99",
        ),
        (("INSERT INTO settings VALUES ('pace', '9')",), "pace"),
    ],
    ids=[
        "view-shadowing",
        "no-profiles",
        "no-secrets",
        "no-column",
        "no-profile-rows",
        "huge-name",
        "long-name",
        "finished-1e18",
        "stranger-profile",
        "bad-setting",
    ],
)
def test_a_hostile_file_is_a_422_naming_the_first_problem(client, store, tmp_path, sql, named):
    body = backup_of(store, tmp_path / "bad.sqlite3", *sql, params=("x" * 6_000_000,))
    before = everything(store)
    file_before = store.path().read_bytes()
    answer = restore(client, body)
    assert answer.status_code == 422, answer.get_json()
    assert named in answer.get_json()["error"]
    assert "Nothing was changed" in answer.get_json()["error"]
    assert everything(store) == before
    assert store.path().read_bytes() == file_before


def over_cap_routine() -> dict[str, object]:
    exercises = [{"name": f"Move {n}", "sets": 20, "reps": 200, "sides": "both"} for n in range(50)]
    return {"id": "huge", "name": "Huge", "exercises": exercises}


def test_a_routine_past_the_caps_is_a_422_naming_it(client, store, tmp_path):
    body = backup_of(
        store,
        tmp_path / "cap.sqlite3",
        "INSERT INTO routines (id, body, version, updated_at) VALUES ('huge', ?, 1, 0)",
        params=(json.dumps(over_cap_routine()),),
    )
    answer = restore(client, body)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert "routine 'huge' (routines table): exercises" in error
    assert store.get_routine("huge") is None


def test_more_profiles_than_spotter_keeps_is_a_422_naming_the_cap(client, store, tmp_path):
    before = everything(store)
    body = backup_of(
        store,
        tmp_path / "crowd.sqlite3",
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 60) "
        "INSERT INTO profiles (name, created_at) SELECT 'Member ' || i, 0 FROM n",
    )
    answer = restore(client, body)
    assert answer.status_code == 422, answer.get_json()
    assert "more than 50 profiles" in answer.get_json()["error"]
    assert everything(store) == before


def test_a_workout_dated_1e18_already_in_the_store_does_not_break_the_history(client, store):
    store.add_history(
        HistoryEntry("lower-back", "Lower-back relief", 1.0e9, 1.0e9 + 60, 4, 12, True)
    )
    with store.db.transaction() as conn:
        conn.execute("UPDATE history SET finished_at = 1e18")
    for path in ("/history", "/api/history", "/api/history.csv"):
        assert client.get(path).status_code == 200, path


def test_a_store_spotter_cannot_start_with_never_becomes_its_backup(store):
    store.update_settings({"default_rest_seconds": 40})
    assert store.backup_now()
    backup = store.path().with_name(DB_NAME + ".backup")
    good = backup.read_bytes()
    with store.db.transaction() as conn:
        conn.execute("DROP TABLE profiles")
    store.db.backups.changed()
    assert not store.backup_now()
    assert backup.read_bytes() == good


def test_leftovers_of_interrupted_copies_go_at_the_next_start(tmp_path, clock, mock_factory):
    from device.voice.player import NullPlayer
    from tests.service.test_worker import make_rig

    data = tmp_path / "data"
    with Store.open(data):
        pass
    leftovers = [
        "..upload-abc.tmp.partial-wal",
        "..upload-abc.tmp.partial-shm",
        ".upload-abc-wal",
        ".upload-abc-shm",
        ".upload-abc",
        ".spotter.db.x1y2.tmp",
        ".spotter.db.x1y2.tmp-journal",
        "spotter.db.backup-new",
    ]
    for name in leftovers:
        (data / name).write_bytes(b"left behind")
    _rig, built = make_rig(data, clock, mock_factory, NullPlayer())
    try:
        left = {p.name for p in data.iterdir()}
    finally:
        built.close()
    assert not left & set(leftovers), left & set(leftovers)
    assert DB_NAME in left


def test_a_full_disk_says_the_disk_is_full(tmp_path, store):
    from routines.backup import StorageFull
    from tests.small_disk import fill, small_disk

    upload = tmp_path / "upload.sqlite3"
    backup_of(store, upload)
    with small_disk(tmp_path / "disk", "3m") as disk, Store.open(disk / "data") as small:
        filler = fill(disk)
        with pytest.raises(StorageFull, match="storage is full"):
            restore_backup(small, upload)
        with pytest.raises(StorageFull, match="storage is full"):
            write_backup(small, disk / "data" / "out.sqlite3", with_pin=False)
        filler.unlink()
        assert len(small.profiles()) == 1


def test_backups_come_from_one_kept_copy_and_are_limited(client, store, web_clock):
    first = client.get("/api/backup")
    assert first.status_code == 200
    kept = store.path().with_name(".spotter.db.download")
    made = kept.stat()
    second = client.get("/api/backup")
    assert second.get_data() == first.get_data()
    assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)

    store.update_settings({"default_rest_seconds": 40})
    soon = client.get("/api/backup")
    assert soon.status_code == 429, soon.get_json()
    assert 0 < int(soon.headers["Retry-After"]) <= 60
    web_clock.advance(60)
    fresh = client.get("/api/backup")
    assert fresh.status_code == 200
    assert fresh.get_data() != first.get_data()

    answers = [client.get("/api/backup") for _ in range(6)]
    statuses = [a.status_code for a in answers]
    assert statuses.count(429) >= 1, statuses
    refused = answers[statuses.index(429)]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    web_clock.advance(61)
    assert client.get("/api/backup").status_code == 200


def test_a_restore_ends_the_workout_under_way_and_records_none_of_it(
    tmp_path, clock, mock_factory, caplog
):
    from device.events import State
    from device.voice.player import NullPlayer
    from tests.service.test_worker import make_rig, use_quick_routine

    other = tmp_path / "other"
    with Store.open(other) as elsewhere:
        elsewhere.update_profile(1, {"name": "Sam"})
        write_backup(elsewhere, tmp_path / "sam.sqlite3", with_pin=False)

    rig, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    try:
        rig.spotter.greet()
        rig.settle()
        use_quick_routine(rig)
        rig.press()  # the intro
        rig.press()  # the first set
        assert rig.spotter.status().state not in (State.IDLE, State.DONE)

        restore_backup(rig.store, tmp_path / "sam.sqlite3")
        rig.settle()

        assert rig.spotter.status().state in (State.IDLE, State.DONE)
        assert rig.store.history() == []
        assert [p.name for p in rig.store.profiles()] == ["Sam"]
        assert any("restored" in line and "not kept" in line for line in rig.spoken)
        assert "ended and not recorded" in caplog.text
    finally:
        built.close()


def test_hostile_restores_leave_the_real_daemon_small(tmp_path, memory_cgroup):
    from bench import hostile_backups
    from bench.daemon_proc import daemon
    from tests.attack.memory_cgroup import peak_rss

    with daemon(tmp_path / "data", preexec_fn=memory_cgroup.enter) as d:
        figures = hostile_backups.run_on(d)
        peak = peak_rss(d.proc.pid)
        assert d.request("GET", "/api/status")[0] == 200
    assert memory_cgroup.oom_kills() == 0
    assert peak <= 80 * 1024 * 1024, peak / 1e6
    missed = [f"{f.name}: {f.note}" for f in figures if not f.passed]
    assert not missed, missed


def test_a_routine_nested_100000_deep_is_a_422_naming_it(client, store, tmp_path):
    body = backup_of(
        store,
        tmp_path / "deep.sqlite3",
        "UPDATE routines SET body = ? WHERE id = 'lower-back'",
        params=("[" * 100_000,),
    )
    answer = restore(client, body)
    assert answer.status_code == 422, answer.get_json()
    assert "routine 'lower-back' (routines table): body" in answer.get_json()["error"]


def test_a_store_without_its_profiles_table_is_set_aside_at_start(tmp_path):
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.update_profile(1, {"name": "Sam"})
        assert store.backup_now()
        with store.db.transaction() as conn:
            conn.execute("DROP TABLE profiles")
    with Store.open(data) as reopened:
        assert reopened.recovered == "restored from its backup"
        assert [p.name for p in reopened.profiles()] == ["Sam"]


def test_on_a_full_card_the_page_says_the_storage_is_full(tmp_path, store, web_clock):
    from tests.dummy_control import DummyControl
    from tests.small_disk import fill, small_disk
    from web_config import create_app

    body = backup_of(store, tmp_path / "good.sqlite3")
    with small_disk(tmp_path / "disk", "3m") as disk, Store.open(disk / "data") as small:
        app = create_app(
            {"TESTING": True, "CLOCK": web_clock}, store=small, control=DummyControl(store=small)
        )
        client = app.test_client()
        fill(disk)
        for answer in (client.get("/api/backup"), restore(client, body)):
            assert answer.status_code == 507, answer.get_json()
            assert "storage is full" in answer.get_json()["error"]
            assert "cannot read" not in answer.get_json()["error"]
            assert answer.get_json()["error"].count("storage is full") == 1
