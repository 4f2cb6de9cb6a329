"""Which dose change a person's records earn (``device.engine.progression``), on times
the test chooses: no clock runs."""

from __future__ import annotations

from device.engine.progression import REST_BETWEEN_STEPS, Verdict, judge, offer
from routines.model import (
    Dose,
    DoseChange,
    HistoryEntry,
    PersonalDose,
    ProgressionRecords,
    Routine,
    SetReps,
    Suggestion,
)
from routines.validation import routine_from_yaml

DAY = 24 * 3600.0
SMALL = routine_from_yaml(
    """
id: small
name: Small
checkin: pain
exercises:
  - name: Stretch
    sets: 2
    hold_seconds: 30
    progression:
      every: 3
      steps: [{hold_seconds: 5, up_to: 40}, {sets: 1, up_to: 3}]
      pain: {good_if_after_at_most: 3, step_back_after_bad: 2}
  - name: Curls
    sets: 2
    reps: 10
    progression:
      every: 2
      steps: [{reps: 2, up_to: 12}]
"""
)


def workout(
    day: float,
    *,
    after: int | None = 1,
    before: int | None = 1,
    reps: tuple[int, int] = (10, 10),
    completed: bool = True,
) -> HistoryEntry:
    finished = day * DAY
    return HistoryEntry(
        "small",
        "Small",
        finished - 600,
        finished,
        2,
        4,
        completed,
        pain_before=before,
        pain_after=after,
        set_reps=tuple(SetReps("Curls", i + 1, done, 10) for i, done in enumerate(reps)),
    )


def records(
    *workouts: HistoryEntry,
    doses: dict[str, PersonalDose] | None = None,
    changes: tuple[DoseChange, ...] = (),
    enabled: bool = True,
    offers: tuple[Suggestion, ...] = (),
) -> ProgressionRecords:
    return ProgressionRecords(doses or {}, changes, tuple(workouts), enabled, offers)


def first_offer(routine: Routine, recs: ProgressionRecords, day: float):  # type: ignore[no-untyped-def]
    current, *_ = sorted(recs.workouts, key=lambda w: w.finished_at, reverse=True)
    return offer(routine, recs, day * DAY, current=current)


def test_three_good_sessions_earn_the_first_step_up() -> None:
    recs = records(workout(1), workout(3), workout(5))
    found = first_offer(SMALL, recs, 5)
    assert found is not None
    # Curls need two good sessions, the stretch three: both earned; one offer, in order.
    assert (found.exercise, found.direction, found.from_dose, found.to_dose) == (
        "Stretch",
        "up",
        Dose(2, None, 30),
        Dose(2, None, 35),
    )
    assert first_offer(SMALL, records(workout(3), workout(5)), 5).exercise == "Curls"  # type: ignore[union-attr]
    assert first_offer(SMALL, records(workout(5)), 5) is None


def test_a_short_set_or_a_bad_score_breaks_the_run() -> None:
    assert (
        judge(workout(1, reps=(10, 8)), SMALL.exercises[1], SMALL.exercises[1].progression.pain)
        is Verdict.NEUTRAL
    )  # type: ignore[union-attr]
    assert first_offer(SMALL, records(workout(1), workout(3, after=4), workout(5)), 5) is None
    # Two points worse than before is bad even under the rule's ceiling.
    worse = workout(3, before=0, after=2)
    assert judge(worse, SMALL.exercises[0], SMALL.exercises[0].progression.pain) is Verdict.BAD  # type: ignore[union-attr]


def test_without_scores_only_completion_counts() -> None:
    plain = [workout(d, after=None, before=None) for d in (1, 3, 5)]
    found = first_offer(SMALL, records(*plain), 5)
    assert found is not None and found.exercise == "Stretch"
    unfinished = [workout(d, after=None, before=None, completed=False) for d in (1, 3, 5)]
    assert first_offer(SMALL, records(*unfinished), 5) is None
    # ... and never makes a session bad: no step back without scores.
    assert (
        judge(unfinished[0], SMALL.exercises[0], SMALL.exercises[0].progression.pain)
        is Verdict.NEUTRAL
    )  # type: ignore[union-attr]


def at_dose(
    dose: Dose, changed: float
) -> tuple[Routine, dict[str, PersonalDose], tuple[DoseChange, ...]]:
    mine = {"Stretch": PersonalDose("Stretch", dose, Dose(2, None, 30), changed_at=changed * DAY)}
    change = DoseChange(1, "small", "Stretch", dose, changed * DAY, "accepted")
    return SMALL.at_doses(mine), mine, (change,)


