"""A person's dose of each exercise over time, from the store's log of dose changes: the
dose in force at each workout (for the CSV) and the step line History draws.

A workout was done at the dose of the latest change made before it started; before any
change, at the dose its routine file gives.
"""

from __future__ import annotations

from collections.abc import Sequence

from routines.model import Dose, DoseChange, Exercise, HistoryEntry, Routine
from web_config.charts import DoseLevel

# The CSV's column group: one value per exercise of the workout's routine, in its order.
DOSE_COLUMNS = ("dose_exercises", "dose_sets", "dose_reps", "dose_hold_seconds")
_JOIN = "; "


def dose_words(dose: Dose) -> str:
    """A dose as people write it: ``3 x 35 s`` or ``3 x 12 reps`` (a multiplication sign)."""
    each = f"{dose.hold_seconds} s" if dose.hold_seconds is not None else f"{dose.reps} reps"
    return f"{dose.sets} \u00d7 {each}"


def work(dose: Dose) -> int:
    """What the dose line's height shows: sets times reps, or sets times seconds held, so
    that a step in any of the three moves the line."""
    return dose.sets * (dose.hold_seconds if dose.hold_seconds is not None else dose.reps or 0)


def in_force(start: Dose, changes: Sequence[DoseChange], at: float) -> Dose:
    """The dose at moment ``at``: the latest change made by then, else ``start``."""
    dose = start
    for change in sorted(changes, key=lambda c: c.at):
        if change.at > at:
            break
        dose = change.dose
    return dose


def dose_cells(
    entry: HistoryEntry, routine: Routine | None, changes: Sequence[DoseChange]
) -> tuple[str, str, str, str]:
    """The CSV cells of a workout's doses: the exercise names, then the sets, reps and
    seconds held of each (blank where an exercise has none); all blank when its routine is
    gone. ``changes`` are the person's changes of that routine."""
    if routine is None:
        return ("", "", "", "")
    doses = [
        in_force(e.dose, [c for c in changes if c.exercise == e.name], entry.started_at)
        for e in routine.exercises
    ]
    return (
        _JOIN.join(e.name for e in routine.exercises),
        _JOIN.join(str(d.sets) for d in doses),
        _JOIN.join("" if d.reps is None else str(d.reps) for d in doses),
        _JOIN.join("" if d.hold_seconds is None else str(d.hold_seconds) for d in doses),
    )


def dose_levels(
    exercise: Exercise, changes: Sequence[DoseChange], workouts: Sequence[HistoryEntry]
) -> list[DoseLevel]:
    """The exercise's dose as levels across the chart: ``workouts`` (oldest first) sit one
    slot apart as in the pain chart; a change made between two workouts steps halfway
    between them, one made since the last workout at the right edge."""
    mine = sorted((c for c in changes if c.exercise == exercise.name), key=lambda c: c.at)
    if not workouts:
        now = in_force(exercise.dose, mine, float("inf"))
        return [DoseLevel(0.0, work(now), dose_words(now))]
    slots = max(1, len(workouts) - 1)
    first = in_force(exercise.dose, mine, workouts[0].started_at)
    levels = [DoseLevel(0.0, work(first), dose_words(first))]
    shown = first
    for change in mine:
        if change.at <= workouts[0].started_at or change.dose == shown:
            continue
        before = sum(1 for w in workouts if w.started_at < change.at)
        at = 1.0 if before >= len(workouts) else (before - 0.5) / slots
        levels.append(DoseLevel(at, work(change.dose), dose_words(change.dose)))
        shown = change.dose
    return levels
