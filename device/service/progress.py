"""The saved position of a workout in progress, to and from the JSON the store keeps.

The engine deals in ``SavedPosition`` values; this is the only place that knows
their stored shape, and the only one that checks a stored position before it is
offered for resuming (a store written by hand or by an older Spotter may hold
anything).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from device.engine.state import SavedPosition
from routines.validation import parse_routine


def encode(position: SavedPosition) -> dict[str, Any]:
    """The JSON-able form of a position."""
    return {
        "routine": position.routine.to_dict(),
        "exercise_index": position.exercise,
        "set": position.set_number,
        "side_index": position.side,
        "finished_sets": list(position.finished_sets),
        "elapsed_seconds": round(position.elapsed, 1),
        "rep": position.rep,
        "hold_elapsed_seconds": int(position.hold_elapsed),
    }


def decode(data: object) -> SavedPosition:
    """Check a stored position; ``ValueError`` names the first bad field."""
    if not isinstance(data, Mapping):
        raise ValueError("saved session: must be a mapping")
    routine = parse_routine(data.get("routine"), source="saved session", caps=False)
    exercise = _whole(data, "exercise_index", 0, len(routine.exercises) - 1)
    ex = routine.exercises[exercise]
    set_number = _whole(data, "set", 1, ex.sets)
    side = _whole(data, "side_index", 0, len(ex.side_sequence) - 1)
    raw = data.get("finished_sets")
    if not isinstance(raw, list) or len(raw) != len(routine.exercises):
        raise ValueError("finished_sets: must list one number per exercise")
    finished = tuple(
        _whole({"finished_sets": n}, "finished_sets", 0, e.sets)
        for n, e in zip(raw, routine.exercises, strict=True)
    )
    elapsed = data.get("elapsed_seconds")
    if (
        isinstance(elapsed, bool)
        or not isinstance(elapsed, int | float)
        or not math.isfinite(elapsed)
        or elapsed < 0
    ):
        raise ValueError("elapsed_seconds: must be a number of seconds, 0 or more")
    # Saved by an older Spotter without these: the start of the set, as it resumed then.
    rep = _whole(data, "rep", 0, max(0, (ex.reps or 1) - 1)) if "rep" in data else 0
    hold = 0
    if "hold_elapsed_seconds" in data:
        hold = _whole(data, "hold_elapsed_seconds", 0, max(0, (ex.hold_seconds or 1) - 1))
    return SavedPosition(
        routine, exercise, set_number, side, finished, float(elapsed), rep, float(hold)
    )


def _whole(data: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key}: must be a whole number from {low} to {high}")
    return value
