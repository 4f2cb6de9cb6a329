"""Everything Spotter keeps: one SQLite file, written in whole transactions.

Routines, the active routine, settings, session history, the workout in progress
(for resuming after a power cut) and the web secret all live in ``spotter.db``.
WAL with ``synchronous=FULL`` makes each committed transaction survive a pulled plug.
Values are checked before anything is written, so rejected input leaves the file as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Self

from routines.errors import SettingsError
from routines.model import Routine
from routines.settings import Settings, parse_settings_changes
from routines.validation import load_library, parse_routine

log = logging.getLogger(__name__)

DB_NAME: Final = "spotter.db"
SCHEMA_VERSION: Final = 1
MAX_ID_LEN: Final = 64

_SCHEMA: Final = (
    """CREATE TABLE routines (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at REAL NOT NULL)""",
    "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        routine_id TEXT NOT NULL,
        routine_name TEXT NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL NOT NULL,
        exercises_done INTEGER NOT NULL,
        sets_done INTEGER NOT NULL,
        completed INTEGER NOT NULL)""",
    "CREATE INDEX history_finished ON history (finished_at)",
    "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
)
_ACTIVE: Final = "active_routine"
_PROGRESS: Final = "progress"


@dataclass(frozen=True, slots=True)
class StoredRoutine:
    routine: Routine
    version: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One finished or ended workout; times are wall-clock epoch seconds."""

    routine_id: str
    routine_name: str
    started_at: float
    finished_at: float
    exercises_done: int
    sets_done: int
    completed: bool
    id: int | None = None


class VersionConflict(Exception):
    """The routine was saved by someone else since the caller read it."""

    def __init__(self, current: StoredRoutine) -> None:
        self.current = current
        super().__init__(
            f"routine {current.routine.id!r} was changed meanwhile (now version {current.version})"
        )


class StoreVersionError(RuntimeError):
    """The database was written by a newer Spotter whose schema this one does not know."""


def resolve_data_dir(cli_value: str | None) -> Path:
    """``--data-dir``, else ``$SPOTTER_DATA_DIR``, else ``$XDG_DATA_HOME/spotter``,
    else ``~/.local/share/spotter``."""
    if cli_value:
        return Path(cli_value).expanduser()
    if env := os.environ.get("SPOTTER_DATA_DIR"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "spotter"
    return Path.home() / ".local" / "share" / "spotter"


class Store:
    """Shared by the web threads and the daemon worker: one connection behind a lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(cls, data_dir: Path) -> Self:
        """Open (creating if needed) ``data_dir/spotter.db``; a new one gets the library."""
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = data_dir / DB_NAME
        # The file holds the web secret and PIN hash: create it readable by its owner only
        # (SQLite gives its -wal and -shm files the same permissions).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        # isolation_level=None: transactions are begun and ended explicitly below.
        conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            store = cls(conn)
            store._migrate()
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection; later calls fail."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- routines ---------------------------------------------------------------------------

    def list_routines(self) -> list[StoredRoutine]:
        """Every routine, in the order they were first stored."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT body, version, updated_at FROM routines ORDER BY rowid"
            ).fetchall()
        return [_stored(row) for row in rows]

    def get_routine(self, routine_id: str) -> StoredRoutine | None:
        """The routine with this id, or ``None``."""
        with self._lock:
            return self._get(routine_id)

    def create_routine(self, routine: Routine) -> StoredRoutine:
        """Store a new routine; a taken id becomes ``id-2``, ``id-3``, ... (see the result)."""
        routine = _valid(routine)
        with self._transaction():
            taken = {row[0] for row in self._conn.execute("SELECT id FROM routines")}
            routine = dataclasses.replace(routine, id=_free_id(routine.id, taken))
            return self._put(routine, version=1, new=True)

    def save_routine(
        self, routine: Routine, *, expected_version: int | None = None
    ) -> StoredRoutine:
        """Insert or replace the routine with its id, bumping its version.

        With ``expected_version``, raise ``VersionConflict`` if the stored version differs.
        A routine deleted meanwhile is stored again rather than losing the caller's edit.
        """
        routine = _valid(routine)
        with self._transaction():
            current = self._get(routine.id)
            if current is None:
                return self._put(routine, version=1, new=True)
            if expected_version is not None and expected_version != current.version:
                raise VersionConflict(current)
            return self._put(routine, version=current.version + 1, new=False)

    def delete_routine(self, routine_id: str) -> bool:
        """Remove a routine; ``False`` if there was none with that id."""
        with self._transaction():
            deleted = self._conn.execute("DELETE FROM routines WHERE id = ?", (routine_id,))
            if self._state(_ACTIVE) == routine_id:
                self._conn.execute("DELETE FROM state WHERE key = ?", (_ACTIVE,))
            return deleted.rowcount > 0

    def active_routine(self) -> StoredRoutine | None:
        """The chosen routine, else the first stored one, else ``None``."""
        with self._lock:
            chosen = self._state(_ACTIVE)
            if chosen is not None and (stored := self._get(chosen)) is not None:
                return stored
            row = self._conn.execute(
                "SELECT body, version, updated_at FROM routines ORDER BY rowid LIMIT 1"
            ).fetchone()
        return None if row is None else _stored(row)

    def set_active_routine(self, routine_id: str) -> None:
        """Choose the routine a press starts; ``KeyError`` if there is none with that id."""
        with self._transaction():
            if self._get(routine_id) is None:
                raise KeyError(routine_id)
            self._set_state(_ACTIVE, routine_id)

    # -- settings ---------------------------------------------------------------------------

    def settings(self) -> Settings:
        """The current settings (defaults for anything never changed)."""
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM settings").fetchall()
        saved = {key: json.loads(value) for key, value in rows}
        try:
            return parse_settings_changes(saved, Settings())
        except SettingsError as err:
            # Only possible if a later Spotter narrowed a rule: fall back for those keys.
            log.warning("ignoring stored settings that are no longer valid: %s", err)
            kept = {k: v for k, v in saved.items() if not _names_key(err, k)}
            return parse_settings_changes(kept, Settings())

    def update_settings(self, changes: Mapping[str, object]) -> Settings:
        """Apply and keep a change; ``SettingsError`` leaves the store untouched."""
        with self._transaction():
            updated = parse_settings_changes(changes, self.settings())
            defaults = Settings().to_dict()
            self._conn.execute("DELETE FROM settings")
            # Values left at their default are not stored, so they follow future defaults.
            self._conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?)",
                [
                    (key, json.dumps(value))
                    for key, value in updated.to_dict().items()
                    if value != defaults[key]
                ],
            )
            return updated

    # -- history ----------------------------------------------------------------------------

    def add_history(self, entry: HistoryEntry) -> HistoryEntry:
        """Record a finished workout; returns it with its ``id``."""
        with self._transaction():
            cursor = self._conn.execute(
                """INSERT INTO history (routine_id, routine_name, started_at, finished_at,
                   exercises_done, sets_done, completed) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (
                    entry.routine_id,
                    entry.routine_name,
                    float(entry.started_at),
                    float(entry.finished_at),
                    int(entry.exercises_done),
                    int(entry.sets_done),
                    int(bool(entry.completed)),
                ),
            )
            return dataclasses.replace(entry, id=cursor.lastrowid)

    def history(self, limit: int = 100) -> list[HistoryEntry]:
        """The latest ``limit`` workouts, newest first."""
        with self._lock:
            rows = self._conn.execute(
                """SELECT routine_id, routine_name, started_at, finished_at, exercises_done,
                   sets_done, completed, id FROM history
                   ORDER BY finished_at DESC, id DESC LIMIT ?""",
                (max(0, limit),),
            ).fetchall()
        return [HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    def sessions_since(self, since: float, routine_id: str | None = None) -> int:
        """How many completed workouts finished at or after ``since`` (of one routine, or all)."""
        query = "SELECT COUNT(*) FROM history WHERE completed = 1 AND finished_at >= ?"
        params: tuple[object, ...] = (since,)
        if routine_id is not None:
            query += " AND routine_id = ?"
            params += (routine_id,)
        with self._lock:
            count: int = self._conn.execute(query, params).fetchone()[0]
        return count

    # -- the workout in progress, secrets ------------------------------------------------------

    def save_progress(self, snapshot: Mapping[str, Any] | None) -> None:
        """Keep the engine's snapshot for a resume after a power cut; ``None`` clears it."""
        # Serialised first: a value JSON cannot hold raises before anything is written.
        text = None if snapshot is None else json.dumps(dict(snapshot), allow_nan=False)
        with self._transaction():
            if text is None:
                self._conn.execute("DELETE FROM state WHERE key = ?", (_PROGRESS,))
            else:
                self._set_state(_PROGRESS, text)

    def load_progress(self) -> dict[str, Any] | None:
        """The last saved snapshot, or ``None``."""
        with self._lock:
            text = self._state(_PROGRESS)
        if text is None:
            return None
        value = json.loads(text)
        return value if isinstance(value, dict) else None

    def secret(self, name: str, nbytes: int = 32) -> bytes:
        """A random secret made on first use and kept (later calls ignore ``nbytes``)."""
        with self._transaction():
            row = self._conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            if row is not None:
                value: bytes = row[0]
                return value
            value = secrets.token_bytes(nbytes)
            self._conn.execute("INSERT INTO secrets (name, value) VALUES (?, ?)", (name, value))
            return value

    # -- internals --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a read-then-write (version check,
        # free id) cannot interleave with another process such as the command line.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction():
            version: int = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreVersionError(
                    f"the data was written by a newer Spotter (schema {version}); "
                    f"this one reads schema {SCHEMA_VERSION}"
                )
            if version == 0:
                for statement in _SCHEMA:
                    self._conn.execute(statement)
                # Seeded only here, in a brand-new store: a routine the user deleted
                # must not come back at the next start.
                for routine in load_library():
                    self._put(routine, version=1, new=True)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _get(self, routine_id: str) -> StoredRoutine | None:
        row = self._conn.execute(
            "SELECT body, version, updated_at FROM routines WHERE id = ?", (routine_id,)
        ).fetchone()
        return None if row is None else _stored(row)

    def _put(self, routine: Routine, *, version: int, new: bool) -> StoredRoutine:
        now = time.time()
        if new:
            self._conn.execute(
                "INSERT INTO routines (id, body, version, updated_at) VALUES (?, ?, ?, ?)",
                (routine.id, _body(routine), version, now),
            )
        else:
            self._conn.execute(
                "UPDATE routines SET body = ?, version = ?, updated_at = ? WHERE id = ?",
                (_body(routine), version, now, routine.id),
            )
        return StoredRoutine(routine, version, now)

    def _state(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_state(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def _body(routine: Routine) -> str:
    return json.dumps(routine.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _valid(routine: Routine) -> Routine:
    """The routine as a routine file would give it: a ``Routine`` built in code skips the
    rules, so it is put through them before it can reach the file (``RoutineError``)."""
    return parse_routine(routine.to_dict())


def _stored(row: tuple[str, int, float]) -> StoredRoutine:
    body, version, updated_at = row
    return StoredRoutine(_parse_body(body), version, updated_at)


@functools.lru_cache(maxsize=64)
def _parse_body(body: str) -> Routine:
    # Every read re-checks what is on disk, but the page asks for the active routine on
    # each request: the same text parses to the same (immutable) routine, so keep it.
    return parse_routine(json.loads(body))


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


def _names_key(err: SettingsError, key: str) -> bool:
    return any(field == key or field.startswith(key + ".") for field in err.errors)
