"""Everything Spotter keeps: one SQLite file, written in whole transactions.

Routines, profiles (each with its active routine), settings, session history, the workout
in progress (for resuming after a power cut) and the web secret all live in ``spotter.db``.
Its schema is versioned (``routines.schema``); an older file is upgraded in place on
first open, in one transaction.
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
from typing import Any, Final, Self, cast

from routines.errors import RoutineError, SettingsError
from routines.model import Routine
from routines.profiles import Profile, ProfileError
from routines.schema import SCHEMA_VERSION, create, upgrade
from routines.settings import Settings, parse_settings_changes
from routines.validation import load_library, parse_routine

log = logging.getLogger(__name__)

DB_NAME: Final = "spotter.db"
MAX_ID_LEN: Final = 64
# Enough for any one person's workouts; each routine may take 32 KB (routines.validation).
MAX_ROUTINES: Final = 100
ROUTINES_FULL: Final = (
    f"Spotter keeps at most {MAX_ROUTINES} routines: delete one to make room for another"
)

_PROFILE: Final = "profile"
_PROGRESS: Final = "progress"


@dataclass(frozen=True, slots=True)
class StoredRoutine:
    routine: Routine
    version: int
    updated_at: float


@dataclass(frozen=True, slots=True)
class SetReps:
    """The reps done in one set of a counted exercise, against the reps it asked for."""

    exercise: str
    set: int
    done: int
    planned: int
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "set": self.set,
            "side": self.side,
            "done": self.done,
            "planned": self.planned,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One finished or ended workout; times are wall-clock epoch seconds.

    ``started_at`` is ``finished_at`` less the active time, so pauses do not count.
    Pain scores are 0-10 check-ins before and after (None: not asked or skipped);
    ``sets_planned`` and ``set_reps`` are None/() for workouts recorded before they existed.
    """

    routine_id: str
    routine_name: str
    started_at: float
    finished_at: float
    exercises_done: int
    sets_done: int
    completed: bool
    id: int | None = None
    profile_id: int = 1
    pain_before: int | None = None
    pain_after: int | None = None
    sets_planned: int | None = None
    set_reps: tuple[SetReps, ...] = ()

    @property
    def short_sets(self) -> tuple[SetReps, ...]:
        """The sets that ended with fewer reps than planned."""
        return tuple(s for s in self.set_reps if s.done < s.planned)

    @property
    def reps_short(self) -> int:
        """Reps left undone across all sets."""
        return sum(s.planned - s.done for s in self.short_sets)


class VersionConflict(Exception):
    """The routine was saved by someone else since the caller read it."""

    def __init__(self, current: StoredRoutine) -> None:
        self.current = current
        super().__init__(
            f"routine {current.routine.id!r} was changed meanwhile (now version {current.version})"
        )


