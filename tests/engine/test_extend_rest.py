"""Rest +15 s: the extend_rest action, said once, moving the countdown to the new end."""

from __future__ import annotations

from dataclasses import replace

from device.engine.session import WorkoutSession
from device.events import Action, Gesture, State
from device.testing import FakeClock
from routines.model import Exercise, Routine


def resting(clock: FakeClock) -> WorkoutSession:
    """Two sets of two reps with a 10 s rest between them, in that rest now."""
    session = WorkoutSession(clock, default_rest=10, speech_seconds=lambda text: 0.0)
    session.set_routine(
        Routine(id="r", name="R", exercises=(Exercise(name="Squat", sets=2, reps=2),))
    )
    for _ in range(4):  # start, set 1, two reps
        session.handle_gesture(Gesture.PRESS)
    assert session.status().state is State.REST
    return session


def said(session: WorkoutSession, clock: FakeClock, until: float) -> list[tuple[float, str]]:
    start, out = clock.now, []
    while (deadline := session.next_deadline()) is not None and deadline <= until:
        clock.now = deadline
        out += [(round(deadline - start, 3), line.text) for line in session.tick()]
    return out


def test_fifteen_more_seconds_said_once_with_the_countdown_at_the_new_end(clock):
    session = resting(clock)
    clock.advance(8)  # "3" was due at 7 s
    session.tick()
    lines = session.handle(Action.EXTEND_REST)
    assert [line.text for line in lines] == ["15 more seconds of rest."]
    assert session.status().remaining_seconds == 17
    timeline = said(session, clock, clock.now + 30)
    assert timeline[:3] == [(14.0, "3"), (15.0, "2"), (16.0, "1")]
    assert timeline[3][0] == 17.0  # the rest ends 25 s after it began, not 10
    assert all(text != "15 more seconds of rest." for _, text in timeline)


def test_it_works_while_a_rest_is_paused_and_from_a_mapped_gesture(clock):
    session = resting(clock)
    session.handle(Action.PAUSE)
    session.handle(Action.EXTEND_REST)
    assert session.status().remaining_seconds == 25
    session.handle(Action.NEXT)  # carry on
    assert session.status().state is State.REST

    mapped = resting(clock)
    mapped.configure(
        default_rest=10,
        gesture_actions={Gesture.PRESS: Action.NEXT, Gesture.HOLD: Action.EXTEND_REST},
    )
    assert [line.text for line in mapped.handle_gesture(Gesture.HOLD)] == [
        "15 more seconds of rest."
    ]
    assert mapped.status().remaining_seconds == 25


def test_outside_a_rest_nothing_changes(clock):
    session = resting(clock)
    session.handle_gesture(Gesture.PRESS)  # rest skipped: set 2 announced
    before = session.status()
    lines = session.handle(Action.EXTEND_REST)
    assert [line.text for line in lines] == ["There is no rest to make longer right now."]
    assert replace(session.status(), last_spoken=None) == replace(before, last_spoken=None)
