"""Every line a workout can say is rendered before it starts (``routine_lines``): random
workouts through the engine the worker drives, every gesture, action and answer at many
moments on the fake clock, say nothing else but what only that moment can know."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import pytest

from device.engine import phrases
from device.engine.core import Coaching, Engine, Question, Trainee
from device.engine.preview import people_lines, routine_lines
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine, TempoPhase
from routines.validation import load_library
from tests.engine.talk import KNEE
from tests.realtime.routines import knee, one_hold

ADDRESS = "http://spotter.local:8080"
NAMES = ("Ann", "Bea")


def every_kind() -> Routine:
    """A move of each kind the model allows: counted per rep on alternating sides, per set
    without rest, a hold one side first, and a paced set of three phases with no rest after
    it; short rests where the news of the next move barely fits."""
    return Routine(
        id="kinds",
        name="Every kind",
        sessions_per_week=None,
        exercises=(
            Exercise(
                name="Lunges",
                sets=2,
                reps=3,
                sides="both",
                first_side="right",
                rest_seconds=2,
                rest_after_seconds=4,
                equipment=("mat",),
                cues=("Knee over ankle",),
                side_cues=(("right", "Right foot forward"), ("left", "Left foot forward")),
            ),
            Exercise(name="Squats", sets=2, reps=5, count="per_set", rest_seconds=0),
            Exercise(
                name="Side plank",
                sets=2,
                hold_seconds=12,
                sides="both",
                side_order="one_side_first",
                rest_seconds=3,
                equipment=("mat", "towel"),
                setup=("Lie on one side",),
            ),
            Exercise(
                name="Slow bridge",
                sets=1,
                reps=3,
                count="paced",
                tempo=(TempoPhase("Up", 1), TempoPhase("Squeeze", 1), TempoPhase("Down", 2)),
                rest_after_seconds=0,
            ),
            Exercise(name="Wall sit", sets=1, hold_seconds=5, equipment=("a wall",)),
        ),
    )


def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    return routine


ROUTINES: dict[str, Callable[[], Routine]] = {
    "lower-back": lower_back,
    "knee": knee,
    "knee-short-rests": lambda: KNEE,
    "one-hold": one_hold,
    "every-kind": every_kind,
}


@cache
def ahead(name: str) -> frozenset[str]:
    return frozenset(routine_lines(ROUTINES[name]()))


def longer_rests(routine: Routine) -> set[str]:
    """A rest made longer twice or more, then gone back to, is said at its new length:
    each "+15 s" makes another, so these are rendered when said. (Once is rendered.)"""
    planned = {e.rest_between_sets(30) for e in routine.exercises}
    planned |= {e.rest_after(30) for e in routine.exercises}
    extra = phrases.EXTRA_REST_SECONDS
    return {phrases.rest(p + n * extra) for p in planned for n in range(2, 100)}


@dataclass
class Workout:
    """A real engine on the fake clock, moved at random; what it said, and what only the
    moment it was said could know."""

    routine: Routine
    verbosity: str
    rng: random.Random
    people: int
    clock: FakeClock = field(default_factory=FakeClock)
    said: list[str] = field(default_factory=list)
    # Known only then, so rendered only then:
    # - a workout's summary and the week so far: they count what was done;
    # - the phone page's address: the network gives it;
    # - the offer to resume and the place a resumed workout carries on from: one per
    #   place a workout can stop, said once after a restart.
    only_then: set[str] = field(default_factory=lambda: {phrases.address(ADDRESS)})

    def __post_init__(self) -> None:
        self.engine = self._engine()

    def _trainees(self) -> list[Trainee]:
        goal = self.routine.sessions_per_week
        hurt = (1, 8) if self.rng.random() < 0.5 else None
        return [
            Trainee(i + 1, name, self.routine, weekly_goal=goal, last_pain=hurt)
            for i, name in enumerate(NAMES[: self.people])
        ]

    def _engine(self) -> Engine:
        engine = Engine(
            self.clock,
            coaching=Coaching(verbosity=self.verbosity),
            gesture_actions=DEFAULT_GESTURE_ACTIONS,
            address=lambda: ADDRESS,
        )
        engine.set_people(self._trainees(), current=1)
        return engine

    def hear(self, lines: list[Line]) -> None:
        self.said += [line.text for line in lines if line.text]
        record = self.engine.pop_finished()
        if record is not None:
            week = 1 if record.completed else 0
            goal = self.routine.sessions_per_week
            self.only_then |= {
                phrases.summary(record.exercises_done, record.sets_done, record.seconds),
                phrases.weekly_progress(week, goal, counted=record.completed),
            }

    def step(self) -> None:
        roll = self.rng.random()
        engine = self.engine
        if roll < 0.3:
            due = engine.next_deadline()
            if due is not None:
                self.clock.now = max(self.clock.now, due)
            self.hear(engine.tick())
        elif roll < 0.4:
            self.clock.advance(self.rng.uniform(0.05, 6.0))
            self.hear(engine.tick())
        elif roll < 0.7:
            self.hear(engine.gesture(Gesture.PRESS))
        elif roll < 0.8:
            self.hear(engine.gesture(self.rng.choice(list(Gesture))))
        elif roll < 0.93:
            self.hear(engine.act(self.rng.choice(list(Action))))
        elif roll < 0.98:
            question = self.rng.choice([Question.PAIN_BEFORE, Question.PAIN_AFTER])
            self.hear(engine.answer(question, self.rng.randrange(11)))
        else:
            self.power_cut()

    def power_cut(self) -> None:
        """The device restarts: a new engine offers to carry on where this one stood."""
        position = self.engine.snapshot()
        self.engine = self._engine()
        if position is None:
            return
        offer = self.engine.offer_resume(
            position, sessions_this_week=0, weekly_goal=self.routine.sessions_per_week
        )
        self.only_then |= {line.text for line in offer}

    def not_ahead(self, lines: frozenset[str]) -> set[str]:
        # The worker renders the people menu beside the routines' lines.
        extra = set(people_lines(NAMES[: self.people])) | longer_rests(self.routine)
        return {
            text
            for text in self.said
            if text not in lines
            and text not in self.only_then
            and text not in extra
            and not text.startswith("Carrying on: ")
        }


@pytest.mark.parametrize("verbosity", ["full", "brief"])
@pytest.mark.parametrize("name", list(ROUTINES))
def test_every_line_a_random_workout_says_was_rendered_ahead(name, verbosity):
    lines = ahead(name)
    routine = ROUTINES[name]()
    missing: set[str] = set()
    states: set[State] = set()
    for seed in range(6):
        rng = random.Random(f"{name}-{verbosity}-{seed}")
        workout = Workout(routine, verbosity, rng, people=1 + seed % 2)
        for _ in range(500):
            workout.step()
            states.add(workout.engine.status().state)
        missing |= workout.not_ahead(lines)
    assert not missing
    # The runs went everywhere a workout goes.
    rests = {State.REST} if routine.total_sets > 1 else set()
    assert states >= {State.INTRO, State.SET, State.PAUSED, State.DONE, *rests}


def test_a_search_cut_short_still_renders_the_planned_workout(monkeypatch):
    """A routine too long to search whole (thousands of reps) gets the lines the search
    reached, and every line of the workout as planned."""
    from device.engine import preview, reachable

    routine = lower_back()
    whole = ahead("lower-back")
    monkeypatch.setattr(reachable, "MOVES", 300)
    cut = set(routine_lines(routine, default_rest=31))  # another key: not the cached lines
    script = preview.preview_script(routine, default_rest=31)
    assert set(script[:-2]) <= cut
    assert phrases.paused() in cut  # found by searching, near the start
    assert len(cut) < len(whole)
