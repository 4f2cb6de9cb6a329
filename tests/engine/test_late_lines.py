"""Lines known late: what a workout says at its end (the summary, the week's count) is
among the lines it listed ahead, while there was still time to render them."""

from __future__ import annotations

import pytest

from device.engine import phrases
from device.engine.session import WorkoutSession
from device.events import Action, State
from device.testing import FakeClock
from routines.model import Routine
from routines.validation import load_library


@pytest.fixture
def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    return routine


def run(
    session: WorkoutSession, clock: FakeClock, press_after: float
) -> list[tuple[int, list[str], list[str]]]:
    """A whole workout, each press ``press_after`` seconds after the voice waits for it:
    at every step, the exercise, the late lines listed and what was said."""
    steps = []
    said = [line.text for line in session.handle(Action.NEXT)]
    while session.status().state is not State.DONE:
        where = session.status().exercise_index or 0
        late = session.late_lines()
        deadline = session.next_deadline()
        if session.waiting_for_press() or deadline is None:
            clock.advance(press_after)
            said = [line.text for line in session.handle(Action.NEXT)]
        else:
            clock.now = deadline
            said = [line.text for line in session.tick()]
        steps.append((where, late, said))
    return steps


@pytest.mark.parametrize("press_after", [1.0, 7.0, 29.0])
def test_the_end_of_a_workout_was_listed_before_it_was_said(clock, lower_back, press_after):
    session = WorkoutSession(clock, default_rest=20, speech_seconds=lambda text: 2.0)
    session.set_routine(lower_back, sessions_this_week=1, weekly_goal=3)
    week = phrases.weekly_progress(2, 3, counted=True)
    assert session.late_lines() == [week]  # known before the start
    steps = run(session, clock, press_after)
    *_, (last_exercise, listed, said) = steps
    assert last_exercise == len(lower_back.exercises) - 1
    end = said[said.index(phrases.complete()) + 1 :]
    assert end[0].startswith("You did 4 exercises and 12 sets in ")
    assert end[1] == week
    assert set(end) <= set(listed), (end, listed)
    # Before the last exercise, no summary is guessed: only the week, said either way.
    first = [late for where, late, _ in steps if where < last_exercise]
    assert first and all(late[:1] == [week] and len(late) == 2 for late in first)
    assert session.late_lines() == []  # said: nothing is late any more


def test_a_workout_ended_early_lists_the_week_it_says(clock, lower_back):
    session = WorkoutSession(clock, default_rest=20, speech_seconds=lambda text: 0.0)
    session.set_routine(lower_back, sessions_this_week=0, weekly_goal=None)
    session.handle(Action.NEXT)
    listed = session.late_lines()
    session.handle(Action.PAUSE)
    session.handle(Action.PAUSE)  # asks to be sure
    said = [line.text for line in session.handle(Action.PAUSE)]
    assert said[-1] == phrases.weekly_progress(0, None, counted=False)
    assert said[-1] in listed
