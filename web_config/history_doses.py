"""Doses in History: a step line per exercise beside the pain chart, and the dose columns
of the CSV, both read from the store's log of each person's dose changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from routines.model import DoseChange, HistoryEntry, Routine
from routines.profiles import Profile
from routines.repo_routines import StoredRoutine
from routines.store import Store
from web_config.charts import dose_chart
from web_config.context import store
from web_config.dose_history import dose_cells, dose_levels, dose_words, in_force


@dataclass(frozen=True, slots=True)
class DoseDrawing:
    """One exercise's chart (None while its dose has not changed in the span: a level
    line says no more than its dose), its dose now, and the changes drawn."""

    exercise: str
    now: str
    chart: Markup | None
    changes: tuple[DoseChange, ...]


def dose_drawings(
    profile: Profile,
    active: StoredRoutine | None,
    entries: Sequence[HistoryEntry],
    since: float,
    weeks: int,
) -> list[DoseDrawing]:
    """A chart for each exercise with rules of the person's routine ``active``, over the
    workouts of that routine since ``since`` (``entries`` newest first, as the store gives
    them)."""
    if active is None:
        return []
    routine = active.routine
    changes = store().dose_changes(profile.id, routine.id)
    workouts = [
        e for e in reversed(entries) if e.routine_id == routine.id and e.finished_at >= since
    ]
    drawings = []
    for i, ex in enumerate(e for e in routine.exercises if e.progression is not None):
        mine = [c for c in changes if c.exercise == ex.name]
        now = in_force(ex.dose, mine, float("inf"))
        levels = dose_levels(ex, mine, workouts)
        chart = None
        if len(levels) > 1:
            chart = dose_chart(
                levels,
                f"Dose of {ex.name} at each workout, last {weeks} weeks ({profile.name})",
                f"dose-{i}",
            )
        shown = tuple(c for c in mine if c.at >= since)
        drawings.append(DoseDrawing(ex.name, dose_words(now), chart, shown))
    return drawings


class CsvDoses:
    """The dose cells of each CSV row, reading each routine and each person's changes once.

    Made with the store itself, not the request's: the download is written while it is
    sent, after the view has returned."""

    def __init__(self, source: Store) -> None:
        self._store = source
        self._routines: dict[str, Routine | None] = {}
        self._changes: dict[tuple[int, str], list[DoseChange]] = {}
        self._last: tuple[HistoryEntry, tuple[str, str, str, str]] | None = None

    def cells(self, entry: HistoryEntry) -> tuple[str, str, str, str]:
        if self._last is not None and self._last[0] is entry:
            return self._last[1]
        if entry.routine_id not in self._routines:
            stored = self._store.get_routine(entry.routine_id)
            self._routines[entry.routine_id] = None if stored is None else stored.routine
        key = (entry.profile_id, entry.routine_id)
        if key not in self._changes:
            self._changes[key] = self._store.dose_changes(*key)
        cells = dose_cells(entry, self._routines[entry.routine_id], self._changes[key])
        self._last = (entry, cells)
        return cells
