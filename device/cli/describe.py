"""A routine as plain text for the terminal (``spotter routines show``)."""

from __future__ import annotations

from routines.model import Exercise, Routine


def _dose(exercise: Exercise) -> str:
    amount = (
        f"{exercise.hold_seconds} s hold"
        if exercise.hold_seconds is not None
        else f"{exercise.reps} reps"
    )
    text = f"{exercise.sets} x {amount}"
    if exercise.sides == "both":
        text += f", each side ({exercise.first_side} first)"
    if exercise.reps is not None and exercise.count == "per_set":
        text += ", one press per set"
    return text


def _rest(seconds: int | None) -> str:
    return "device default" if seconds is None else f"{seconds} s"


def describe_routine(routine: Routine) -> str:
    """Every field of a routine, laid out for reading in a terminal."""
    lines = [f"{routine.name}  [{routine.id}]"]
    if routine.description:
        lines.append(routine.description)
    if routine.sessions_per_week is not None:
        lines.append(f"Goal: {routine.sessions_per_week} sessions a week")
    for number, exercise in enumerate(routine.exercises, start=1):
        lines.append("")
        lines.append(f"{number}. {exercise.name}: {_dose(exercise)}")
        after = (
            exercise.rest_after_seconds
            if exercise.rest_after_seconds is not None
            else exercise.rest_seconds
        )
        lines.append(f"   rest: {_rest(exercise.rest_seconds)} between sets, {_rest(after)} after")
        if exercise.equipment:
            lines.append(f"   equipment: {', '.join(exercise.equipment)}")
        lines.extend(f"   set-up: {cue}" for cue in exercise.setup)
        lines.extend(f"   cue: {cue}" for cue in exercise.cues)
    return "\n".join(lines)
