"""The workouts done: written as each ends, never dropped, read newest first.

However long the history, a read holds only a bounded part of it: pages of workouts
(``page``), the whole of it in batches (``oldest_first``), or figures that SQLite
works out (``totals``, ``completed_per_span``). The store's lock is taken per batch, so
the button's own writes never wait for a long read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

from routines import history_rows
from routines.changes import Data
from routines.database import Database
from routines.model import HistoryEntry

# The key of a row in reading order: (finished_at, id). A page ends with one; the next page
# starts after it, so rows added or removed meanwhile neither repeat nor shift the pages.
Cursor = tuple[float, int]

BATCH = 500


@dataclass(frozen=True, slots=True)
class Totals:
    """How many workouts, how many of them finished, and their active minutes."""

    workouts: int
    completed: int
    minutes: float


_SET_PAIN = {
    "before": "UPDATE history SET pain_before = ? WHERE id = ?",
    "after": "UPDATE history SET pain_after = ? WHERE id = ?",
}


class HistoryRepository:
    """Reads and writes the ``history`` table, with the workouts still waiting for it."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, entry: HistoryEntry) -> HistoryEntry:
        """Record a finished workout; returns it with its ``id``.

        A workout is never dropped: when the store cannot take the write (a full disk, a
        read-only or damaged file) it is kept, in memory and in ``spotter.db.pending`` if
        that can be written, and stored by the first write that works (``id`` stays None).
        """
        entry = history_rows.checked(entry)
        db = self._db
        with db.lock:
            if not db.pending.entries:
                try:
                    with db.transaction(Data.HISTORY) as conn:
                        return history_rows.insert(conn, entry)
                except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as err:
                    db.write_failed(err)
            db.pending.keep(entry)
            db.flush_pending()
            return entry

    def latest(
        self, limit: int = 100, *, profile_id: int | None = None, since: float | None = None
    ) -> list[HistoryEntry]:
        """The latest ``limit`` workouts, newest first: everyone's, or one profile's; all, or
        those finished at or after ``since``."""
        where, params = _filter(profile_id, since)
        with self._db.lock:
            rows = self._db.conn.execute(
                f"{history_rows.SELECT} {where} ORDER BY finished_at DESC, id DESC LIMIT ?",
                (*params, max(0, limit)),
            ).fetchall()
            entries = [e for row in rows if (e := self._readable(row)) is not None]
            pending = [e for e in self._db.pending.entries if _matches(e, profile_id, since)]
        if pending:
            entries = sorted([*entries, *pending], key=lambda e: e.finished_at, reverse=True)
        return entries[: max(0, limit)]

    def page(
        self, limit: int, *, profile_id: int | None = None, before: Cursor | None = None
    ) -> tuple[list[HistoryEntry], Cursor | None]:
        """Up to ``limit`` workouts newest first, from just after ``before`` (or the newest),
        and the cursor of the next page (None after the last). Workouts still waiting for
        the file come on the first page."""
        where, params = _filter(profile_id, None)
        if before is not None:
            where += " AND (finished_at, id) < (?, ?)"
            params += before
        with self._db.lock:
            rows = self._db.conn.execute(
                f"{history_rows.SELECT} {where} ORDER BY finished_at DESC, id DESC LIMIT ?",
                (*params, max(0, limit) + 1),
            ).fetchall()
            pending = [] if before is not None else self._pending(profile_id, None)
        more, rows = len(rows) > limit, rows[: max(0, limit)]
        entries = [e for row in rows if (e := self._readable(row)) is not None]
        if pending:
            entries = sorted([*entries, *pending], key=lambda e: e.finished_at, reverse=True)
        cursor = (rows[-1]["finished_at"], rows[-1]["id"]) if more and rows else None
        return entries, cursor

    def oldest_first(
        self, *, profile_id: int | None = None, batch: int = BATCH
    ) -> Iterator[HistoryEntry]:
        """Every workout, oldest first, read ``batch`` rows at a time (the lock is let go
        between batches); those still waiting for the file come last."""
        where, params = _filter(profile_id, None)
        query = (
            f"{history_rows.SELECT} {where} AND (finished_at, id) > (?, ?)"
            " ORDER BY finished_at, id LIMIT ?"
        )
        after: tuple[object, object] = (float("-inf"), -1)
        while True:
            with self._db.lock:
                rows = self._db.conn.execute(query, (*params, *after, batch)).fetchall()
            for row in rows:
                if (entry := self._readable(row)) is not None:
                    yield entry
            if len(rows) < batch:
                break
            after = (rows[-1]["finished_at"], rows[-1]["id"])
        with self._db.lock:
            pending = self._pending(profile_id, None)
        yield from sorted(pending, key=lambda e: e.finished_at)

    def totals(
        self,
        *,
        profile_id: int | None = None,
        since: float | None = None,
        until: float | None = None,
        minutes: bool = True,
    ) -> Totals:
        """Workouts finished at or after ``since`` and not after ``until`` (either open);
        their minutes only if asked (each row's are worked out in Python)."""
        where, params = _filter(profile_id, since)
        if until is not None:
            where += " AND finished_at <= ?"
            params += (until,)
        spent = "SUM(active_minutes(started_at, finished_at))" if minutes else "0.0"
        query = (
            "SELECT COUNT(*) AS n, COALESCE(SUM(completed), 0) AS done,"  # noqa: S608
            f" COALESCE({spent}, 0.0) AS minutes FROM history {where}"
        )
        with self._db.lock:
            conn = self._db.conn
            # Python's rounding, the same as each workout shows, not SQLite's.
            conn.create_function("active_minutes", 2, _active_minutes, deterministic=True)
            row = conn.execute(query, params).fetchone()
            pending = [
                e
                for e in self._pending(profile_id, since)
                if until is None or e.finished_at <= until
            ]
        return Totals(
            workouts=row["n"] + len(pending),
            completed=row["done"] + sum(1 for e in pending if e.completed),
            minutes=row["minutes"]
            + sum(_active_minutes(e.started_at, e.finished_at) for e in pending),
        )

    def completed_per_span(self, bounds: Sequence[float], *, profile_id: int) -> list[int]:
        """Finished workouts of a profile in each span from one bound up to (not including)
        the next: one count fewer than bounds."""
        starts, ends = bounds[:-1], bounds[1:]
        counts = [0] * len(starts)
        # One statement for every span (History asks for half a year of weeks at a time):
        # each span counted through the (profile_id, finished_at) index, not one query each.
        spans = ", ".join("(?, ?, ?)" for _ in starts)
        query = (
            f"WITH spans(i, lo, hi) AS (VALUES {spans})"  # noqa: S608 - placeholders only
            " SELECT i, (SELECT COUNT(*) FROM history WHERE profile_id = ? AND completed = 1"
            " AND finished_at >= lo AND finished_at < hi) AS n FROM spans"
        )
        params: list[object] = []
        for i, span in enumerate(zip(starts, ends, strict=True)):
            params += (i, *span)
        with self._db.lock:
            if counts:
                for row in self._db.conn.execute(query, (*params, profile_id)):
                    counts[row["i"]] = row["n"]
            pending = [e for e in self._pending(profile_id, None) if e.completed]
        for e in pending:
            for i, (lo, hi) in enumerate(zip(starts, ends, strict=True)):
                if lo <= e.finished_at < hi:
                    counts[i] += 1
        return counts

    def checkins(self, limit: int, *, profile_id: int, since: float) -> list[HistoryEntry]:
        """The latest ``limit`` workouts with a pain answer finished at or after ``since``,
        oldest first."""
        with self._db.lock:
            rows = self._db.conn.execute(
                f"{history_rows.SELECT} WHERE profile_id = ? AND finished_at >= ?"
                " AND (pain_before IS NOT NULL OR pain_after IS NOT NULL)"
                " ORDER BY finished_at DESC, id DESC LIMIT ?",
                (profile_id, since, max(0, limit)),
            ).fetchall()
            pending = [
                e
                for e in self._pending(profile_id, since)
                if e.pain_before is not None or e.pain_after is not None
            ]
        entries = [e for row in rows if (e := self._readable(row)) is not None]
        entries = sorted([*entries, *pending], key=lambda e: e.finished_at, reverse=True)
        return entries[: max(0, limit)][::-1]

    def count_since(
        self,
        since: float,
        routine_id: str | None = None,
        *,
        profile_id: int | None = None,
        until: float | None = None,
    ) -> int:
        """How many completed workouts finished at or after ``since`` (of one routine, or
        all; of one profile, or everyone's), and not after ``until``: a workout stamped
        before the wall clock was set back lies in the future and belongs to no week yet."""
        where, params = _filter(profile_id, since)
        query = "SELECT COUNT(*) AS n FROM history " + where + " AND completed = 1"  # noqa: S608
        if until is not None:
            query += " AND finished_at <= ?"
            params += (until,)
        if routine_id is not None:
            query += " AND routine_id = ?"
            params += (routine_id,)
        with self._db.lock:
            count: int = self._db.conn.execute(query, params).fetchone()["n"]
            count += sum(
                1
                for e in self._db.pending.entries
                if e.completed
                and _matches(e, profile_id, since)
                and (routine_id is None or e.routine_id == routine_id)
            )
        return count

    def per_profile(self) -> dict[int, int]:
        """How many workouts (finished or ended) each profile has in its history."""
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT profile_id, COUNT(*) AS n FROM history GROUP BY profile_id"
            ).fetchall()
        return {row["profile_id"]: row["n"] for row in rows}

    def set_pain(self, entry_id: int, moment: str, score: int) -> HistoryEntry:
        """Record a 0-10 pain check-in (``moment`` "before" or "after") on a stored workout,
        replacing an earlier answer; ``KeyError`` if there is no such workout."""
        if moment not in ("before", "after"):
            raise ValueError(f"moment: must be before or after, not {moment!r}")
        if type(score) is not int or not 0 <= score <= 10:
            raise ValueError("score: must be a whole number from 0 to 10")
        with self._db.transaction(Data.HISTORY) as conn:
            conn.execute(_SET_PAIN[moment], (score, entry_id))
            row = conn.execute(history_rows.SELECT + " WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                raise KeyError(entry_id)
        return history_rows.from_row(row)

    def _pending(self, profile_id: int | None, since: float | None) -> list[HistoryEntry]:
        return [e for e in self._db.pending.entries if _matches(e, profile_id, since)]

    def _readable(self, row: sqlite3.Row) -> HistoryEntry | None:
        try:
            return history_rows.checked(history_rows.from_row(row))
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            self._db.skip(f"history row {row['id']}", str(err) or type(err).__name__)
            return None


def _filter(profile_id: int | None, since: float | None) -> tuple[str, tuple[object, ...]]:
    where, params = "WHERE 1", cast(tuple[object, ...], ())
    if profile_id is not None:
        where += " AND profile_id = ?"
        params += (profile_id,)
    if since is not None:
        where += " AND finished_at >= ?"
        params += (since,)
    return where, params


def _matches(entry: HistoryEntry, profile_id: int | None, since: float | None) -> bool:
    return (profile_id is None or entry.profile_id == profile_id) and (
        since is None or entry.finished_at >= since
    )


def _active_minutes(started_at: object, finished_at: object) -> float:
    # A row that is not readable counts no minutes rather than failing the whole sum.
    if not isinstance(started_at, int | float) or not isinstance(finished_at, int | float):
        return 0.0
    return round(max(0.0, finished_at - started_at) / 60, 1)
