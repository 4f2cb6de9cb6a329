"""The routines kept in the store, each with a version that every save bumps."""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from routines.changes import Data
from routines.database import Database
from routines.errors import RoutineError
from routines.model import Routine
from routines.validation import load_library, parse_routine

MAX_ID_LEN: Final = 64
# Enough for any one person's workouts; each routine may take 32 KB (routines.validation).
MAX_ROUTINES: Final = 100
ROUTINES_FULL: Final = (
    f"Spotter keeps at most {MAX_ROUTINES} routines: delete one to make room for another"
)
_SELECT: Final = "SELECT id, body, version, updated_at FROM routines"


@dataclass(frozen=True, slots=True)
class StoredRoutine:
    routine: Routine
    version: int
    updated_at: float


class VersionConflict(Exception):
    """The routine was saved by someone else since the caller read it."""

    def __init__(self, current: StoredRoutine) -> None:
        self.current = current
        super().__init__(
            f"routine {current.routine.id!r} was changed meanwhile (now version {current.version})"
        )


class RoutineRepository:
    """Reads and writes the ``routines`` table; a deleted routine is no one's choice."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def all(self) -> list[StoredRoutine]:
        """Every routine that can be read, in the order they were first stored."""
        with self._db.lock:
            rows = self._db.conn.execute(f"{_SELECT} ORDER BY rowid").fetchall()
            return [stored for row in rows if (stored := self._readable(row)) is not None]

    def each(self) -> Iterator[StoredRoutine]:
        """Every routine, read one at a time: a full store's hundred routines never sit in
        memory together."""
        with self._db.lock:
            ids = [
                row["id"] for row in self._db.conn.execute("SELECT id FROM routines ORDER BY rowid")
            ]
        for routine_id in ids:
            stored = self.get(routine_id)
            if stored is not None:
                yield stored

    def get(self, routine_id: str) -> StoredRoutine | None:
        """The routine with this id, or ``None`` (also when its row cannot be read)."""
        with self._db.lock:
            row = self._db.conn.execute(f"{_SELECT} WHERE id = ?", (routine_id,)).fetchone()
            return None if row is None else self._readable(row)

    def first(self) -> StoredRoutine | None:
        """The first readable routine stored, or ``None``."""
        with self._db.lock:
            for row in self._db.conn.execute(f"{_SELECT} ORDER BY rowid"):
                if (stored := self._readable(row)) is not None:
                    return stored
        return None

    def create(self, routine: Routine) -> StoredRoutine:
        """Store a new routine; a taken id becomes ``id-2``, ``id-3``, ... (see the result)."""
        routine = _valid(routine)
        with self._db.transaction(Data.ROUTINES) as conn:
            taken = {row["id"] for row in conn.execute("SELECT id FROM routines")}
            if len(taken) >= MAX_ROUTINES:
                raise RoutineError({"routines": ROUTINES_FULL})
            routine = dataclasses.replace(routine, id=_free_id(routine.id, taken))
            return put(conn, routine, version=1, new=True)

    def save(self, routine: Routine, *, expected_version: int | None = None) -> StoredRoutine:
        """Insert or replace the routine with its id, bumping its version.

        With ``expected_version``, raise ``VersionConflict`` if the stored version differs.
        A routine deleted meanwhile is stored again rather than losing the caller's edit.
        """
        routine = _valid(routine)
        with self._db.transaction(Data.ROUTINES) as conn:
            current = self.get(routine.id)
            if current is None:
                # Absent, or a row that could not be read: the edit replaces it.
                old = self._version_of(routine.id)
                return put(conn, routine, version=(old or 0) + 1, new=old is None)
            if expected_version is not None and expected_version != current.version:
                raise VersionConflict(current)
            return put(conn, routine, version=current.version + 1, new=False)

    def delete(self, routine_id: str) -> bool:
        """Remove a routine (whoever had chosen it has none now); ``False`` if there was none."""
        with self._db.transaction(Data.ROUTINES, Data.PROFILES) as conn:
            deleted = conn.execute("DELETE FROM routines WHERE id = ?", (routine_id,))
            conn.execute(
                "UPDATE profiles SET routine_id = NULL WHERE routine_id = ?", (routine_id,)
            )
            return deleted.rowcount > 0

    def _version_of(self, routine_id: str) -> int | None:
        """The stored version of a routine's row, readable or not (None: no row)."""
        row = self._db.conn.execute(
            "SELECT version FROM routines WHERE id = ?", (routine_id,)
        ).fetchone()
        if row is None:
            return None
        return row["version"] if isinstance(row["version"], int) else 0

    def _readable(self, row: sqlite3.Row) -> StoredRoutine | None:
        version, updated_at = row["version"], row["updated_at"]
        try:
            if not isinstance(version, int) or not isinstance(updated_at, int | float):
                raise TypeError("its version or time is not a number")
            return StoredRoutine(parse_body(row["body"]), version, float(updated_at))
        except (RoutineError, ValueError, TypeError) as err:
            self._db.skip(f"routine {row['id']!r}", str(err))
            return None


def put(conn: sqlite3.Connection, routine: Routine, *, version: int, new: bool) -> StoredRoutine:
    """Write a checked routine's row (in the caller's transaction)."""
    now = time.time()
    if new:
        conn.execute(
            "INSERT INTO routines (id, body, version, updated_at) VALUES (?, ?, ?, ?)",
            (routine.id, _body(routine), version, now),
        )
    else:
        conn.execute(
            "UPDATE routines SET body = ?, version = ?, updated_at = ? WHERE id = ?",
            (_body(routine), version, now, routine.id),
        )
    return StoredRoutine(routine, version, now)


def seed_library(conn: sqlite3.Connection) -> None:
    """A brand-new store starts with the shipped routines."""
    for routine in load_library():
        put(conn, routine, version=1, new=True)


def _body(routine: Routine) -> str:
    return json.dumps(routine.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _valid(routine: Routine) -> Routine:
    """The routine as a routine file would give it: a ``Routine`` built in code skips the
    rules, so it is put through them before it can reach the file (``RoutineError``)."""
    return parse_routine(routine.to_dict())


# A few: the active routine is what is read again and again, and a full list must not
# stay parsed in memory after it has been sent.
@functools.lru_cache(maxsize=8)
def parse_body(body: str) -> Routine:
    # Every read re-checks what is on disk, but the page asks for the active routine on
    # each request: the same text parses to the same (immutable) routine, so keep it.
    return parse_routine(json.loads(body), caps=False)


def _free_id(wanted: str, taken: set[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = wanted[: MAX_ID_LEN - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        n += 1
