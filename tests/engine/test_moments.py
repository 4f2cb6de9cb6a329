"""The session marks the moments a tone can stand for, and only those."""

from __future__ import annotations

import copy
import pickle

from device.engine import phrases
from device.engine.session import WorkoutSession
from device.events import Gesture, Line, Moment, Status
from device.testing import FakeClock
from routines.model import Exercise, Routine, TempoPhase

ROUTINE = Routine(
    id="cues",
    name="Cues",
    exercises=(
        Exercise(name="Plank", sets=2, hold_seconds=4, rest_seconds=5),
        Exercise(name="Squats", sets=1, reps=2, rest_seconds=0),
    ),
)
Said = list[tuple[str, Moment | None]]


def cues(lines: list[Line]) -> Said:
    return [(line.text, line.moment) for line in lines]


def start(clock: FakeClock) -> WorkoutSession:
    session = WorkoutSession(clock, default_rest=30)
    session.set_routine(ROUTINE, sessions_this_week=0, weekly_goal=None)
    return session


def test_each_moment_of_a_workout_carries_its_cue(clock: FakeClock) -> None:
    session = start(clock)

    def press() -> Said:
        clock.advance(1)
        return cues(session.handle_gesture(Gesture.PRESS))

    def run_out() -> Said:
        said: Said = []
        # Until the next press is awaited (later deadlines are the idle reminder's).
        while not session.waiting_for_press() and (due := session.next_deadline()) is not None:
            clock.now = due
            said += cues(session.tick())
        return said

    assert all(cue is None for _, cue in press() + press())  # the intro, set 1
    assert press() == [("Hold for 4 seconds.", Moment.HOLD_STARTED)]
    timed = run_out()
    # Countdown numbers are words only: a tone is for a rep, not for 3, 2, 1.
    assert ("3", None) in timed
    assert timed[3:6] == [
        ("And release.", Moment.HOLD_ENDED),
        ("Set done.", Moment.SET_DONE),
        ("Rest for 5 seconds.", None),
    ]
    # The rest runs out: the next set's first line marks it.
    assert timed[-2:] == [
        ("Final set.", Moment.REST_OVER),
        ("4 second hold.", None),  # what to press was said in the first set
    ]
    press()
    assert press()[:2] == [("And release.", Moment.HOLD_ENDED), ("Set done.", Moment.SET_DONE)]
    # A press that cuts the rest short ends it just the same.
    assert press()[0] == ("Exercise 2 of 2: Squats.", Moment.REST_OVER)
    press()
    assert press() == [("1", Moment.REP)]
    last = press()
    assert last[:3] == [
        ("2", Moment.REP),
        ("Set done.", Moment.SET_DONE),
        ("Workout complete. Well done.", Moment.WORKOUT_DONE),
    ]
    assert all(cue is None for _, cue in last[3:])  # the summary is words


def test_a_workout_ended_early_is_not_marked_as_done(clock: FakeClock) -> None:
    session = start(clock)
    session.handle_gesture(Gesture.PRESS)
    session.handle_gesture(Gesture.LONG_HOLD)  # paused
    session.handle_gesture(Gesture.LONG_HOLD)  # asked to confirm
    said = cues(session.handle_gesture(Gesture.LONG_HOLD))
    assert said[0] == ("Workout ended.", None)
    assert all(cue is None for _, cue in said)


def test_a_paced_sets_phase_words_are_marked_for_a_tone(clock: FakeClock) -> None:
    squats = Exercise(
        name="Squats",
        sets=1,
        reps=2,
        count="paced",
        tempo=(TempoPhase("Down", 2), TempoPhase("Up", 2)),
        rest_seconds=0,
    )
    session = WorkoutSession(clock)
    session.set_routine(Routine(id="paced", name="Paced", exercises=(squats,)))
    said: Said = []
    for _ in range(3):  # the introduction, the set, then pacing starts
        clock.advance(1)
        said = cues(session.handle_gesture(Gesture.PRESS))
    while not session.waiting_for_press() and (due := session.next_deadline()) is not None:
        clock.now = due
        said += cues(session.tick())
    assert ("1. Down.", Moment.REP) in said
    assert ("Up.", Moment.PHASE) in said
    assert ("2. Down.", Moment.REP) in said


def test_a_marked_line_copies_and_serialises_like_text() -> None:
    said = phrases.set_done()
    assert (
        copy.deepcopy(said) == "Set done."
        and phrases.moment_of(copy.deepcopy(said)) is Moment.SET_DONE
    )
    assert pickle.loads(pickle.dumps(said)) == said
    assert Status(last_spoken=said).to_dict()["last_spoken"] == "Set done."
