"""The settings' gesture-to-action map is one map: what starts a workout from the engine
and what moves it along in the session both follow it."""

from __future__ import annotations

from device.engine.core import Engine, GestureTimings
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, State
from device.testing import FakeClock
from routines.model import Exercise, Routine

QUICK = Routine(
    id="quick",
    name="Quick one",
    exercises=(Exercise(name="Squats", sets=2, reps=5, count="per_set", rest_seconds=0),),
)
# A press repeats and a hold moves on: the other way round from the defaults.
SWAPPED = {
    **DEFAULT_GESTURE_ACTIONS,
    Gesture.PRESS: Action.REPEAT,
    Gesture.HOLD: Action.NEXT,
}


def test_a_swapped_map_starts_and_moves_on_with_the_hold(clock: FakeClock) -> None:
    engine = Engine(clock)
    engine.configure(
        timings=GestureTimings(debounce=0.02, double_window=0.4, hold=0.8, long_hold=3.0),
        default_rest=30,
        gesture_actions=SWAPPED,
    )
    engine.set_routine(QUICK, sessions_this_week=0, weekly_goal=3)
    engine.gesture(Gesture.PRESS)
    assert engine.status().state is State.IDLE
    started = [line.text for line in engine.gesture(Gesture.HOLD)]
    assert engine.status().state is State.INTRO
    assert any("Squats" in text for text in started)
    engine.gesture(Gesture.HOLD)
    assert engine.status().state is State.SET
