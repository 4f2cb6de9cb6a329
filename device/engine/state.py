"""The session engine's state as plain data, and its saved form for resuming after a power cut.

All of a session's changing state lives in one ``SessionState``. Copying it is
cheap (a fixed number of immutable fields), which is how a double-press takes
back the press that came just before it, and how ``back`` steps back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from device.engine import phrases
from device.events import State, Status
from routines.model import Exercise, Routine, WorkoutRecord
from routines.model import SetReps as SetReps

# The engine's record of a workout is the model's: the service only adds when and who.
SessionRecord = WorkoutRecord

TIMED = (State.HOLD, State.REST)
# Mid-workout states where nothing happens until the user presses.
WAITING = (State.INTRO, State.SET)

Call = tuple[float, str]  # a timed call: (seconds after the phase started, text)

# A halfway call needs room before the last-3-seconds count, or the two run together.
HALFWAY_MIN_SECONDS = 10
# Clock arithmetic in floats: a tick at exactly a deadline must find it due.
EPSILON = 1e-6


def countdown_calls(seconds: int) -> tuple[Call, ...]:
    """3, 2, 1 before the end of a timed phase, leaving out numbers that fall on its start."""
    return tuple((float(seconds - n), phrases.count(n)) for n in (3, 2, 1) if seconds - n > 0)


def hold_calls(seconds: int, *, brief: bool = False) -> tuple[Call, ...]:
    """Everything said during a hold of ``seconds``, its release excepted; brief: only
    the countdown."""
    halfway: tuple[Call, ...] = ()
    if seconds >= HALFWAY_MIN_SECONDS and not brief:
        halfway = ((seconds / 2, phrases.halfway()),)
    return halfway + countdown_calls(seconds)


def paced_calls(exercise: Exercise, pace: float) -> tuple[Call, ...]:
    """Every word of a paced set, each at the moment its phase starts. Brief or full, every
    rep keeps its tempo's words: the pace is the prescription, not a cue to leave out."""
    assert exercise.reps is not None
    calls: list[Call] = []
    at = 0.0
    for rep in range(1, exercise.reps + 1):
        for i, phase in enumerate(exercise.tempo):
            if i == 0:
                calls.append((at, phrases.paced_rep(rep, phase.say)))
            else:
                calls.append((at, phrases.phase(phase.say)))
            at += phase.seconds * pace
    return tuple(calls)


@dataclass(frozen=True, slots=True)
class SavedPosition:
    """Where a cut-short workout stood: the set and side, the reps already done in it and
    how far a hold had run (its first half, once done: a write per half, not per tick).

    The engine hands it out and takes it back; how it is stored is the service's
    business (``device.service.progress``).
    """

    routine: Routine
    exercise: int
    set_number: int
    side: int
    finished_sets: tuple[int, ...]
    elapsed: float
    rep: int = 0
    hold_elapsed: float = 0.0


