"""The session engine's state as plain data, and its saved form for resuming after a power cut.

All of a session's changing state lives in one ``SessionState``. Copying it is
cheap (a fixed number of immutable fields), which is how a double-press takes
back the press that came just before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from device.engine import phrases
from device.events import State, Status
from routines.model import Exercise, Routine

TIMED = (State.HOLD, State.REST)

Cue = tuple[float, str]  # (seconds after the phase started, text)

# A halfway call needs room before the last-3-seconds count, or the two run together.
HALFWAY_MIN_SECONDS = 10
# Clock arithmetic in floats: a tick at exactly a deadline must find it due.
EPSILON = 1e-6


def countdown_cues(seconds: int) -> tuple[Cue, ...]:
    """3, 2, 1 before the end of a timed phase, leaving out numbers that fall on its start."""
    return tuple((float(seconds - n), phrases.count(n)) for n in (3, 2, 1) if seconds - n > 0)


def hold_cues(seconds: int) -> tuple[Cue, ...]:
    """Everything said during a hold of ``seconds``, its release excepted."""
    halfway: tuple[Cue, ...] = ()
    if seconds >= HALFWAY_MIN_SECONDS:
        halfway = ((seconds / 2, phrases.halfway()),)
    return halfway + countdown_cues(seconds)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A finished or ended workout, for the history."""

    routine_id: str
    routine_name: str
    exercises_done: int
    sets_done: int
    seconds: float
    completed: bool


@dataclass(frozen=True, slots=True)
class SavedPosition:
    """Where a cut-short workout stood: resumed at the start of its set in progress.

    The engine hands it out and takes it back; how it is stored is the service's
    business (``device.service.progress``).
    """

    routine: Routine
    exercise: int
    set_number: int
    side: int
    finished_sets: tuple[int, ...]
    elapsed: float


@dataclass(slots=True)
class SessionState:
    """Everything about a session that changes while it runs."""

    state: State = State.IDLE
    routine: Routine | None = None
    exercise: int = 0
    set_number: int = 1
    side: int = 0
    rep: int = 0
    finished_sets: tuple[int, ...] = ()
    # The hold or rest in progress: cues are due at phase_start + their offset.
    phase_start: float = 0.0
    phase_length: int = 0
    cues: tuple[Cue, ...] = ()
    next_cue: int = 0
    paused_from: State | None = None
    paused_at: float = 0.0
    confirming_end: bool = False
    started_at: float = 0.0
    paused_total: float = 0.0
    elapsed_before: float = 0.0  # active seconds carried over from a resumed workout
    # Active seconds when the current set began: what a snapshot saves, so the
    # snapshot changes only when the position does.
    position_elapsed: float = 0.0
    sessions_this_week: int = 0
    weekly_goal: int | None = None
    summary: tuple[str, ...] = ()
    record: SessionRecord | None = None  # waiting for pop_finished()
    offer: SavedPosition | None = None
    # The week as it stands for the offered workout's routine, which need not be the active one.
    offer_sessions_this_week: int = 0
    offer_weekly_goal: int | None = None
    last_spoken: str | None = None

    @property
    def current(self) -> Exercise:
        assert self.routine is not None
        return self.routine.exercises[self.exercise]

    def active_seconds(self, now: float) -> float:
        """Workout time so far, pauses left out."""
        paused = self.paused_total
        if self.state is State.PAUSED:
            paused += now - self.paused_at
        return self.elapsed_before + now - self.started_at - paused

    def remaining(self, now: float) -> int:
        """Whole seconds left in the hold or rest (frozen while paused)."""
        if self.state is State.PAUSED:
            now = self.paused_at
        return max(0, math.ceil(self.phase_start + self.phase_length - now - EPSILON))

    def status(self, now: float, *, idle_routine: Routine | None) -> Status:
        """The phone page's view; ``idle_routine`` is what a press would start."""
        if self.state is State.IDLE:
            routine = self.offer.routine if self.offer is not None else idle_routine
        elif self.state is State.DONE:
            routine = self.routine
        else:
            return self._workout_status(now)
        return Status(
            state=self.state,
            routine_id=routine.id if routine else None,
            routine_name=routine.name if routine else None,
            last_spoken=self.last_spoken,
        )

    def _workout_status(self, now: float) -> Status:
        assert self.routine is not None
        shown = self.paused_from if self.state is State.PAUSED else self.state
        ex = self.current
        per_rep = shown is State.SET and ex.reps is not None and ex.count == "per_rep"
        return Status(
            state=self.state,
            routine_id=self.routine.id,
            routine_name=self.routine.name,
            exercise_index=self.exercise,
            exercise_name=ex.name,
            set=self.set_number,
            sets=ex.sets,
            side=ex.side_order[self.side],
            rep=self.rep if per_rep else None,
            reps=ex.reps if per_rep else None,
            remaining_seconds=self.remaining(now) if shown in TIMED else None,
            last_spoken=self.last_spoken,
        )

    def position(self) -> SavedPosition:
        """Where this running workout stands, for resuming it after a power cut."""
        assert self.routine is not None
        return SavedPosition(
            self.routine,
            self.exercise,
            self.set_number,
            self.side,
            self.finished_sets,
            self.position_elapsed,
        )

    def next_due(self) -> float:
        """Clock time of the next cue, or of the phase's end."""
        if self.next_cue < len(self.cues):
            return self.phase_start + self.cues[self.next_cue][0]
        return self.phase_start + self.phase_length
