"""``/api/history.csv``: the columns of the download, and its rows made as they are sent.

Each column is a name and how a workout gives its cell, in one table: a new column is one
more line there. The rows come from the store a batch at a time while the answer streams,
so the download costs the same memory whatever the history's length.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from routines.model import HistoryEntry
from web_config.dose_history import DOSE_COLUMNS
from web_config.history import minutes
from web_config.history_doses import CsvDoses

# A spreadsheet runs a cell that starts with one of these as a formula; some also read
# the fullwidth forms, and skip leading white space before looking.
_FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Rows written before the text made so far is handed to the server.
ROWS_PER_CHUNK = 200


@dataclass(frozen=True, slots=True)
class Known:
    """What the cells need besides the workout: names by profile id, and each stored
    routine's check-in body part by routine id."""

    names: dict[int, str]
    areas: dict[str, str]
    doses: CsvDoses


def _cell(text: str) -> str:
    risky = text[:1].isspace() or text.startswith(_FORMULA_STARTS)
    return "'" + text if risky else text


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def _area(entry: HistoryEntry, known: Known) -> str:
    """The body part of a workout's check-in; blank without one (or its routine gone)."""
    if entry.pain_before is None and entry.pain_after is None:
        return ""
    return _cell(known.areas.get(entry.routine_id, ""))


Column = tuple[str, Callable[[HistoryEntry, Known], object]]

COLUMNS: tuple[Column, ...] = (
    ("date", lambda e, k: datetime.fromtimestamp(e.finished_at).isoformat(" ", "minutes")),
    ("profile", lambda e, k: _cell(k.names.get(e.profile_id, ""))),
    ("routine", lambda e, k: _cell(e.routine_name)),
    ("active_minutes", lambda e, k: minutes(e)),
    ("sets_done", lambda e, k: e.sets_done),
    ("sets_planned", lambda e, k: _blank(e.sets_planned)),
    ("reps_short", lambda e, k: e.reps_short),
    ("pain_area", _area),
    ("pain_before", lambda e, k: _blank(e.pain_before)),
    ("pain_after", lambda e, k: _blank(e.pain_after)),
    ("ended_early", lambda e, k: "yes" if not e.completed else "no"),
    # The dose in force when the workout started, one value per exercise of its routine.
    *((name, lambda e, k, i=i: _cell(k.doses.cells(e)[i])) for i, name in enumerate(DOSE_COLUMNS)),
)
HEADER = tuple(name for name, _ in COLUMNS)


def csv_text(entries: Iterable[HistoryEntry], known: Known) -> Iterator[str]:
    """The header, then the workouts' rows, a chunk of text at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for written, entry in enumerate(entries, 1):
        writer.writerow([cell(entry, known) for _, cell in COLUMNS])
        if written % ROWS_PER_CHUNK == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
