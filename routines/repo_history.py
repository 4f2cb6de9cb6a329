"""The workouts done: written as each ends, never dropped, read newest first."""

from __future__ import annotations

import sqlite3
from typing import cast

from routines import history_rows
from routines.changes import Data
from routines.database import Database
from routines.model import HistoryEntry

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
