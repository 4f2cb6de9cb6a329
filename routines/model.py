"""The routine model: what a workout is made of.

Instances are immutable and always valid: build them from untrusted data with
``routines.validation.parse_routine``, which reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from routines.doses import (
    DOSE_FIELDS,
    DOSE_WHYS,
    Answer,
    Direction,
    Dose,
    DoseChange,
    DoseField,
    DoseWhy,
    PainRule,
    PersonalDose,
    Progression,
    ProgressionStep,
    Suggestion,
)

# The doses' names are the model's too: the engine imports its whole vocabulary from here.
__all__ = [
    "DEFAULT_CHECKIN_AREA",
    "DEFAULT_GESTURE_ACTIONS",
    "DOSE_FIELDS",
    "DOSE_WHYS",
    "OTHER_SIDE",
    "Action",
    "Answer",
    "CheckinMode",
    "CountMode",
    "Direction",
    "Dose",
    "DoseChange",
    "DoseField",
    "DoseWhy",
    "Exercise",
    "Gesture",
    "HistoryEntry",
    "PainRule",
    "PersonalDose",
    "Progression",
    "ProgressionRecords",
    "ProgressionStep",
    "Routine",
    "SetReps",
    "Side",
    "SideOrder",
    "SidesMode",
    "Suggestion",
    "TempoPhase",
    "WorkoutRecord",
]

SidesMode = Literal["none", "both"]
# alternate: each set does both sides; one_side_first: every set on one side, then the other.
SideOrder = Literal["alternate", "one_side_first"]
Side = Literal["left", "right"]
CountMode = Literal["per_rep", "per_set", "paced"]
# What Spotter asks before the first exercise and after the last: nothing, or how much
# pain the user feels, 0 to 10, in the routine's body part (``Routine.checkin_area``).
CheckinMode = Literal["none", "pain"]
# The body part a pain check-in asks about when the routine names none: the first
# routines were all for the lower back, and their files say only ``checkin: pain``.
DEFAULT_CHECKIN_AREA = "back"

OTHER_SIDE: dict[Side, Side] = {"left": "right", "right": "left"}


# The button's vocabulary lives with the model because settings map one onto the
# other and a routine's spoken prompts follow that mapping; ``device.events``
# re-exports both for the device's own code.
class Gesture(StrEnum):
    """What the one button can say, decided by ``device.engine.gestures.GestureDetector``."""

    PRESS = "press"
    DOUBLE = "double"
    HOLD = "hold"
    LONG_HOLD = "long_hold"


class Action(StrEnum):
    """What the session engine is asked to do; settings map each gesture to one."""

    NEXT = "next"
    BACK = "back"
    SKIP = "skip"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    EXTEND_REST = "extend_rest"


DEFAULT_GESTURE_ACTIONS: Mapping[Gesture, Action] = MappingProxyType(
    {
        Gesture.PRESS: Action.NEXT,
        Gesture.DOUBLE: Action.BACK,
        Gesture.HOLD: Action.REPEAT,
        Gesture.LONG_HOLD: Action.PAUSE,
    }
)


@dataclass(frozen=True, slots=True)
class TempoPhase:
    """One part of a paced rep: ``say`` is spoken as it starts, then it lasts ``seconds``."""

    say: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        # Whole seconds are written as whole numbers, as a person would write them.
        seconds = int(self.seconds) if float(self.seconds).is_integer() else self.seconds
        return {"say": self.say, "seconds": seconds}


@dataclass(frozen=True, slots=True)
class Exercise:
    """One move of a routine, done for ``sets`` sets of ``reps`` or a timed hold."""

    name: str
    sets: int
    reps: int | None = None
    hold_seconds: int | None = None
    sides: SidesMode = "none"
    first_side: Side = "left"
    side_order: SideOrder = "alternate"
    # None means "the device's default rest" (a setting), so a routine written
    # without rests follows the user's preference instead of a number baked in here.
    rest_seconds: int | None = None
    rest_after_seconds: int | None = None
    equipment: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    count: CountMode = "per_rep"
    # One rep of a paced set (``count: paced``), phase by phase.
    tempo: tuple[TempoPhase, ...] = ()
    # A line said as each side starts ("Left knee down"), so nobody sets up on the wrong leg.
    side_cues: tuple[tuple[Side, str], ...] = ()
    # How the dose may grow for each person (None: it stays as written).
    progression: Progression | None = None

    @property
    def dose(self) -> Dose:
        """The dose the routine file prescribes: every person's starting point."""
        return Dose(self.sets, self.reps, self.hold_seconds)

    def dose_for(self, mine: PersonalDose) -> Dose | None:
        """The dose to do this exercise at for a person whose stored dose is ``mine``, or
        None to do it as the file says.

        A routine edited since the dose was set decides: an exercise that lost its
        progression, changed between reps and a hold, or was given a new starting dose
        starts again from the file; a lowered ceiling caps the dose."""
        rules = self.progression
        if rules is None or mine.start != self.dose or not mine.dose.same_kind(self.dose):
            return None
        dose = self.dose
        for field in DOSE_FIELDS:
            ceilings = [step.up_to for step in rules.steps if step.field == field]
            value = mine.dose.get(field)
            if ceilings and value is not None:
                dose = dose.with_value(field, max(1, min(value, max(ceilings))))
        return dose

    def side_cue(self, side: Side | None) -> str | None:
        return next((text for s, text in self.side_cues if s == side), None)

    @property
    def is_paced(self) -> bool:
        return self.reps is not None and self.count == "paced"

    def rep_seconds(self, pace: float = 1.0) -> float:
        """How long one paced rep lasts; ``pace`` stretches (above 1) or quickens it."""
        return sum(phase.seconds for phase in self.tempo) * pace

    @property
    def is_hold(self) -> bool:
        return self.hold_seconds is not None

    @property
    def side_sequence(self) -> tuple[Side | None, ...]:
        """The exercise's sides, in order; ``(None,)`` for one-sided moves."""
        if self.sides == "none":
            return (None,)
        return (self.first_side, OTHER_SIDE[self.first_side])

    def rest_between_sets(self, default_rest: int) -> int:
        return default_rest if self.rest_seconds is None else self.rest_seconds

    def rest_after(self, default_rest: int) -> int:
        if self.rest_after_seconds is not None:
            return self.rest_after_seconds
        return self.rest_between_sets(default_rest)

    def to_dict(self) -> dict[str, Any]:
        """The routine-file shape of this exercise (fields at their default are left out)."""
        out: dict[str, Any] = {"name": self.name, "sets": self.sets}
        if self.hold_seconds is not None:
            out["hold_seconds"] = self.hold_seconds
        else:
            out["reps"] = self.reps
            out["count"] = self.count
            if self.tempo:
                out["tempo"] = [phase.to_dict() for phase in self.tempo]
        out["sides"] = self.sides
        if self.sides == "both":
            out["first_side"] = self.first_side
            if self.side_order != "alternate":
                out["side_order"] = self.side_order
        if self.rest_seconds is not None:
            out["rest_seconds"] = self.rest_seconds
        if self.rest_after_seconds is not None:
            out["rest_after_seconds"] = self.rest_after_seconds
        out["equipment"] = list(self.equipment)
        out["setup"] = list(self.setup)
        out["cues"] = list(self.cues)
        if self.side_cues:
            out["side_cues"] = dict(self.side_cues)
        if self.progression is not None:
            out["progression"] = self.progression.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class Routine:
    """A named, ordered list of exercises with an optional weekly goal."""

    id: str
    name: str
    exercises: tuple[Exercise, ...]
    description: str = ""
    sessions_per_week: int | None = None
    checkin: CheckinMode = "none"
    # The body part the pain check-in asks about ("knee", "left shoulder").
    checkin_area: str = DEFAULT_CHECKIN_AREA

    @property
    def total_sets(self) -> int:
        return sum(e.sets for e in self.exercises)

    def exercise(self, name: str) -> Exercise | None:
        return next((e for e in self.exercises if e.name == name), None)

    def at_doses(self, doses: Mapping[str, PersonalDose]) -> Routine:
        """This routine as one person does it: each exercise at their dose (by exercise
        name) where ``Exercise.dose_for`` finds it still sane, else as the file says."""
        exercises = []
        for ex in self.exercises:
            mine = doses.get(ex.name)
            dose = None if mine is None else ex.dose_for(mine)
            if dose is not None and dose != ex.dose:
                ex = replace(ex, sets=dose.sets, reps=dose.reps, hold_seconds=dose.hold_seconds)
            exercises.append(ex)
        return replace(self, exercises=tuple(exercises))

    def to_dict(self) -> dict[str, Any]:
        """The routine-file shape: what ``parse_routine`` reads back to an equal routine."""
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description:
            out["description"] = self.description
        if self.sessions_per_week is not None:
            out["sessions_per_week"] = self.sessions_per_week
        if self.checkin != "none" and self.checkin_area != DEFAULT_CHECKIN_AREA:
            out["checkin"] = {"kind": self.checkin, "area": self.checkin_area}
        elif self.checkin != "none":
            out["checkin"] = self.checkin
        out["exercises"] = [e.to_dict() for e in self.exercises]
        return out


