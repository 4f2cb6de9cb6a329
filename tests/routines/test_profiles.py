"""Profiles in the store: each person's routine, goal and history stay their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from routines.profiles import ProfileError, parse_profile_changes
from routines.schema import FIRST_PROFILE_NAME
from routines.store import HistoryEntry, ProfileInUse, SetReps, Store
from routines.validation import parse_routine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "data") as s:
        yield s


def add(store: Store, name: str) -> int:
    return store.create_profile(parse_profile_changes({"name": name}, creating=True)).id


def workout(profile_id: int, finished_at: float = 5000.0, **more: object) -> HistoryEntry:
    return HistoryEntry(
        routine_id="lower-back",
        routine_name="Lower-back relief",
        started_at=finished_at - 1200,
        finished_at=finished_at,
        exercises_done=4,
        sets_done=12,
        completed=True,
        profile_id=profile_id,
        **more,  # type: ignore[arg-type]
    )


def test_a_new_store_has_one_profile_that_is_current(store: Store) -> None:
    [only] = store.profiles()
    assert only.name == FIRST_PROFILE_NAME
    assert store.current_profile() == only


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"name": ""}, "name", "blank"),
        ({"name": "   "}, "name", "blank"),
        ({"name": "x" * 41}, "name", "at most 40"),
        ({"name": 7}, "name", "text"),
        ({}, "name", "required"),
        ({"name": "Ann", "weekly_goal": 0}, "weekly_goal", "1 to 14"),
        ({"name": "Ann", "weekly_goal": 2.0}, "weekly_goal", "1 to 14"),
        ({"name": "Ann", "routine_id": ""}, "routine_id", "id of a routine"),
        ({"name": "Ann", "colour": "red"}, "colour", "unknown field"),
    ],
)
def test_bad_fields_are_named(body: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ProfileError) as err:
        parse_profile_changes(body, creating=True)
    assert words in err.value.errors[field]


def test_forty_characters_is_allowed(store: Store) -> None:
    add(store, "x" * 40)
    assert len(store.profiles()) == 2


def test_a_taken_name_is_refused_whatever_its_case(store: Store) -> None:
    add(store, "Ann")
    with pytest.raises(ProfileError) as err:
        add(store, "ann")
    assert "already called" in err.value.errors["name"]
    sam = add(store, "Sam")
    with pytest.raises(ProfileError):
        store.update_profile(sam, {"name": "ANN"})
    # Renaming a profile to its own name (another case) is no clash.
    assert store.update_profile(sam, {"name": "SAM"}).name == "SAM"
    assert [p.name for p in store.profiles()] == [FIRST_PROFILE_NAME, "Ann", "SAM"]


def test_an_unknown_routine_is_refused_and_nothing_changes(store: Store) -> None:
    ann = add(store, "Ann")
    with pytest.raises(ProfileError) as err:
        store.update_profile(ann, {"name": "Anne", "routine_id": "nope"})
    assert "no routine" in err.value.errors["routine_id"]
    assert store.get_profile(ann).name == "Ann"  # type: ignore[union-attr]


def test_each_profile_has_its_own_active_routine(store: Store) -> None:
    quick = store.create_routine(
        parse_routine({"name": "Quick", "exercises": [{"name": "Squat", "sets": 1, "reps": 5}]})
    ).routine
    ann = add(store, "Ann")
    store.set_active_routine(quick.id, ann)
    assert store.active_routine(ann).routine.id == quick.id  # type: ignore[union-attr]
    assert store.active_routine().routine.id == "lower-back"  # type: ignore[union-attr]
    store.set_current_profile(ann)
    assert store.active_routine().routine.id == quick.id  # type: ignore[union-attr]
    # Deleting the routine sends Ann back to the first one.
    store.delete_routine(quick.id)
    assert store.get_profile(ann).routine_id is None  # type: ignore[union-attr]
    assert store.active_routine(ann).routine.id == "lower-back"  # type: ignore[union-attr]


def test_a_workout_of_b_does_not_count_toward_as_week(store: Store) -> None:
    a = store.current_profile().id
    b = add(store, "Bea")
    store.add_history(workout(b, 5000.0))
    store.add_history(workout(a, 6000.0))
    store.add_history(workout(b, 7000.0))
    assert store.sessions_since(0.0, "lower-back", profile_id=a) == 1
    assert store.sessions_since(0.0, "lower-back", profile_id=b) == 2
    assert store.sessions_since(6500.0, profile_id=a) == 0
    assert store.sessions_since(0.0) == 3
    assert [e.finished_at for e in store.history(profile_id=b)] == [7000.0, 5000.0]


def test_pain_and_reps_per_set_are_kept(store: Store) -> None:
    short = SetReps("Glute hip thrusts", 2, 7, 10)
    kept = store.add_history(
        workout(1, pain_before=6, pain_after=4, sets_planned=12, set_reps=(short,))
    )
    [back] = store.history()
    assert back == kept
    assert (back.pain_before, back.pain_after, back.sets_planned) == (6, 4, 12)
    assert back.short_sets == (short,)
    assert back.reps_short == 3
    assert kept.id is not None
    assert store.set_pain(kept.id, "after", 2).pain_after == 2
    with pytest.raises(ValueError, match="score"):
        store.set_pain(kept.id, "after", 11)
    with pytest.raises(ValueError, match="moment"):
        store.set_pain(kept.id, "during", 3)
    with pytest.raises(KeyError):
        store.set_pain(kept.id + 1, "after", 3)
    assert store.history()[0].pain_after == 2


def test_deleting_a_profile_with_workouts_needs_consent(store: Store) -> None:
    ann = add(store, "Ann")
    store.set_current_profile(ann)
    store.add_history(workout(ann))
    store.add_history(workout(1))
    with pytest.raises(ProfileInUse) as err:
        store.delete_profile(ann, with_history=False)
    assert err.value.workouts == 1
    assert len(store.profiles()) == 2
    assert store.delete_profile(ann, with_history=True) == 1
    assert [e.profile_id for e in store.history()] == [1]
    # The one training is gone: the first profile takes over.
    assert store.current_profile().id == 1
    with pytest.raises(KeyError):
        store.delete_profile(ann, with_history=True)


def test_the_last_profile_stays(store: Store) -> None:
    with pytest.raises(ProfileInUse):
        store.delete_profile(1, with_history=True)
    assert len(store.profiles()) == 1


def test_a_clicker_belongs_to_one_person_and_a_person_has_one_clicker(store: Store) -> None:
    ann, ben = add(store, "Ann"), add(store, "Ben")
    store.set_clicker(ann, "red")
    store.set_clicker(ann, "blue")  # Ann's new clicker replaces her old one
    assert store.clicker_owners() == {"blue": ann}
    store.set_clicker(ben, "blue")  # and passing it on takes it from Ann
    assert store.clicker_owners() == {"blue": ben}
    store.set_clicker(ben, None)
    assert store.clicker_owners() == {}
    with pytest.raises(KeyError):
        store.set_clicker(999, "red")


def test_a_removed_person_leaves_their_clicker_nobodys(store: Store) -> None:
    ann = add(store, "Ann")
    store.set_clicker(ann, "red")
    store.delete_profile(ann, with_history=True)
    assert store.clicker_owners() == {}
