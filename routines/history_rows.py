"""A workout in the history as the table holds it: one row, named by its columns.

The same mapping is a line of ``spotter.db.pending`` (``routines.pending_workouts``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from routines.model import HistoryEntry, SetReps

COLUMNS: Final = (
    "routine_id",
    "routine_name",
    "started_at",
    "finished_at",
    "exercises_done",
    "sets_done",
    "completed",
    "profile_id",
    "pain_before",
    "pain_after",
    "sets_planned",
    "set_reps",
)
# Built from the fixed column names above; every value is bound, never pasted in.
INSERT: Final = "INSERT INTO history ({}) VALUES ({})".format(  # noqa: S608
    ", ".join(COLUMNS), ", ".join("?" for _ in COLUMNS)
)
SELECT: Final = f"SELECT {', '.join(COLUMNS)}, id FROM history"  # noqa: S608
# Workout times a page can show as a date: within about a thousand years of 1970 (a clock
# not set yet reads 1970, and a start is its finish less the time trained). A row outside
# (a restored file's ``finished_at`` of 1e18) is no workout this device could have done.
LAST_TIME: Final = 32503680000.0
# Columns a line written by an older Spotter may lack.
DEFAULTS: Final[dict[str, object]] = {
    "profile_id": 1,
    "pain_before": None,
    "pain_after": None,
    "sets_planned": None,
    "set_reps": "[]",
}


def to_row(entry: HistoryEntry) -> dict[str, object]:
    """The entry's column values, by name."""
    return {
        "routine_id": entry.routine_id,
        "routine_name": entry.routine_name,
        "started_at": float(entry.started_at),
        "finished_at": float(entry.finished_at),
        "exercises_done": int(entry.exercises_done),
        "sets_done": int(entry.sets_done),
        "completed": int(bool(entry.completed)),
        "profile_id": int(entry.profile_id),
        "pain_before": entry.pain_before,
        "pain_after": entry.pain_after,
        "sets_planned": entry.sets_planned,
        "set_reps": json.dumps([s.to_dict() for s in entry.set_reps], separators=(",", ":")),
    }


def insert(conn: sqlite3.Connection, entry: HistoryEntry) -> HistoryEntry:
    """Add ``entry`` to the table (in the caller's transaction); it comes back with its id."""
    cursor = conn.execute(INSERT, tuple(to_row(entry).values()))
    return dataclasses.replace(entry, id=cursor.lastrowid)


def from_row(row: Mapping[str, Any] | sqlite3.Row) -> HistoryEntry:
    """The entry a row (or a pending line, with ``id`` None) holds."""
    set_reps = tuple(
        SetReps(s["exercise"], s["set"], s["done"], s["planned"], s.get("side"))
        for s in json.loads(row["set_reps"])
    )
    return HistoryEntry(
        routine_id=row["routine_id"],
        routine_name=row["routine_name"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        exercises_done=row["exercises_done"],
        sets_done=row["sets_done"],
        completed=bool(row["completed"]),
        profile_id=row["profile_id"],
        pain_before=row["pain_before"],
        pain_after=row["pain_after"],
        sets_planned=row["sets_planned"],
        set_reps=set_reps,
        id=row["id"],
    )


def from_line(record: Mapping[str, Any]) -> HistoryEntry:
    """A pending line as an entry (not stored yet: no id)."""
    return from_row({**DEFAULTS, **{n: record[n] for n in COLUMNS if n in record}, "id": None})


def checked(entry: HistoryEntry) -> HistoryEntry:
    """The entry with the types the table holds; ``TypeError``/``ValueError`` if it has none."""
    for name in ("routine_id", "routine_name"):
        if not isinstance(getattr(entry, name), str):
            raise TypeError(f"its {name} is not text")
    started, finished = float(entry.started_at), float(entry.finished_at)
    if not (math.isfinite(started) and math.isfinite(finished)):
        raise ValueError("its times are not finite")
    if abs(started) > LAST_TIME or abs(finished) > LAST_TIME:
        raise ValueError("its times are past the year 3000")
    counts = []
    for name in ("exercises_done", "sets_done"):
        value = getattr(entry, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise TypeError(f"its {name} is not a whole number")
        counts.append(int(value))
    if (
        type(entry.started_at) is float
        and type(entry.finished_at) is float
        and type(entry.exercises_done) is int
        and type(entry.sets_done) is int
        and type(entry.completed) is bool
    ):
        return entry  # already as the table holds it: most rows, cheaper than a copy
    return dataclasses.replace(
        entry,
        started_at=started,
        finished_at=finished,
        exercises_done=counts[0],
        sets_done=counts[1],
        completed=bool(entry.completed),
    )
