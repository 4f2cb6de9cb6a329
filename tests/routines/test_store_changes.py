"""The store tells its subscribers which kinds of data each committed write changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from routines.changes import EVERYTHING, Data
from routines.errors import SettingsError
from routines.store import HistoryEntry, Store


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "data") as s:
        yield s


def heard(store: Store) -> list[frozenset[Data]]:
    seen: list[frozenset[Data]] = []
    store.subscribe(seen.append)
    return seen


def test_each_write_names_what_it_changed(store: Store) -> None:
    seen = heard(store)
    routine = store.active_routine().routine  # type: ignore[union-attr]
    store.save_routine(dataclasses.replace(routine, name="Back"))
    store.update_settings({"default_rest_seconds": 20})
    sam = store.create_profile({"name": "Sam"})
    store.add_history(HistoryEntry("lower-back", "Back", 1.0, 2.0, 1, 1, True, profile_id=sam.id))
    store.delete_profile(sam.id, with_history=True)
    store.delete_routine(routine.id)
    assert seen == [
        {Data.ROUTINES},
        {Data.SETTINGS},
        {Data.PROFILES},
        {Data.HISTORY},
        {Data.PROFILES, Data.HISTORY, Data.DOSES},
        {Data.ROUTINES, Data.PROFILES},
    ]


def test_a_refused_write_or_a_read_says_nothing(store: Store) -> None:
    seen = heard(store)
    with pytest.raises(SettingsError):
        store.update_settings({"default_rest_seconds": -1})
    store.settings()
    store.history()
    assert seen == []


def test_another_programs_write_is_noticed_at_the_next_check(store: Store, tmp_path: Path) -> None:
    seen = heard(store)
    with Store.open(tmp_path / "data") as other:
        other.update_settings({"default_rest_seconds": 25})
    assert seen == []
    store.check_file()
    assert seen == [EVERYTHING]
    store.check_file()
    assert seen == [EVERYTHING]  # once


def test_a_failing_listener_does_not_undo_the_write(store: Store) -> None:
    def broken(changes: frozenset[Data]) -> None:
        raise RuntimeError("listener bug")

    store.subscribe(broken)
    seen = heard(store)
    store.update_settings({"default_rest_seconds": 20})
    assert store.settings().default_rest_seconds == 20
    assert seen == [{Data.SETTINGS}]


def test_unsubscribed_hears_nothing_more(store: Store) -> None:
    seen: list[frozenset[Data]] = []
    stop = store.subscribe(seen.append)
    stop()
    store.update_settings({"default_rest_seconds": 20})
    assert seen == []


def test_a_routine_saved_writes_no_waiting_workout_into_history(store: Store) -> None:
    # A workout kept back while the file took no writes waits for a history write or the
    # file check, not for whatever is written next.
    store.db.pending.keep(HistoryEntry("lower-back", "Back", 1.0, 2.0, 1, 1, True))
    seen = heard(store)
    routine = store.active_routine().routine  # type: ignore[union-attr]
    store.save_routine(dataclasses.replace(routine, name="Back"))
    assert seen == [{Data.ROUTINES}]
    assert store._conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 0
    assert len(store.history()) == 1  # still counted, from memory
    store.check_file()
    assert seen[-1] == {Data.HISTORY}
    assert store._conn.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 1
