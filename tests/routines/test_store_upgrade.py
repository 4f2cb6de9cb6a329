"""A store written by an earlier Spotter opens with everything in it.

``tests/fixtures/store-schema1.db`` was written once by Spotter with store schema 1 and is
kept as data, never regenerated: two routines (the library's lower-back and a
"Desk break" made on the device, which is the active one), changed settings including
the gesture map and the PIN 2468, the web secret, eight workouts (one ended early) and
a lower-back workout left in progress.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from routines.schema import FIRST_PROFILE_NAME, SCHEMA_VERSION
from routines.store import DB_NAME, Store
from web_config.access_pin import verify_pin

FIXTURE = Path(__file__).parent.parent / "fixtures" / "store-schema1.db"
PIN = "2468"
FLASK_SECRET = "68073F03E077E85F389376A5766E0BA90F17F39A6326B6D43A41A78881D38983"


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(FIXTURE, data_dir / DB_NAME)
    return data_dir


def check_fixture_contents(data_dir: Path, *, workouts: int = 8) -> None:
    """Open the store (upgrading it) and find everything the fixture holds."""
    with Store.open(data_dir) as store:
        assert [s.routine.id for s in store.list_routines()] == ["lower-back", "desk-break"]
        desk = store.get_routine("desk-break")
        assert desk is not None
        assert desk.routine.name == "Desk break"
        assert desk.routine.sessions_per_week == 5
        assert [e.name for e in desk.routine.exercises] == ["Standing hip stretch", "Wall push-ups"]
        active = store.active_routine()
        assert active is not None and active.routine.id == "desk-break"

        settings = store.settings()
        assert (settings.voice_rate, settings.voice_volume) == (150, 0.8)
        assert (settings.hold_ms, settings.long_hold_ms) == (900, 2500)
        assert (settings.default_rest_seconds, settings.weekly_goal) == (40, 4)
        assert settings.gesture_actions["double"] == "repeat"
        assert settings.gesture_actions["hold"] == "skip"
        assert verify_pin(PIN, settings.pin_hash)
        assert not verify_pin("1357", settings.pin_hash)

        history = store.history(limit=1_000_000)
        assert len(history) == workouts
        assert [e.completed for e in history].count(False) == 1
        assert {e.routine_id for e in history} == {"lower-back", "desk-break"}
        assert history[0].finished_at > history[-1].finished_at

        # The secret that signs the page's sessions: phones stay logged in.
        assert store.secret("flask") == bytes.fromhex(FLASK_SECRET)

        progress = store.load_progress()
        assert progress is not None
        assert progress["routine"]["id"] == "lower-back"


def test_routines_settings_history_and_pin_survive(old_store: Path) -> None:
    check_fixture_contents(old_store)


def user_version(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / DB_NAME)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def test_the_fixture_really_is_an_old_store(old_store: Path) -> None:
    assert user_version(old_store) == 1


def test_one_profile_holds_everything_that_existed(old_store: Path) -> None:
    with Store.open(old_store) as store:
        [profile] = store.profiles()
        assert profile.name == FIRST_PROFILE_NAME
        # The device's active routine became the profile's.
        assert profile.routine_id == "desk-break"
        assert store.current_profile() == profile
        history = store.history(profile_id=profile.id)
        assert len(history) == 8
        assert all(e.pain_before is None and e.pain_after is None for e in history)
        assert all(e.set_reps == () and e.sets_planned is None for e in history)
    assert user_version(old_store) == SCHEMA_VERSION


def test_the_upgrade_runs_once(old_store: Path) -> None:
    with Store.open(old_store) as store:
        store.create_profile({"name": "Sam"})
    # A second start finds the new schema and leaves it alone.
    with Store.open(old_store) as store:
        assert [p.name for p in store.profiles()] == [FIRST_PROFILE_NAME, "Sam"]
        assert len(store.history()) == 8