class ProfileInUse(Exception):
    """A profile that cannot go without more: the last one, or one with workouts."""

    def __init__(self, reason: str, workouts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.workouts = workouts


class StoreBusy(RuntimeError):
    """Another process has the store open."""


class StoreVersionError(RuntimeError):
    """The database was written by a newer Spotter whose schema this one does not know."""


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
        return cls.open_file(data_dir / DB_NAME)

    @classmethod
    def open_file(cls, path: Path) -> Self:
        """Open (creating if needed) the store at ``path``."""
        # The file holds the web secret and PIN hash: create it readable by its owner only
        # (SQLite gives its -wal and -shm files the same permissions).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = _connect(path)
        try:
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

    def each_routine(self) -> Iterator[StoredRoutine]:
        """Every routine, in the order they were first stored, read one at a time: a full
        store's hundred routines never sit in memory together."""
        with self._lock:
            ids = [row[0] for row in self._conn.execute("SELECT id FROM routines ORDER BY rowid")]
        for routine_id in ids:
            stored = self.get_routine(routine_id)
            if stored is not None:
                yield stored

    def get_routine(self, routine_id: str) -> StoredRoutine | None:
        """The routine with this id, or ``None``."""
        with self._lock:
            return self._get(routine_id)

    def create_routine(self, routine: Routine) -> StoredRoutine:
        """Store a new routine; a taken id becomes ``id-2``, ``id-3``, ... (see the result)."""
        routine = _valid(routine)
        with self._transaction():
            taken = {row[0] for row in self._conn.execute("SELECT id FROM routines")}
            if len(taken) >= MAX_ROUTINES:
                raise RoutineError({"routines": ROUTINES_FULL})
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
            self._conn.execute(
                "UPDATE profiles SET routine_id = NULL WHERE routine_id = ?", (routine_id,)
            )
            return deleted.rowcount > 0

    def active_routine(self, profile_id: int | None = None) -> StoredRoutine | None:
        """The routine chosen by a profile (default: the current one), else the first
        stored one, else ``None``."""
        with self._lock:
            profile = self._profile(profile_id)
            chosen = profile.routine_id if profile is not None else None
            if chosen is not None and (stored := self._get(chosen)) is not None:
                return stored
            row = self._conn.execute(
                "SELECT body, version, updated_at FROM routines ORDER BY rowid LIMIT 1"
            ).fetchone()
        return None if row is None else _stored(row)

    def set_active_routine(self, routine_id: str, profile_id: int | None = None) -> None:
        """Choose the routine a press starts for a profile (default: the current one);
        ``KeyError`` if there is no routine with that id."""
        with self._transaction():
            if self._get(routine_id) is None:
                raise KeyError(routine_id)
            profile = self._profile(profile_id)
            if profile is None:
                raise KeyError(profile_id)
            self._conn.execute(
                "UPDATE profiles SET routine_id = ? WHERE id = ?", (routine_id, profile.id)
            )

    # -- profiles ---------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        """Every profile, oldest first (there is always at least one)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, name, routine_id, weekly_goal FROM profiles ORDER BY id"
            ).fetchall()
        return [Profile(*row) for row in rows]

    def get_profile(self, profile_id: int) -> Profile | None:
        """The profile with this id, or ``None``."""
        with self._lock:
            return self._profile(profile_id) if profile_id is not None else None

    def current_profile(self) -> Profile:
        """Who is training now: the last one chosen (on the device or the page)."""
        with self._lock:
            profile = self._profile(None)
        assert profile is not None, "a store always has a profile"
        return profile

    def set_current_profile(self, profile_id: int) -> Profile:
        """Make ``profile_id`` the one who is training; ``KeyError`` if there is none."""
        with self._transaction():
            profile = self._profile(profile_id)
            if profile is None:
                raise KeyError(profile_id)
            self._set_state(_PROFILE, str(profile.id))
            return profile

    def create_profile(self, fields: Mapping[str, Any]) -> Profile:
        """Add a profile from fields checked by ``parse_profile_changes``; ``ProfileError``
        for a taken name or an unknown routine."""
        with self._transaction():
            self._check_profile_fields(fields, profile_id=None)
            cursor = self._conn.execute(
                "INSERT INTO profiles (name, routine_id, weekly_goal, created_at) "
                "VALUES (?, ?, ?, ?)",
                (fields["name"], fields.get("routine_id"), fields.get("weekly_goal"), time.time()),
            )
            profile = self._profile(cursor.lastrowid)
        assert profile is not None
        return profile

    def update_profile(self, profile_id: int, fields: Mapping[str, Any]) -> Profile:
        """Change some fields of a profile; ``KeyError`` if there is none, ``ProfileError``
        for a taken name or an unknown routine."""
        with self._transaction():
            if self._profile(profile_id) is None:
                raise KeyError(profile_id)
            self._check_profile_fields(fields, profile_id=profile_id)
            for column in ("name", "routine_id", "weekly_goal"):
                if column in fields:
                    self._conn.execute(
                        f"UPDATE profiles SET {column} = ? WHERE id = ?",  # noqa: S608 - a fixed name
                        (fields[column], profile_id),
                    )
            profile = self._profile(profile_id)
        assert profile is not None
        return profile

    def delete_profile(self, profile_id: int, *, with_history: bool) -> int:
        """Remove a profile and return how many workouts went with it. ``KeyError`` if there
        is none; ``ProfileInUse`` if it is the last one, or has workouts and
        ``with_history`` is not set (nothing is deleted then)."""
        with self._transaction():
            if self._profile(profile_id) is None:
                raise KeyError(profile_id)
            if self._conn.execute("SELECT COUNT(*) FROM profiles").fetchone()[0] <= 1:
                raise ProfileInUse("the last profile cannot be deleted", 0)
            workouts: int = self._conn.execute(
                "SELECT COUNT(*) FROM history WHERE profile_id = ?", (profile_id,)
            ).fetchone()[0]
            if workouts and not with_history:
                raise ProfileInUse("the profile has workouts in its history", workouts)
            self._conn.execute("DELETE FROM history WHERE profile_id = ?", (profile_id,))
            self._conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))
            if self._state(_PROFILE) == str(profile_id):
                first = self._conn.execute("SELECT MIN(id) FROM profiles").fetchone()[0]
                self._set_state(_PROFILE, str(first))
            return workouts

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
                _INSERT_HISTORY,
                _history_row(entry),
            )
            return dataclasses.replace(entry, id=cursor.lastrowid)

    def history(
        self, limit: int = 100, *, profile_id: int | None = None, since: float | None = None
    ) -> list[HistoryEntry]:
        """The latest ``limit`` workouts, newest first: everyone's, or one profile's; all, or
        those finished at or after ``since``."""
        where, params = _history_filter(profile_id, since)
        with self._lock:
            rows = self._conn.execute(
                f"{_SELECT_HISTORY} {where} ORDER BY finished_at DESC, id DESC LIMIT ?",
                (*params, max(0, limit)),
            ).fetchall()
        return [_history_entry(row) for row in rows]

    def sessions_since(
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
        where, params = _history_filter(profile_id, since)
        query = "SELECT COUNT(*) FROM history " + where + " AND completed = 1"  # noqa: S608
        if until is not None:
            query += " AND finished_at <= ?"
            params += (until,)
        if routine_id is not None:
            query += " AND routine_id = ?"
            params += (routine_id,)
        with self._lock:
            count: int = self._conn.execute(query, params).fetchone()[0]
        return count

    def workouts_per_profile(self) -> dict[int, int]:
        """How many workouts (finished or ended) each profile has in its history."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT profile_id, COUNT(*) FROM history GROUP BY profile_id"
            ).fetchall()
        return {profile_id: count for profile_id, count in rows}

    def set_pain(self, entry_id: int, moment: str, score: int) -> HistoryEntry:
        """Record a 0-10 pain check-in (``moment`` "before" or "after") on a stored workout,
        replacing an earlier answer; ``KeyError`` if there is no such workout."""
        if moment not in ("before", "after"):
            raise ValueError(f"moment: must be before or after, not {moment!r}")
        if type(score) is not int or not 0 <= score <= 10:
            raise ValueError("score: must be a whole number from 0 to 10")
        with self._transaction():
            self._conn.execute(_SET_PAIN[moment], (score, entry_id))
            row = self._conn.execute(_SELECT_HISTORY + " WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                raise KeyError(entry_id)
        return _history_entry(row)

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

    # -- the file as a whole: backup and restore ----------------------------------------------

    def path(self) -> Path:
        """The database file."""
        with self._lock:
            row = self._conn.execute("PRAGMA database_list").fetchone()
        return Path(row[2])

    def backup_to(self, destination: Path) -> None:
        """A consistent copy of the whole store at ``destination`` (SQLite's backup API)."""
        with self._lock:
            target = sqlite3.connect(destination)
            try:
                self._conn.backup(target)
            finally:
                target.close()

    def secrets_rows(self) -> list[tuple[str, bytes]]:
        """This device's secrets, to carry over into restored data."""
        with self._lock:
            return list(self._conn.execute("SELECT name, value FROM secrets"))

    def claim_alone(self) -> None:
        """Make sure no other process (a running Spotter) has the store open, and keep it
        that way until closed; ``StoreBusy`` otherwise."""
        with self._lock:
            self._conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            try:
                self._conn.execute("BEGIN EXCLUSIVE")
                self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                self._conn.execute("COMMIT")
            except sqlite3.OperationalError:
                self._conn.execute("PRAGMA locking_mode=NORMAL")
                raise StoreBusy("another program (a running Spotter) is using the data") from None

    def replace_file(self, staged: Path, *, keep_previous: Path) -> None:
        """Put ``staged`` (a checked store file) in place of this store's file in one rename,
        hard-linking the old one as ``keep_previous``; the store reads the new data at once."""
        with self._lock:
            path = self.path()
            # An empty WAL: nothing of the old data can be replayed onto the new file.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            try:
                keep_previous.unlink(missing_ok=True)
                os.link(path, keep_previous)
                staged.replace(path)
                _fsync_dir(path.parent)
            finally:
                self._conn = _connect(path)
        _parse_body.cache_clear()

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
                create(self._conn, time.time())
                # Seeded only here, in a brand-new store: a routine the user deleted
                # must not come back at the next start.
                for routine in load_library():
                    self._put(routine, version=1, new=True)
            elif version < SCHEMA_VERSION:
                log.info("upgrading the store from schema %d to %d", version, SCHEMA_VERSION)
                upgrade(self._conn, version, time.time())

    def _profile(self, profile_id: int | None) -> Profile | None:
        """The profile with this id; None = the current one."""
        if profile_id is None:
            chosen = self._state(_PROFILE)
            profile_id = int(chosen) if chosen is not None and chosen.isdigit() else 0
        row = self._conn.execute(
            "SELECT id, name, routine_id, weekly_goal FROM profiles WHERE id = ?", (profile_id,)
        ).fetchone()
        if row is None and profile_id == 0:
            row = self._conn.execute(
                "SELECT id, name, routine_id, weekly_goal FROM profiles ORDER BY id LIMIT 1"
            ).fetchone()
        return None if row is None else Profile(*row)

    def _check_profile_fields(self, fields: Mapping[str, Any], *, profile_id: int | None) -> None:
        problems: dict[str, str] = {}
        if "name" in fields:
            clash = self._conn.execute(
                "SELECT id FROM profiles WHERE name = ? AND id IS NOT ?",
                (fields["name"], profile_id),
            ).fetchone()
            if clash is not None:
                problems["name"] = f"another profile is already called {fields['name']!r}"
        routine_id = fields.get("routine_id")
        if routine_id is not None and self._get(routine_id) is None:
            problems["routine_id"] = f"there is no routine with id {routine_id!r}"
        if problems:
            raise ProfileError(problems)

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


_HISTORY_COLUMNS: Final = (
    "routine_id, routine_name, started_at, finished_at, exercises_done, sets_done, completed, "
    "profile_id, pain_before, pain_after, sets_planned, set_reps"
)
# Built from the fixed column list above; every value is bound, never pasted in.
_INSERT_HISTORY: Final = "INSERT INTO history ({}) VALUES ({})".format(  # noqa: S608
    _HISTORY_COLUMNS, ", ".join("?" for _ in _HISTORY_COLUMNS.split(","))
)
_SELECT_HISTORY: Final = f"SELECT {_HISTORY_COLUMNS}, id FROM history"  # noqa: S608
_SET_PAIN: Final = {
    "before": "UPDATE history SET pain_before = ? WHERE id = ?",
    "after": "UPDATE history SET pain_after = ? WHERE id = ?",
}


def _history_row(entry: HistoryEntry) -> tuple[object, ...]:
    return (
        entry.routine_id,
        entry.routine_name,
        float(entry.started_at),
        float(entry.finished_at),
        int(entry.exercises_done),
        int(entry.sets_done),
        int(bool(entry.completed)),
        int(entry.profile_id),
        entry.pain_before,
        entry.pain_after,
        entry.sets_planned,
        json.dumps([s.to_dict() for s in entry.set_reps], separators=(",", ":")),
    )


def _history_entry(row: tuple[Any, ...]) -> HistoryEntry:
    set_reps = tuple(
        SetReps(s["exercise"], s["set"], s["done"], s["planned"], s.get("side"))
        for s in json.loads(row[11])
    )
    return HistoryEntry(
        routine_id=row[0],
        routine_name=row[1],
        started_at=row[2],
        finished_at=row[3],
        exercises_done=row[4],
        sets_done=row[5],
        completed=bool(row[6]),
        profile_id=row[7],
        pain_before=row[8],
        pain_after=row[9],
        sets_planned=row[10],
        set_reps=set_reps,
        id=row[12],
    )


def _history_filter(profile_id: int | None, since: float | None) -> tuple[str, tuple[object, ...]]:
    where, params = "WHERE 1", cast(tuple[object, ...], ())
    if profile_id is not None:
        where += " AND profile_id = ?"
        params += (profile_id,)
    if since is not None:
        where += " AND finished_at >= ?"
        params += (since,)
    return where, params


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun and ended explicitly.
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _body(routine: Routine) -> str:
    return json.dumps(routine.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _valid(routine: Routine) -> Routine:
    """The routine as a routine file would give it: a ``Routine`` built in code skips the
    rules, so it is put through them before it can reach the file (``RoutineError``)."""
    return parse_routine(routine.to_dict())


def _stored(row: tuple[str, int, float]) -> StoredRoutine:
    body, version, updated_at = row
    return StoredRoutine(_parse_body(body), version, updated_at)


# A few: the active routine is what is read again and again, and a full list must not
# stay parsed in memory after it has been sent.
@functools.lru_cache(maxsize=8)
def _parse_body(body: str) -> Routine:
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


def _names_key(err: SettingsError, key: str) -> bool:
    return any(field == key or field.startswith(key + ".") for field in err.errors)
