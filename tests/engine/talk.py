"""A trainee and a voice on a fake clock: what a workout sounds like when lines take time.

The voice says each line for as long as ``estimate_seconds`` says it lasts, one after
another, cuts speech short for a line that interrupts and drops a timed line that
would start more than a second late, as the real voice does. The trainee presses
once Spotter has stopped talking and the work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from device.engine.session import Coaching, WorkoutSession
from device.engine.speech_time import estimate_seconds
from device.events import Action, Gesture, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine, TempoPhase

LATE = 1.0  # the voice drops a timed line that would start later than this

KNEE = Routine(
    id="knee",
    name="Knee strength",
    exercises=(
        Exercise(
            name="Straight leg raise",
            sets=3,
            reps=8,
            count="paced",
            tempo=(TempoPhase("Lift", 2), TempoPhase("Hold", 2), TempoPhase("Lower", 3)),
            rest_seconds=10,
            equipment=("yoga mat",),
            setup=(
                "Lie on your back, one knee bent with that foot flat",
                "Keep the other leg straight, toes pointing up",
            ),
            cues=("Tighten the front of the thigh before you lift", "Lift only to the other knee"),
        ),
        Exercise(
            name="Single-leg balance",
            sets=2,
            hold_seconds=30,
            sides="both",
            side_order="one_side_first",
            rest_seconds=5,
            equipment=("chair",),
            setup=("Stand beside a chair, one hand resting on its back",),
            cues=("Soft knee, hips level", "Eyes on a point ahead"),
            side_cues=(("left", "Stand on your left leg"), ("right", "Stand on your right leg")),
        ),
        Exercise(
            name="Clamshells",
            sets=2,
            reps=12,
            sides="both",
            rest_seconds=10,
            equipment=("yoga mat",),
            setup=("Lie on your side, knees bent, heels together",),
            cues=("Open the top knee without rolling back", "Close it slowly"),
        ),
        Exercise(
            name="Chair squats",
            sets=3,
            reps=10,
            count="per_set",
            rest_seconds=15,
            equipment=("chair",),
            setup=("Stand in front of the chair, feet hip-width apart",),
            cues=("Sit back until you touch the seat", "Knees follow the toes"),
        ),
    ),
)

# How long the trainee takes, once Spotter has stopped talking, before pressing.
GET_READY = 5.0  # into position for a new exercise
REP = 3.0  # one rep counted by a press
START = 2.0  # starting a hold or a paced set


@dataclass
class Heard:
    """One line as the trainee heard it."""

    at: float
    text: str
    seconds: float
    state: State
    exercise: int | None


@dataclass
class Voice:
    """Says lines one after another on the fake clock, as the real voice would."""

    free_at: float = 0.0
    heard: list[Heard] = field(default_factory=list)

    def say(self, lines: list[Line], now: float, session: WorkoutSession) -> None:
        status = session.status()
        for line in lines:
            if line.interrupt and self.free_at > now:
                self._cut(now)
            start = max(self.free_at, now)
            if line.due is not None and not line.keep and start > line.due + LATE:
                continue
            seconds = estimate_seconds(line.text)
            if seconds > 0:
                self.heard.append(
                    Heard(start, line.text, seconds, status.state, status.exercise_index)
                )
            self.free_at = start + seconds

    def _cut(self, now: float) -> None:
        kept = []
        for h in self.heard:
            if h.at >= now:
                continue
            if h.at + h.seconds > now:
                h.seconds = now - h.at
            kept.append(h)
        self.heard = kept
        self.free_at = now


@dataclass
class Run:
    """A workout as heard: every line, and the active seconds it took."""

    heard: list[Heard]
    active: float

    @property
    def talk(self) -> float:
        """Seconds of speech during the workout (the summary after it left out)."""
        return sum(h.seconds for h in self.heard if h.state is not State.DONE)

    @property
    def share(self) -> float:
        return self.talk / self.active


def work_before_press(session: WorkoutSession, routine: Routine) -> float:
    """How long the trainee works, once Spotter is quiet, before the next press."""
    status = session.status()
    if status.state is State.INTRO:
        return GET_READY
    assert status.exercise_index is not None
    exercise = routine.exercises[status.exercise_index]
    if exercise.is_hold or exercise.is_paced:
        return START
    if exercise.count == "per_set":
        return REP * (exercise.reps or 0)
    return REP


def run_workout(verbosity: str, routine: Routine = KNEE) -> Run:
    """A whole workout, the trainee pressing as soon as the work allows."""
    clock = FakeClock(start=0.0)
    session = WorkoutSession(clock, coaching=Coaching(verbosity=verbosity))
    session.set_routine(routine)
    voice = Voice()
    voice.say(session.handle_gesture(Gesture.PRESS), clock.now, session)
    while session.status().state is not State.DONE:
        if session.waiting_for_press():
            clock.now = max(clock.now, voice.free_at) + work_before_press(session, routine)
            voice.say(session.handle(Action.NEXT), clock.now, session)
        else:
            deadline = session.next_deadline()
            assert deadline is not None
            clock.now = max(clock.now, deadline)
            voice.say(session.tick(), clock.now, session)
    record = session.pop_finished()
    assert record is not None
    return Run(voice.heard, record.seconds)