@dataclass(slots=True)
class SessionState:
    """Everything about a session that changes while it runs."""

    state: State = State.IDLE
    routine: Routine | None = None
    exercise: int = 0
    set_number: int = 1
    side: int = 0
    rep: int = 0  # reps counted in the set (a paced set: before its pacing began)
    finished_sets: tuple[int, ...] = ()
    set_reps: tuple[SetReps, ...] = ()
    # The hold, rest or paced set in progress: calls are due at phase_start + their offset.
    phase_start: float = 0.0
    phase_length: float = 0.0
    calls: tuple[Call, ...] = ()
    next_call: int = 0
    pacing: bool = False
    rep_seconds: float = 0.0  # one paced rep, at the pace in force
    # Seconds of a hold already done before a power cut: the next hold starts there.
    hold_offset: float = 0.0
    # The line that opens a rest: the rest counts from when it has been said.
    opening: str | None = None
    # The exercise whose equipment the rest before it named ("Bring a chair."), so its
    # introduction does not name it again.
    named: int | None = None
    paused_from: State | None = None
    paused_at: float = 0.0
    confirming_end: bool = False
    started_at: float = 0.0
    paused_total: float = 0.0
    idle_total: float = 0.0  # waits for a press past the reminder: not workout time
    waiting_since: float = 0.0
    reminded: bool = False
    elapsed_before: float = 0.0  # active seconds carried over from a resumed workout
    # Active seconds when the current set began: what a snapshot saves.
    position_elapsed: float = 0.0
    brief: bool = False
    sessions_this_week: int = 0
    weekly_goal: int | None = None
    summary: tuple[str, ...] = ()
    record: SessionRecord | None = None  # waiting for pop_finished()
    offer: SavedPosition | None = None
    # The week as it stands for the offered workout's routine, which need not be the active one.
    offer_sessions_this_week: int = 0
    offer_weekly_goal: int | None = None
    last_spoken: str | None = None

    def __copy__(self) -> SessionState:
        # Every step keeps a copy for "back": copy()'s generic way through __reduce_ex__
        # takes almost twice as long, and a routine's run-through takes hundreds of steps.
        new = object.__new__(SessionState)
        for name in SessionState.__slots__:
            object.__setattr__(new, name, getattr(self, name))
        return new

    @property
    def current(self) -> Exercise:
        assert self.routine is not None
        return self.routine.exercises[self.exercise]

    @property
    def running(self) -> State:
        """The state a pause froze, or the state itself."""
        if self.state is State.PAUSED and self.paused_from is not None:
            return self.paused_from
        return self.state

    @property
    def timed(self) -> bool:
        """True while the clock, not a press, moves things on."""
        return self.state in TIMED or (self.state is State.SET and self.pacing)

    @property
    def waiting(self) -> bool:
        """True while nothing happens until somebody presses."""
        return self.state in WAITING and not self.pacing

    def active_seconds(self, now: float) -> float:
        """Workout time so far: pauses and long waits for a press left out."""
        paused = self.paused_total
        if self.state is State.PAUSED:
            paused += now - self.paused_at
        return self.elapsed_before + now - self.started_at - paused - self.idle_total

    def remaining(self, now: float) -> int:
        """Whole seconds left in the hold or rest (frozen while paused)."""
        if self.state is State.PAUSED:
            now = self.paused_at
        left = math.ceil(self.phase_start + self.phase_length - now - EPSILON)
        # While the line opening a rest is said, the rest has not begun: it shows in full.
        return max(0, min(left, math.ceil(self.phase_length)))

    def paced_rep(self, now: float) -> int:
        """The paced rep under way (1-based), or the reps counted before pacing began."""
        if not self.pacing:
            return self.rep
        if self.state is State.PAUSED:
            now = self.paused_at
        reps = self.current.reps or 0
        done = int((now - self.phase_start + EPSILON) // self.rep_seconds)
        return max(1, min(reps, done + 1))

    def hold_elapsed(self, now: float) -> float:
        if self.running is not State.HOLD:
            return self.hold_offset
        if self.state is State.PAUSED:
            now = self.paused_at
        return max(0.0, now - self.phase_start)

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
        shown = self.running
        ex = self.current
        counted = shown is State.SET and ex.reps is not None and ex.count != "per_set"
        return Status(
            state=self.state,
            routine_id=self.routine.id,
            routine_name=self.routine.name,
            exercise_index=self.exercise,
            exercise_name=ex.name,
            set=self.set_number,
            sets=ex.sets,
            side=ex.side_sequence[self.side],
            rep=self.paced_rep(now) if counted else None,
            reps=ex.reps if counted else None,
            remaining_seconds=self.remaining(now) if shown in TIMED else None,
            last_spoken=self.last_spoken,
        )

    def position(self, now: float) -> SavedPosition:
        """Where the running workout stands, for resuming it."""
        assert self.routine is not None
        rep = self.paced_rep(now) - 1 if self.pacing else self.rep
        return SavedPosition(
            routine=self.routine,
            exercise=self.exercise,
            set_number=self.set_number,
            side=self.side,
            finished_sets=self.finished_sets,
            elapsed=self.position_elapsed,
            rep=max(0, rep),
            hold_elapsed=self._hold_saved(now),
        )

    def _hold_saved(self, now: float) -> float:
        """How far the hold had run, as saved: its first half once that is done, else 0.
        An SD card wears with every write, so a hold is saved twice, not every second."""
        if self.running is not State.HOLD:
            return self.hold_offset
        half = math.floor(self.phase_length / 2)
        return float(half) if self.hold_elapsed(now) >= half else 0.0

    def next_due(self) -> float:
        """Clock time of the next call, or of the phase's end."""
        if self.next_call < len(self.calls):
            return self.phase_start + self.calls[self.next_call][0]
        return self.phase_start + self.phase_length
