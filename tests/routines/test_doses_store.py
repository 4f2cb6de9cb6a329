"""Each person's doses in the store, on a real SQLite file: changes logged, offers
answered, locks, the owner's switch, and what a routine edit does to a dose."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from routines.changes import Data
from routines.errors import DoseError
from routines.model import Dose, HistoryEntry, Suggestion
from routines.store import Store
from routines.validation import routine_from_yaml

SMALL = """
id: small
name: Small
checkin: pain
exercises:
  - name: Stretch
    sets: 2
    hold_seconds: 30
    progression:
      every: 3
      steps: [{hold_seconds: 5, up_to: 45}, {sets: 1, up_to: 3}]
  - name: Curls
    sets: 3
    reps: 10
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path) as store:
        store.create_routine(routine_from_yaml(SMALL))
        yield store


def offer(store: Store, profile: int = 1, to: Dose | None = None) -> Suggestion:
    return store.suggest_dose(
        Suggestion(
            profile, "small", "Stretch", "up", Dose(2, None, 30), to or Dose(2, None, 35), 100.0
        )
    )


def test_a_new_dose_is_one_persons_and_is_logged(store: Store) -> None:
    sam = store.create_profile({"name": "Sam"}).id
    store.set_dose(1, "small", "Stretch", Dose(2, None, 35), why="owner", at=50.0)
    mine = store.routine_at_dose(1, "small")
    theirs = store.routine_at_dose(sam, "small")
    assert mine is not None and theirs is not None
    assert mine.exercises[0].hold_seconds == 35
    assert theirs.exercises[0].hold_seconds == 30
    [change] = store.dose_changes(1, "small")
    assert (change.exercise, change.dose, change.at, change.why) == (
        "Stretch",
        Dose(2, None, 35),
        50.0,
        "owner",
    )
    assert store.dose_changes(sam) == []


def test_accepting_an_offer_changes_the_dose_and_declining_keeps_it(store: Store) -> None:
    first = offer(store)
    assert first.id is not None and store.dose_suggestions(1) == [first]
    accepted = store.answer_suggestion(first.id, "accepted", at=200.0)
    assert (accepted.answer, accepted.answered_at) == ("accepted", 200.0)
    assert store.doses(1, "small")["Stretch"].dose == Dose(2, None, 35)
    assert [c.why for c in store.dose_changes(1)] == ["accepted"]

    second = store.suggest_dose(
        Suggestion(1, "small", "Stretch", "up", Dose(2, None, 35), Dose(2, None, 40), 300.0)
    )
    assert second.id is not None
    assert store.answer_suggestion(second.id, "declined").answer == "declined"
    assert store.doses(1, "small")["Stretch"].dose == Dose(2, None, 35)
    assert store.dose_suggestions(1) == []
    # An answer already given stays.
    assert store.answer_suggestion(second.id, "accepted").answer == "declined"


def test_an_offer_made_stale_expires(store: Store) -> None:
    old = offer(store)
    newer = offer(store, to=Dose(3, None, 30))
    assert [s.id for s in store.dose_suggestions(1)] == [newer.id]
    assert old.id is not None and store.answer_suggestion(old.id, "accepted").answer == "expired"
    # The dose moved after the offer: accepting it changes nothing.
    store.set_dose(1, "small", "Stretch", Dose(2, None, 40), why="phone")
    assert store.dose_suggestions(1) == []
    assert newer.id is not None
    assert store.answer_suggestion(newer.id, "accepted").answer == "expired"
    assert store.doses(1, "small")["Stretch"].dose == Dose(2, None, 40)
    # The routine's starting dose was edited after the offer: it no longer applies.
    late = offer(store, to=Dose(2, None, 45))
    stored = store.get_routine("small")
    assert stored is not None and late.id is not None
    stretch = dataclasses.replace(stored.routine.exercises[0], hold_seconds=25)
    store.save_routine(
        dataclasses.replace(stored.routine, exercises=(stretch, *stored.routine.exercises[1:]))
    )
    assert store.answer_suggestion(late.id, "accepted").answer == "expired"
    assert len(store.dose_changes(1)) == 1