@dataclass(frozen=True, slots=True)
class SetReps:
    """The reps done in one set (one side of it, for a two-sided move) against its target."""

    exercise: str
    set: int
    done: int
    planned: int
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "set": self.set,
            "side": self.side,
            "done": self.done,
            "planned": self.planned,
        }


@dataclass(frozen=True, slots=True)
class WorkoutRecord:
    """A finished or ended workout as the engine saw it. ``seconds`` are active seconds:
    pauses and waits for a press beyond the reminder are left out."""

    routine_id: str
    routine_name: str
    exercises_done: int
    sets_done: int
    seconds: float
    completed: bool
    set_reps: tuple[SetReps, ...] = ()
    sets_planned: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One finished or ended workout in the history; times are wall-clock epoch seconds.

    ``started_at`` is ``finished_at`` less the active time, so pauses do not count.
    Pain scores are 0-10 check-ins before and after (None: not asked or skipped);
    ``sets_planned`` and ``set_reps`` are None/() for workouts recorded before they existed.
    """

    routine_id: str
    routine_name: str
    started_at: float
    finished_at: float
    exercises_done: int
    sets_done: int
    completed: bool
    id: int | None = None
    profile_id: int = 1
    pain_before: int | None = None
    pain_after: int | None = None
    sets_planned: int | None = None
    set_reps: tuple[SetReps, ...] = ()

    @classmethod
    def of(
        cls,
        record: WorkoutRecord,
        *,
        finished_at: float,
        profile_id: int,
        pain_before: int | None = None,
        pain_after: int | None = None,
    ) -> HistoryEntry:
        """``record`` as the history keeps it: ended at ``finished_at``, by ``profile_id``."""
        return cls(
            routine_id=record.routine_id,
            routine_name=record.routine_name,
            started_at=finished_at - record.seconds,
            finished_at=finished_at,
            exercises_done=record.exercises_done,
            sets_done=record.sets_done,
            completed=record.completed,
            profile_id=profile_id,
            pain_before=pain_before,
            pain_after=pain_after,
            sets_planned=record.sets_planned,
            set_reps=record.set_reps,
        )

    @property
    def short_sets(self) -> tuple[SetReps, ...]:
        """The sets that ended with fewer reps than planned."""
        return tuple(s for s in self.set_reps if s.done < s.planned)

    @property
    def reps_short(self) -> int:
        """Reps left undone across all sets."""
        return sum(s.planned - s.done for s in self.short_sets)


@dataclass(frozen=True, slots=True)
class ProgressionRecords:
    """What the store hands the engine to judge one person's progress in one routine."""

    doses: Mapping[str, PersonalDose]
    changes: tuple[DoseChange, ...]  # oldest first
    workouts: tuple[HistoryEntry, ...]  # this routine's, newest first
    enabled: bool = True  # the owner's setting: off, nothing is offered
    offers: tuple[Suggestion, ...] = ()  # made before, whatever their answer
