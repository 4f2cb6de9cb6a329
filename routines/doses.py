"""Doses and how they grow: the progression rules a routine file gives an exercise, one
person's dose of it, the changes made to it and the changes offered.

Part of the routine model (``routines.model`` re-exports every name and applies doses
to exercises), kept apart so each module stays short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# What a progression step can grow, in the order a routine file usually tries them.
DoseField = Literal["hold_seconds", "reps", "sets"]
DOSE_FIELDS: tuple[DoseField, ...] = ("hold_seconds", "reps", "sets")


@dataclass(frozen=True, slots=True)
class ProgressionStep:
    """Grow ``field`` by ``by`` at each step up, never past ``up_to``."""

    field: DoseField
    by: int
    up_to: int

    def to_dict(self) -> dict[str, Any]:
        return {self.field: self.by, "up_to": self.up_to}


@dataclass(frozen=True, slots=True)
class PainRule:
    """What makes a session good or bad for the exercises of a routine with a pain check-in:
    good needs the after-score at most ``good_if_after_at_most`` and not ``worse_by`` points
    above the before-score; either one missed makes it bad."""

    good_if_after_at_most: int = 3
    step_back_after_bad: int = 2
    worse_by: int = 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "good_if_after_at_most": self.good_if_after_at_most,
            "worse_by": self.worse_by,
            "step_back_after_bad": self.step_back_after_bad,
        }


@dataclass(frozen=True, slots=True)
class Progression:
    """How an exercise's dose grows: a step up after ``every`` good sessions in a row."""

    every: int
    steps: tuple[ProgressionStep, ...]
    pain: PainRule = PainRule()

    def to_dict(self) -> dict[str, Any]:
        return {
            "every": self.every,
            "steps": [step.to_dict() for step in self.steps],
            "pain": self.pain.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Dose:
    """How much of an exercise one person does: sets of reps, or sets of a hold."""

    sets: int
    reps: int | None = None
    hold_seconds: int | None = None

    def get(self, field: DoseField) -> int | None:
        return {"sets": self.sets, "reps": self.reps, "hold_seconds": self.hold_seconds}[field]

    def with_value(self, field: DoseField, value: int) -> Dose:
        if field == "sets":
            return Dose(value, self.reps, self.hold_seconds)
        if field == "reps":
            return Dose(self.sets, value, self.hold_seconds)
        return Dose(self.sets, self.reps, value)

    def same_kind(self, other: Dose) -> bool:
        """Whether both are reps, or both holds."""
        return (self.reps is None) == (other.reps is None) and (self.hold_seconds is None) == (
            other.hold_seconds is None
        )

    def to_dict(self) -> dict[str, Any]:
        return {"sets": self.sets, "reps": self.reps, "hold_seconds": self.hold_seconds}


@dataclass(frozen=True, slots=True)
class PersonalDose:
    """One person's dose of one exercise of a routine, as the store keeps it. ``start`` is
    the file's dose it grew from; ``locked``: the owner keeps it where it is."""

    exercise: str
    dose: Dose
    start: Dose
    locked: bool = False
    changed_at: float | None = None


DoseWhy = Literal["accepted", "phone", "owner", "undo"]
DOSE_WHYS: tuple[DoseWhy, ...] = ("accepted", "phone", "owner", "undo")
Direction = Literal["up", "down", "undo"]
Answer = Literal["pending", "accepted", "declined", "expired"]


@dataclass(frozen=True, slots=True)
class DoseChange:
    """A person's dose of an exercise changed at ``at`` (epoch seconds), for ``why``:
    a suggestion accepted with the button or on the phone, the owner's hand, or an undo."""

    profile_id: int
    routine_id: str
    exercise: str
    dose: Dose
    at: float
    why: DoseWhy
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A change of dose offered after a workout, until it is answered."""

    profile_id: int
    routine_id: str
    exercise: str
    direction: Direction
    from_dose: Dose
    to_dose: Dose
    made_at: float
    answer: Answer = "pending"
    answered_at: float | None = None
    id: int | None = None