def test_a_lock_keeps_the_dose_and_withdraws_offers(store: Store) -> None:
    offer(store)
    store.set_dose_locked(1, "small", "Stretch", True)
    assert store.dose_suggestions(1) == []
    assert store.doses(1, "small")["Stretch"].locked
    assert store.doses(1, "small")["Stretch"].dose == Dose(2, None, 30)
    store.set_dose(1, "small", "Stretch", Dose(2, None, 40), why="owner")
    assert store.doses(1, "small")["Stretch"].locked  # the owner's hand keeps the lock
    store.set_dose_locked(1, "small", "Stretch", False)
    assert not store.doses(1, "small")["Stretch"].locked


def test_bad_doses_are_refused_by_field(store: Store) -> None:
    with pytest.raises(DoseError) as info:
        store.set_dose(1, "small", "Stretch", Dose(9, None, 50), why="owner")
    assert info.value.errors == {
        "hold_seconds": "must be a whole number from 1 to 45",
        "sets": "must be a whole number from 1 to 3",
    }
    with pytest.raises(DoseError) as info:
        store.set_dose(1, "small", "Stretch", Dose(2, 10, None), why="owner")
    assert "is done with a hold" in info.value.errors["dose"]
    with pytest.raises(DoseError) as info:
        store.set_dose(1, "small", "Curls", Dose(3, 12, None), why="owner")
    assert "no progression rules" in info.value.errors["exercise"]
    with pytest.raises(DoseError):
        store.set_dose(1, "small", "Lunge", Dose(3, 12, None), why="owner")
    assert store.dose_changes(1) == []


def test_an_edited_routine_sends_the_person_back_to_its_new_start(store: Store) -> None:
    store.set_dose(1, "small", "Stretch", Dose(3, None, 40), why="owner")
    stored = store.get_routine("small")
    assert stored is not None
    stretch = stored.routine.exercises[0]
    # Another exercise edited: the dose stays.
    curls = dataclasses.replace(stored.routine.exercises[1], reps=12)
    store.save_routine(dataclasses.replace(stored.routine, exercises=(stretch, curls)))
    at_dose = store.routine_at_dose(1, "small")
    assert at_dose is not None and at_dose.exercises[0].hold_seconds == 40
    # Its own starting dose edited: the file's new dose wins.
    shorter = dataclasses.replace(stretch, hold_seconds=20)
    store.save_routine(dataclasses.replace(stored.routine, exercises=(shorter, curls)))
    at_dose = store.routine_at_dose(1, "small")
    assert at_dose is not None and at_dose.exercises[0].hold_seconds == 20
    # Removed: nothing left to apply it to, and its log stays.
    store.save_routine(dataclasses.replace(stored.routine, exercises=(curls,)))
    at_dose = store.routine_at_dose(1, "small")
    assert at_dose is not None and [e.name for e in at_dose.exercises] == ["Curls"]
    assert len(store.dose_changes(1)) == 1


def test_records_for_the_engine_and_the_owner_switch(store: Store) -> None:
    store.add_history(HistoryEntry("small", "Small", 1.0, 2.0, 2, 5, True, pain_after=1))
    store.add_history(HistoryEntry("lower-back", "Back", 3.0, 4.0, 4, 12, True))
    records = store.progression_records(1, "small")
    assert [w.routine_id for w in records.workouts] == ["small"]
    assert records.enabled
    store.update_settings({"progression": False})
    assert not store.progression_records(1, "small").enabled


def test_doses_go_with_their_profile_and_writes_are_announced(store: Store) -> None:
    seen: list[frozenset[Data]] = []
    store.subscribe(seen.append)
    sam = store.create_profile({"name": "Sam"}).id
    store.set_dose(sam, "small", "Stretch", Dose(2, None, 35), why="owner")
    offer(store, profile=sam)
    assert seen[-2:] == [frozenset({Data.DOSES})] * 2
    store.delete_profile(sam, with_history=True)
    assert store.doses(sam, "small") == {}
    assert store.dose_changes(sam) == [] and store.dose_suggestions(sam) == []
