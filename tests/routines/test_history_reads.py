"""Reading a long history a bounded part at a time: pages, batches and totals, with the
workouts still waiting for the file counted too."""

from __future__ import annotations

import dataclasses

import pytest

from routines.model import HistoryEntry
from routines.repo_history import HistoryRepository
from routines.store import Store


def _entry(finished_at: float, *, profile_id: int = 1, completed: bool = True) -> HistoryEntry:
    return HistoryEntry(
        routine_id="lower-back",
        routine_name="Lower-back relief",
        started_at=finished_at - 90,
        finished_at=finished_at,
        exercises_done=4,
        sets_done=12,
        completed=completed,
        profile_id=profile_id,
    )


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data")
    try:
        yield s
    finally:
        s.close()


def _waiting(store: Store, entry: HistoryEntry) -> None:
    """A workout the file could not take yet (as after a full disk)."""
    store.workouts._db.pending.keep(entry)


def test_every_workout_comes_once_oldest_first_across_batches(store):
    for n in range(10):
        store.add_history(_entry(1000.0 + n // 2))  # pairs finished in the same second
    _waiting(store, _entry(5000.0))
    repo = HistoryRepository(store.workouts._db)
    got = list(repo.oldest_first(batch=3))
    assert [e.finished_at for e in got] == [1000.0 + n // 2 for n in range(10)] + [5000.0]
    assert [e.id for e in got[:-1]] == list(range(1, 11))


def test_waiting_workouts_come_on_the_first_page_only(store):
    for n in range(5):
        store.add_history(_entry(1000.0 + n))
    _waiting(store, _entry(9000.0))
    first, cursor = store.history_page(2)
    assert [e.finished_at for e in first] == [9000.0, 1004.0, 1003.0]
    second, cursor = store.history_page(2, before=cursor)
    third, cursor = store.history_page(2, before=cursor)
    assert [e.finished_at for e in second + third] == [1002.0, 1001.0, 1000.0]
    assert cursor is None


def test_totals_and_spans_count_the_waiting_workouts_and_the_minutes_as_shown(store):
    store.add_history(_entry(1000.0))
    store.add_history(dataclasses.replace(_entry(2000.0, completed=False), started_at=1985.0))
    store.add_history(_entry(3000.0, profile_id=2))
    _waiting(store, _entry(4000.0))
    totals = store.history_totals(profile_id=1, since=1000.0)
    assert (totals.workouts, totals.completed) == (3, 2)
    # 1.5 + 0.2 (15 s rounds down, as Python rounds 0.25) + 1.5
    assert totals.minutes == pytest.approx(3.2)
    assert store.history_totals(profile_id=1, since=1500.0, until=3500.0).workouts == 1
    assert store.completed_per_span([0.0, 1500.0, 3500.0, float("inf")], profile_id=1) == [
        1,
        0,
        1,
    ]