def test_no_step_up_within_48_hours_of_the_last() -> None:
    routine, mine, changes = at_dose(Dose(2, None, 35), changed=10)
    goods = [workout(10 + d / 4) for d in (1, 2, 3)]  # three good sessions within a day
    assert first_offer(routine, records(*goods, doses=mine, changes=changes), 10.75) is not None
    curls = routine.exercises[1]
    only_stretch = Routine("small", "Small", (routine.exercises[0],), checkin="pain")
    assert curls.name == "Curls"
    recs = records(*goods, doses=mine, changes=changes)
    assert first_offer(only_stretch, recs, 10.75) is None
    late = [workout(10 + d) for d in (1, 1.5, 2.5)]
    assert 2.5 * DAY >= REST_BETWEEN_STEPS
    found = first_offer(only_stretch, records(*late, doses=mine, changes=changes), 12.5)
    assert found is not None and found.to_dose == Dose(2, None, 40)


def test_a_ceiling_stops_a_step_and_the_next_one_takes_over() -> None:
    routine, mine, changes = at_dose(Dose(2, None, 40), changed=1)
    only = Routine("small", "Small", (routine.exercises[0],))
    found = first_offer(
        only, records(workout(5), workout(6), workout(7), doses=mine, changes=changes), 7
    )
    assert found is not None and (found.field, found.to_dose) == ("sets", Dose(3, None, 40))
    top, mine, changes = at_dose(Dose(3, None, 40), changed=1)
    only = Routine("small", "Small", (top.exercises[0],))
    assert (
        first_offer(
            only, records(workout(5), workout(6), workout(7), doses=mine, changes=changes), 7
        )
        is None
    )


def test_two_bad_sessions_offer_a_step_back() -> None:
    only = Routine("small", "Small", (SMALL.exercises[0],))
    found = first_offer(only, records(workout(1, after=6), workout(3, after=5)), 3)
    # At the starting dose: one step below it, no further.
    assert found is not None and (found.direction, found.to_dose) == ("down", Dose(2, None, 25))
    low, mine, changes = at_dose(Dose(2, None, 25), changed=3)
    only = Routine("small", "Small", (low.exercises[0],))
    recs = records(workout(4, after=6), workout(5, after=6), doses=mine, changes=changes)
    assert first_offer(only, recs, 5) is None
    # Grown in sets: the last step that grew gives back first.
    grown, mine, _ = at_dose(Dose(3, None, 40), changed=1)
    only = Routine("small", "Small", (grown.exercises[0],))
    recs = records(workout(4, after=6), workout(5, after=6), doses=mine)
    found = first_offer(only, recs, 5)
    assert found is not None and found.to_dose == Dose(2, None, 40)


def test_a_bad_session_right_after_a_step_up_offers_to_undo_it() -> None:
    routine, mine, changes = at_dose(Dose(2, None, 35), changed=10)
    recs = records(workout(7), workout(11, after=5), doses=mine, changes=changes)
    found = first_offer(routine, recs, 11)
    assert found is not None and (found.direction, found.to_dose) == ("undo", Dose(2, None, 30))
    # After a good one at the new dose, a bad one is just a bad one.
    recs = records(workout(11), workout(12, after=5), doses=mine, changes=changes)
    found = first_offer(routine, recs, 12)
    assert found is None or found.direction != "undo"


def test_locked_or_switched_off_offers_nothing_and_an_offer_restarts_the_count() -> None:
    goods = (workout(1), workout(3), workout(5))
    only = Routine("small", "Small", (SMALL.exercises[0],))
    locked = {"Stretch": PersonalDose("Stretch", Dose(2, None, 30), Dose(2, None, 30), locked=True)}
    assert first_offer(only, records(*goods, doses=locked), 5) is None
    assert first_offer(only, records(*goods, enabled=False), 5) is None
    declined = Suggestion(
        1, "small", "Stretch", "up", Dose(2, None, 30), Dose(2, None, 35), 3 * DAY, "declined"
    )
    assert first_offer(only, records(*goods, offers=(declined,)), 5) is None


def test_the_workout_just_stored_is_not_counted_twice() -> None:
    goods = (workout(1), workout(3))
    current = workout(5)
    only = Routine("small", "Small", (SMALL.exercises[0],))
    # The store may already hold the workout being judged.
    recs = records(current, *goods)
    assert offer(only, recs, 5 * DAY, current=current) is not None
    recs = records(current, workout(3))
    assert offer(only, recs, 5 * DAY, current=current) is None
