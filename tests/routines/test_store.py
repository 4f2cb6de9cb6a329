"""The store on a real SQLite file: what it keeps, and that rejected input changes nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from routines.errors import RoutineError, SettingsError
from routines.model import Exercise, Routine
from routines.schema import SCHEMA_VERSION
from routines.settings import Settings
from routines.store import (
    DB_NAME,
    HistoryEntry,
    Store,
    StoreVersionError,
    VersionConflict,
)
from routines.validation import load_library, parse_routine


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = Store.open(data_dir)
    try:
        yield s
    finally:
        s.close()


def routine(name: str = "Quick one", routine_id: str | None = None, reps: int = 5) -> Routine:
    doc: dict[str, object] = {
        "name": name,
        "exercises": [{"name": "Squat", "sets": 2, "reps": reps}],
    }
    if routine_id is not None:
        doc["id"] = routine_id
    return parse_routine(doc)


def entry(
    finished_at: float, *, routine_id: str = "lower-back", completed: bool = True
) -> HistoryEntry:
    return HistoryEntry(
        routine_id=routine_id,
        routine_name="Lower-back relief",
        started_at=finished_at - 600,
        finished_at=finished_at,
        exercises_done=4,
        sets_done=12,
        completed=completed,
    )


def active_id(store: Store) -> str | None:
    active = store.active_routine()
    return None if active is None else active.routine.id


def fingerprint(data_dir: Path) -> tuple[dict[str, str], list[str]]:
    """The bytes of the database and its log, and every row, as another reader sees them."""
    files = {
        name: hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
        for name in (DB_NAME, DB_NAME + "-wal")
        if (data_dir / name).exists()
    }
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        dump = list(conn.iterdump())
    finally:
        conn.close()
    return files, dump


# -- opening, seeding, the file itself ----------------------------------------------------


def test_new_store_is_one_wal_file_seeded_with_the_library(store: Store, data_dir: Path) -> None:
    assert (data_dir / DB_NAME).is_file()
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    stored = store.list_routines()
    assert [s.routine for s in stored] == load_library()
    assert all(s.version == 1 for s in stored)
    active = store.active_routine()
    assert active is not None and active.routine.id == "lower-back"


def test_database_is_private_to_its_owner(store: Store, data_dir: Path) -> None:
    assert stat.S_IMODE((data_dir / DB_NAME).stat().st_mode) == 0o600


def test_library_is_seeded_only_into_a_new_store(data_dir: Path) -> None:
    with Store.open(data_dir) as first:
        assert first.delete_routine("lower-back")
    with Store.open(data_dir) as again:
        assert again.list_routines() == []
        assert again.active_routine() is None


def test_everything_survives_reopening(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        created = store.create_routine(routine())
        store.set_active_routine(created.routine.id)
        store.update_settings({"voice_rate": 190, "gesture_actions": {"double": "repeat"}})
        store.add_history(entry(1000.0))
        store.save_progress({"exercise": 2, "set": 1})
        key = store.secret("web")
    with Store.open(data_dir) as store:
        assert store.get_routine(created.routine.id) == created
        active = store.active_routine()
        assert active is not None and active.routine.id == "quick-one"
        assert store.settings().voice_rate == 190
        assert store.settings().gesture_actions["double"] == "repeat"
        assert [h.finished_at for h in store.history()] == [1000.0]
        assert store.load_progress() == {"exercise": 2, "set": 1}
        assert store.secret("web") == key


def test_committed_writes_survive_a_killed_process(data_dir: Path) -> None:
    # The process dies without closing anything, as if the plug were pulled mid-run.
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from routines.store import Store, HistoryEntry\n"
        "s = Store.open(Path(sys.argv[1]))\n"
        "s.update_settings({'weekly_goal': 5})\n"
        "s.add_history(HistoryEntry('lower-back', 'L', 1.0, 2.0, 4, 12, True))\n"
        "s.save_progress({'set': 3})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(data_dir)], check=False)
    assert result.returncode == -9
    with Store.open(data_dir) as store:
        assert store.settings().weekly_goal == 5
        assert len(store.history()) == 1
        assert store.load_progress() == {"set": 3}


def test_a_newer_schema_is_refused_and_left_alone(data_dir: Path) -> None:
    Store.open(data_dir).close()
    conn = sqlite3.connect(data_dir / DB_NAME)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = fingerprint(data_dir)
    with pytest.raises(StoreVersionError, match="newer Spotter"):
        Store.open(data_dir)
    assert fingerprint(data_dir) == before


def test_open_creates_missing_parent_directories(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    with Store.open(deep) as store:
        assert store.list_routines()
    assert (deep / DB_NAME).is_file()


# -- routines -----------------------------------------------------------------------------


def test_create_get_list_delete(store: Store) -> None:
    created = store.create_routine(routine())
    assert created.version == 1
    assert created.routine == routine()
    assert store.get_routine("quick-one") == created
    assert [s.routine.id for s in store.list_routines()] == ["lower-back", "quick-one"]
    assert store.delete_routine("quick-one") is True
    assert store.delete_routine("quick-one") is False
    assert store.get_routine("quick-one") is None


def test_create_never_overwrites_a_taken_id(store: Store) -> None:
    ids = [store.create_routine(routine()).routine.id for _ in range(3)]
    assert ids == ["quick-one", "quick-one-2", "quick-one-3"]
    clash = store.create_routine(routine("Another", routine_id="lower-back"))
    assert clash.routine.id == "lower-back-2"
    assert clash.routine.name == "Another"
    original = store.get_routine("lower-back")
    assert original is not None and original.routine.name == "Lower-back relief"


def test_unique_ids_stay_within_64_characters(store: Store) -> None:
    long_id = "a" * 63 + "b"
    first = store.create_routine(routine(routine_id=long_id))
    second = store.create_routine(routine(routine_id=long_id))
    assert first.routine.id == long_id
    assert second.routine.id == "a" * 62 + "-2"
    assert parse_routine(second.routine.to_dict()) == second.routine


def test_save_bumps_the_version_and_keeps_the_order(store: Store) -> None:
    store.create_routine(routine())
    saved = store.save_routine(routine(reps=8), expected_version=1)
    assert saved.version == 2
    assert saved.routine.exercises[0].reps == 8
    assert store.save_routine(routine(reps=9)).version == 3
    assert store.get_routine("quick-one") == store.list_routines()[1]
    assert [s.routine.id for s in store.list_routines()] == ["lower-back", "quick-one"]


def test_stale_save_raises_version_conflict_with_the_current_routine(
    store: Store, data_dir: Path
) -> None:
    store.create_routine(routine())
    current = store.save_routine(routine(reps=7))
    before = fingerprint(data_dir)
    with pytest.raises(VersionConflict) as info:
        store.save_routine(routine(reps=99), expected_version=1)
    assert info.value.current == current
    assert "quick-one" in str(info.value)
    assert fingerprint(data_dir) == before


def test_conflicts_are_seen_across_two_stores_on_one_file(data_dir: Path) -> None:
    with Store.open(data_dir) as web, Store.open(data_dir) as cli:
        seen = web.get_routine("lower-back")
        assert seen is not None
        cli.save_routine(dataclasses.replace(seen.routine, name="Changed elsewhere"))
        with pytest.raises(VersionConflict) as info:
            web.save_routine(seen.routine, expected_version=seen.version)
        assert info.value.current.routine.name == "Changed elsewhere"


def test_save_of_an_unknown_id_inserts_it(store: Store) -> None:
    saved = store.save_routine(routine(routine_id="fresh"), expected_version=4)
    assert saved.version == 1
    assert store.get_routine("fresh") == saved


def test_saved_routine_is_normalised_like_a_file(store: Store) -> None:
    loose = Routine(
        id="loose",
        name="  Padded  ",
        exercises=(Exercise(name="Squat", sets=1, reps=3, first_side="right"),),
    )
    saved = store.create_routine(loose)
    assert saved.routine.name == "Padded"
    assert saved.routine.exercises[0].first_side == "left"
    assert store.get_routine("loose") == saved


def test_active_routine_choice(store: Store) -> None:
    store.create_routine(routine())
    assert active_id(store) == "lower-back"
    store.set_active_routine("quick-one")
    assert active_id(store) == "quick-one"
    with pytest.raises(KeyError):
        store.set_active_routine("nope")
    assert active_id(store) == "quick-one"
    store.delete_routine("quick-one")
    assert active_id(store) == "lower-back"
    # A new routine with the deleted id is not silently chosen again.
    store.create_routine(routine())
    assert active_id(store) == "lower-back"


# -- rejected input leaves the file exactly as it was -------------------------------------


BAD_ROUTINE = Routine(id="bad", name="Bad", exercises=(Exercise(name="Squat", sets=0, reps=5),))


@pytest.mark.parametrize(
    ("attempt", "error"),
    [
        (lambda s: s.create_routine(BAD_ROUTINE), RoutineError),
        (lambda s: s.save_routine(BAD_ROUTINE), RoutineError),
        (lambda s: s.save_routine(dataclasses.replace(BAD_ROUTINE, id="lower-back")), RoutineError),
        (lambda s: s.create_routine(Routine(id="Bad Id", name="x", exercises=())), RoutineError),
        (lambda s: s.update_settings({"voice_rate": 10}), SettingsError),
        (lambda s: s.update_settings({"voice_rate": 200, "colour": "red"}), SettingsError),
        (lambda s: s.update_settings({"hold_ms": 3000}), SettingsError),
        (lambda s: s.set_active_routine("missing"), KeyError),
        (lambda s: s.save_progress({"at": math.nan}), ValueError),
        (lambda s: s.save_progress({"at": object()}), TypeError),
    ],
)
def test_rejected_input_leaves_the_store_byte_for_byte_unchanged(
    store: Store, data_dir: Path, attempt: Callable[[Store], object], error: type[Exception]
) -> None:
    store.update_settings({"voice_rate": 150})
    store.save_progress({"set": 1})
    before = fingerprint(data_dir)
    with pytest.raises(error):
        attempt(store)
    assert fingerprint(data_dir) == before
    assert store.settings().voice_rate == 150
    assert store.load_progress() == {"set": 1}


def test_rejected_routine_names_the_field(store: Store) -> None:
    with pytest.raises(RoutineError) as info:
        store.create_routine(BAD_ROUTINE)
    assert info.value.errors == {"exercises[0].sets": "must be a whole number from 1 to 20"}


# -- settings -----------------------------------------------------------------------------


def test_settings_default_then_change(store: Store) -> None:
    assert store.settings() == Settings()
    changed = store.update_settings({"hold_ms": 1500, "weekly_goal": 3})
    assert (changed.hold_ms, changed.weekly_goal) == (1500, 3)
    assert store.settings() == changed
    again = store.update_settings({"voice_volume": 0.25})
    assert (again.hold_ms, again.weekly_goal, again.voice_volume) == (1500, 3, 0.25)


def test_only_settings_that_differ_from_defaults_are_stored(store: Store) -> None:
    store.update_settings({"voice_rate": 200, "debounce_ms": 20})
    rows = store._conn.execute("SELECT key FROM settings").fetchall()
    assert rows == [("voice_rate",)]
    store.update_settings({"voice_rate": 165})
    assert store._conn.execute("SELECT COUNT(*) FROM settings").fetchone()[0] == 0


def test_stored_settings_that_became_invalid_fall_back_to_defaults(
    store: Store, data_dir: Path
) -> None:
    store.update_settings({"voice_rate": 200, "hold_ms": 900})
    conn = sqlite3.connect(data_dir / DB_NAME)
    with conn:
        conn.execute("UPDATE settings SET value = '5000' WHERE key = 'voice_rate'")
    conn.close()
    settings = store.settings()
    assert (settings.voice_rate, settings.hold_ms) == (165, 900)


# -- history ------------------------------------------------------------------------------


def test_history_newest_first_with_ids(store: Store) -> None:
    added = [store.add_history(entry(t)) for t in (100.0, 300.0, 200.0)]
    assert all(a.id is not None for a in added)
    assert len({a.id for a in added}) == 3
    assert [h.finished_at for h in store.history()] == [300.0, 200.0, 100.0]
    assert store.history()[0] == added[1]
    assert [h.finished_at for h in store.history(limit=2)] == [300.0, 200.0]
    assert store.history(limit=0) == []


def test_sessions_since_counts_completed_ones(store: Store) -> None:
    store.add_history(entry(100.0))
    store.add_history(entry(200.0))
    store.add_history(entry(250.0, completed=False))
    store.add_history(entry(300.0, routine_id="other"))
    assert store.sessions_since(0.0) == 3
    assert store.sessions_since(200.0) == 2
    assert store.sessions_since(200.0, "lower-back") == 1
    assert store.sessions_since(301.0) == 0
    assert store.history()[1].completed is False


# -- progress and secrets -----------------------------------------------------------------


def test_progress_save_load_clear(store: Store) -> None:
    assert store.load_progress() is None
    snapshot = {"routine_id": "lower-back", "exercise": 1, "set": 2, "sides": ["left", None]}
    store.save_progress(snapshot)
    assert store.load_progress() == snapshot
    store.save_progress({"exercise": 2})
    assert store.load_progress() == {"exercise": 2}
    store.save_progress(None)
    assert store.load_progress() is None
    store.save_progress(None)
    assert store.load_progress() is None


def test_secrets_are_random_kept_and_separate(store: Store) -> None:
    web = store.secret("web")
    assert len(web) == 32
    assert store.secret("web") == web
    assert store.secret("web", 16) == web
    other = store.secret("other", 16)
    assert len(other) == 16
    assert other != web[:16]


def test_each_new_store_gets_its_own_secret(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a") as a, Store.open(tmp_path / "b") as b:
        assert a.secret("web") != b.secret("web")


# -- threads ------------------------------------------------------------------------------


def test_concurrent_use_from_threads(store: Store) -> None:
    workers = 8
    # Within the store's cap of 100 routines.
    rounds = 12
    barrier = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                store.create_routine(routine(f"Thread {n % 2}"))
                store.add_history(entry(float(n * 1000 + i)))
                store.update_settings({"default_rest_seconds": n * 10 + 1})
                store.save_progress({"worker": n, "round": i})
                store.secret("shared")
                store.list_routines()
                store.sessions_since(0.0)
        except BaseException as err:
            failures.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    ids = [s.routine.id for s in store.list_routines()]
    assert len(ids) == len(set(ids)) == 1 + workers * rounds
    assert store.sessions_since(0.0) == workers * rounds
    assert store.settings().default_rest_seconds in {n * 10 + 1 for n in range(workers)}
    assert store.load_progress() in [{"worker": n, "round": rounds - 1} for n in range(workers)]


def test_concurrent_version_checks_let_exactly_one_save_win(store: Store) -> None:
    seen = store.get_routine("lower-back")
    assert seen is not None
    barrier = threading.Barrier(6)
    wins: list[int] = []
    conflicts: list[int] = []

    def edit(n: int) -> None:
        barrier.wait()
        try:
            store.save_routine(
                dataclasses.replace(seen.routine, name=f"Edit {n}"), expected_version=seen.version
            )
            wins.append(n)
        except VersionConflict:
            conflicts.append(n)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(conflicts) == 5
    final = store.get_routine("lower-back")
    assert final is not None and final.version == 2
    assert final.routine.name == f"Edit {wins[0]}"


def test_a_routine_stored_under_older_limits_still_loads(store: Store, data_dir: Path) -> None:
    # Spotter once allowed 50 exercises and had no size caps; a routine stored then must
    # stay listed and usable after an upgrade, while a new one meets today's caps.
    big = {
        "id": "big",
        "name": "Big day",
        "exercises": [
            {"name": f"Move {i}", "sets": 20, "reps": 200, "cues": ["Keep going." * 20] * 4}
            for i in range(45)
        ],
    }
    with pytest.raises(RoutineError) as refused:
        parse_routine(big)
    assert "exercises" in refused.value.errors
    old = parse_routine(big, caps=False)
    with sqlite3.connect(data_dir / DB_NAME) as conn:
        conn.execute(
            "INSERT INTO routines (id, body, version, updated_at) VALUES (?, ?, 1, 0)",
            ("big", json.dumps(old.to_dict())),
        )
    stored = store.get_routine("big")
    assert stored is not None and len(stored.routine.exercises) == 45
    assert "big" in [s.routine.id for s in store.list_routines()]
    with pytest.raises(RoutineError):
        store.create_routine(dataclasses.replace(old, id="big-copy"))
