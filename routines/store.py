"""Everything Spotter keeps: one SQLite file, written in whole transactions.

Routines, profiles (each with its active routine), settings, session history, the workout
in progress (for resuming after a power cut) and the web secret all live in ``spotter.db``.
Its schema is versioned (``routines.schema``); an older file is upgraded in place on
first open, in one transaction.
WAL with ``synchronous=FULL`` makes each committed transaction survive a pulled plug.
Values are checked before anything is written, so rejected input leaves the file as it was.

The store also guards against the card itself: it is copied to ``spotter.db.backup``
after changes (SQLite's online backup API, at most once a minute); a file that fails
its check at start is set aside and the backup (or a fresh store) takes its place; a
row that cannot be read is skipped, not raised; a file deleted or replaced under a
running Spotter is written again from the open connection; and a finished workout
that cannot be written yet is kept until the store takes writes again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import math
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
from routines.pre_upgrade import keep_copy_before_upgrade
from routines.profiles import Profile, ProfileError
from routines.schema import SCHEMA_VERSION, create, upgrade
from routines.settings import Settings, parse_settings_changes
from routines.store_backups import BackupThread
from routines.store_files import (
    BACKUP_SUFFIX,
    PENDING_SUFFIX,
    SIDE_FILES,
    check_store_file,
    copy_database,
    copy_file,
    fsync_dir,
    fsync_file,
    match_owner,
    move_aside,
)
from routines.validation import load_library, parse_routine

log = logging.getLogger(__name__)

DB_NAME: Final = "spotter.db"
# How often, at most, the store is copied to its backup while it is being changed.
BACKUP_INTERVAL: Final = 60.0
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

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None = None,
        *,
        backup_interval: float = BACKUP_INTERVAL,
        recovered: str | None = None,
    ) -> None:
        self._conn = conn
        self._lock = threading.RLock()
        self._closed = False
        self._file = path
        self.recovered = recovered
        """Why the store was restored or made afresh at this start (None if it was not)."""
        self._identity = _identity(path) if path is not None else None
        self._pending: list[HistoryEntry] = []
        self._skipped: set[str] = set()
        self._write_warned = False
        self._backups = (
            BackupThread(self._write_backup, self.check_file, interval=backup_interval)
            if path is not None
            else None
        )

    @classmethod
    def open(cls, data_dir: Path, *, backup_interval: float = BACKUP_INTERVAL) -> Self:
        """Open (creating if needed) ``data_dir/spotter.db``; a new one gets the library.

        A file that fails its check is moved aside (never deleted) and replaced by the
        backup if that passes, else by a new store; ``recovered`` then says what happened.
        """
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = data_dir / DB_NAME
        recovered = _recover(path)
        if not path.exists():
            _create(path)
        conn = _connect(path)
        try:
            store = cls(conn, path, backup_interval=backup_interval, recovered=recovered)
            store._migrate()
            store._import_pending()
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def open_file(cls, path: Path) -> Self:
        """Open (creating if needed) the store at ``path`` as it is: no checks, no backups
        (for a copy being made or checked; the device's own store is ``open``)."""
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
        """Close the connection (after a last backup of any change); later calls fail."""
        with self._lock:
            if not self._closed:
                self._flush_pending()
        if self._backups is not None:
            self._backups.close()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- backups and the file itself -----------------------------------------------------------

    def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the whole store to ``target``, atomically and durably
        (SQLite's online backup API; the copy is one self-contained file)."""
        with self._lock:
            copy_database(self._conn, target)

    def backup_now(self) -> bool:
        """Bring ``spotter.db.backup`` up to date if anything changed; True if it is."""
        return self._backups.flush() if self._backups is not None else False

    def check_file(self) -> bool:
        """Notice a store file deleted or replaced under us and write it again from the
        open connection; also retry workouts waiting to be written. True if it was rewritten."""
        with self._lock:
            if self._closed:
                return False
            rewritten = self._watch_file()
            self._flush_pending()
            return rewritten

    # -- routines ---------------------------------------------------------------------------

    def list_routines(self) -> list[StoredRoutine]:
        """Every routine that can be read, in the order they were first stored."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, body, version, updated_at FROM routines ORDER BY rowid"
            ).fetchall()
            return [stored for row in rows if (stored := self._readable(row)) is not None]

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
                # Absent, or a row that could not be read: the edit replaces it.
                old = self._version_of(routine.id)
                return self._put(routine, version=(old or 0) + 1, new=old is None)
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
            for row in self._conn.execute(
                "SELECT id, body, version, updated_at FROM routines ORDER BY rowid"
            ):
                if (stored := self._readable(row)) is not None:
                    return stored
        return None

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
        """The current settings (defaults for anything never changed or unreadable)."""
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM settings").fetchall()
            saved: dict[str, object] = {}
            for key, value in rows:
                try:
                    saved[str(key)] = json.loads(value)
                except (TypeError, ValueError):
                    self._skip(f"setting {key!r}", "its value is not JSON")
        try:
            return parse_settings_changes(saved, Settings())
        except SettingsError as err:
            # A later Spotter narrowed a rule, or the row was damaged: fall back for those keys.
            log.warning("ignoring stored settings that are no longer valid: %s", err)
            kept = {k: v for k, v in saved.items() if not _names_key(err, k)}
            try:
                return parse_settings_changes(kept, Settings())
            except SettingsError:
                return Settings()

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
        """Record a finished workout; returns it with its ``id``.

        A workout is never dropped: when the store cannot take the write (a full disk, a
        read-only or damaged file) it is kept, in memory and in ``spotter.db.pending`` if
        that can be written, and stored by the first write that works (``id`` stays None).
        """
        entry = _checked_entry(entry)
        with self._lock:
            if not self._pending:
                try:
                    with self._transaction():
                        return self._insert_history(entry)
                except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as err:
                    self._write_failed(err)
            self._pending.append(entry)
            self._save_pending()
            self._flush_pending()
            return entry

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
            entries = [e for row in rows if (e := self._readable_history(row)) is not None]
            pending = [e for e in self._pending if _matches(e, profile_id, since)]
        if pending:
            entries = sorted([*entries, *pending], key=lambda e: e.finished_at, reverse=True)
        return entries[: max(0, limit)]

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
            count += sum(
                1
                for e in self._pending
                if e.completed
                and _matches(e, profile_id, since)
                and (routine_id is None or e.routine_id == routine_id)
            )
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
        """The last saved snapshot, or ``None`` (also when it cannot be read)."""
        with self._lock:
            text = self._state(_PROGRESS)
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            self._skip("the saved workout in progress", "it is not JSON")
            return None
        return value if isinstance(value, dict) else None

    def secret(self, name: str, nbytes: int = 32) -> bytes:
        """A random secret made on first use and kept (later calls ignore ``nbytes``)."""
        with self._transaction():
            row = self._conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            if row is not None and isinstance(row[0], bytes) and row[0]:
                value: bytes = row[0]
                return value
            if row is not None:
                self._skip(f"secret {name!r}", "it is not a byte string; made a new one")
            value = secrets.token_bytes(nbytes)
            self._conn.execute(
                "INSERT INTO secrets (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return value

    # -- the file as a whole: backup and restore ----------------------------------------------

    def path(self) -> Path:
        """The database file."""
        with self._lock:
            row = self._conn.execute("PRAGMA database_list").fetchone()
        return Path(row[2])

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
                # The new file is this store's own now, not one that replaced it behind its back.
                self._identity = _identity(path)
        _parse_body.cache_clear()

    # -- internals --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a read-then-write (version check,
        # free id) cannot interleave with another process such as the command line.
        with self._lock:
            self._watch_file()
            if self._pending:
                self._flush_pending()
            before = self._conn.total_changes
            with self._begin():
                yield
            if self._write_warned:
                self._write_warned = False
                log.info("the store takes writes again")
            if self._conn.total_changes != before and self._backups is not None:
                self._backups.changed()

    @contextlib.contextmanager
    def _begin(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            # A full disk fails the COMMIT itself, which leaves the transaction open.
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _write_backup(self) -> None:
        with self._lock:
            if self._closed or self._file is None:
                return
            copy_database(self._conn, self._file.with_name(self._file.name + BACKUP_SUFFIX))

    def _watch_file(self) -> bool:
        if self._file is None or self._identity is None:
            return False
        if _identity(self._file) == self._identity:
            return False
        try:
            self._rewrite_from_memory()
        except (OSError, sqlite3.Error) as err:
            self._write_failed(err)
            return False
        return True

    def _rewrite_from_memory(self) -> None:
        """The file under our name is gone or is another one: our connection still reads
        the one we opened, so it is copied back under the name (a stranger set aside)."""
        assert self._file is not None
        path = self._file
        log.warning("%s was deleted or replaced while Spotter ran; writing it again", path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = path.with_name(path.name + ".rewrite")
        copy_database(self._conn, fresh)
        # Closing the last connection checkpoints into the file we opened and removes its
        # WAL by name: done before the copy takes the name, so no stale WAL meets it.
        self._conn.close()
        if path.exists() or any(path.with_name(path.name + s).exists() for s in SIDE_FILES):
            kept = move_aside(path, "replaced")
            log.warning("the file found there was kept as %s", kept.name)
        fresh.replace(path)
        fsync_dir(path.parent)
        self._conn = _connect(path)
        self._identity = _identity(path)
        if self._backups is not None:
            self._backups.changed()

    def _write_failed(self, err: BaseException) -> None:
        if not self._write_warned:
            self._write_warned = True
            log.warning("the store cannot take writes (%s); keeping them until it can", err)

    def _insert_history(self, entry: HistoryEntry) -> HistoryEntry:
        cursor = self._conn.execute(_INSERT_HISTORY, _history_row(entry))
        return dataclasses.replace(entry, id=cursor.lastrowid)

    def _pending_path(self) -> Path | None:
        return (
            None if self._file is None else self._file.with_name(self._file.name + PENDING_SUFFIX)
        )

    def _save_pending(self) -> None:
        """Keep the waiting workouts on disk too, in case the power goes before the store works."""
        target = self._pending_path()
        if target is None:
            return
        text = "".join(json.dumps(_pending_record(e)) + "\n" for e in self._pending)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            match_owner(partial, target.parent)
            partial.replace(target)
            fsync_dir(target.parent)
        except OSError as err:
            log.info("the waiting workouts are kept in memory only for now: %s", err)
            partial.unlink(missing_ok=True)

    def _flush_pending(self) -> None:
        if not self._pending:
            return
        waiting = list(self._pending)
        self._pending.clear()  # _transaction must not try to flush them again
        try:
            with self._begin():
                for entry in waiting:
                    self._insert_history(entry)
        except (sqlite3.Error, OSError):
            self._pending[:0] = waiting
            return
        log.info("stored %d workout(s) that had been waiting for the store", len(waiting))
        if self._backups is not None:
            self._backups.changed()
        target = self._pending_path()
        if target is not None:
            target.unlink(missing_ok=True)

    def _import_pending(self) -> None:
        """Workouts left waiting by an earlier run (the power went before the store worked)."""
        target = self._pending_path()
        if target is None or not target.exists():
            return
        for line in target.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                self._pending.append(_checked_entry(_from_pending_record(json.loads(line))))
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
                log.warning("skipping a waiting workout that cannot be read: %s", err)
        with self._lock:
            self._flush_pending()
            if not self._pending:
                target.unlink(missing_ok=True)

    def _migrate(self) -> None:
        before: int = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if 0 < before < SCHEMA_VERSION and self._file is not None:
            # Outside the upgrade's transaction: SQLite's backup waits for its write lock.
            keep_copy_before_upgrade(self._conn, self._file, before)
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
            "SELECT id, body, version, updated_at FROM routines WHERE id = ?", (routine_id,)
        ).fetchone()
        return None if row is None else self._readable(row)

    def _version_of(self, routine_id: str) -> int | None:
        """The stored version of a routine's row, readable or not (None: no row)."""
        row = self._conn.execute(
            "SELECT version FROM routines WHERE id = ?", (routine_id,)
        ).fetchone()
        if row is None:
            return None
        return row[0] if isinstance(row[0], int) else 0

    def _readable(self, row: tuple[Any, ...]) -> StoredRoutine | None:
        routine_id, body, version, updated_at = row
        try:
            if not isinstance(version, int) or not isinstance(updated_at, int | float):
                raise TypeError("its version or time is not a number")
            return StoredRoutine(_parse_body(body), version, float(updated_at))
        except (RoutineError, ValueError, TypeError) as err:
            self._skip(f"routine {routine_id!r}", str(err))
            return None

    def _readable_history(self, row: tuple[Any, ...]) -> HistoryEntry | None:
        try:
            return _checked_entry(_history_entry(row))
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            self._skip(f"history row {row[-1]}", str(err) or type(err).__name__)
            return None

    def _skip(self, what: str, why: str) -> None:
        if self._file is None:
            # A copy opened as it is (``open_file``: a backup being checked) must say what
            # it cannot read, not hide it.
            raise ValueError(f"{what}: {why}")
        # Once per row and run: a page polling every second must not flood the log.
        if what not in self._skipped:
            self._skipped.add(what)
            log.warning("skipping %s in the store: %s", what, why)

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


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _create(path: Path) -> None:
    """Make a new store under a temporary name and rename it into place, so an empty
    ``spotter.db`` can only ever mean damage, never a store that was about to be made."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    # The file holds the web secret and PIN hash: readable by its owner only
    # (SQLite gives its -wal and -shm files the same permissions).
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        Store(conn)._migrate()
    finally:
        conn.close()
    fsync_file(partial)
    match_owner(partial, path.parent)
    partial.replace(path)
    fsync_dir(path.parent)


def _recover(path: Path) -> str | None:
    """Set a damaged store aside and put the backup (or nothing: a new store) in its place."""
    problem = check_store_file(path, newest_schema=SCHEMA_VERSION)
    if problem is None:
        return None
    kept = move_aside(path, "damaged")
    log.error("%s failed its check (%s); it was kept as %s", path, problem, kept.name)
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    backup_problem = (
        check_store_file(backup, newest_schema=SCHEMA_VERSION)
        if backup.exists()
        else "there is none"
    )
    if backup_problem is None:
        copy_file(backup, path)
        log.warning("restored the store from its backup %s", backup.name)
        return "restored from its backup"
    log.warning("the backup cannot be used (%s): starting a new store", backup_problem)
    return "made afresh"


def _checked_entry(entry: HistoryEntry) -> HistoryEntry:
    """The entry with the types the table holds; ``TypeError``/``ValueError`` if it has none."""
    for name in ("routine_id", "routine_name"):
        if not isinstance(getattr(entry, name), str):
            raise TypeError(f"its {name} is not text")
    started, finished = float(entry.started_at), float(entry.finished_at)
    if not (math.isfinite(started) and math.isfinite(finished)):
        raise ValueError("its times are not finite")
    counts = []
    for name in ("exercises_done", "sets_done"):
        value = getattr(entry, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise TypeError(f"its {name} is not a whole number")
        counts.append(int(value))
    return dataclasses.replace(
        entry,
        started_at=started,
        finished_at=finished,
        exercises_done=counts[0],
        sets_done=counts[1],
        completed=bool(entry.completed),
    )


_PENDING_DEFAULTS: Final[dict[str, object]] = {
    "profile_id": 1,
    "pain_before": None,
    "pain_after": None,
    "sets_planned": None,
    "set_reps": "[]",
}


def _pending_record(entry: HistoryEntry) -> dict[str, object]:
    """A waiting workout as one JSON object, named by the history table's columns."""
    names = [name.strip() for name in _HISTORY_COLUMNS.split(",")]
    return dict(zip(names, _history_row(entry), strict=True))


def _from_pending_record(record: dict[str, Any]) -> HistoryEntry:
    names = [name.strip() for name in _HISTORY_COLUMNS.split(",")]
    row = [record[n] if n in record else _PENDING_DEFAULTS[n] for n in names]
    return _history_entry((*row, None))


def _matches(entry: HistoryEntry, profile_id: int | None, since: float | None) -> bool:
    return (profile_id is None or entry.profile_id == profile_id) and (
        since is None or entry.finished_at >= since
    )


def _body(routine: Routine) -> str:
    return json.dumps(routine.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _valid(routine: Routine) -> Routine:
    """The routine as a routine file would give it: a ``Routine`` built in code skips the
    rules, so it is put through them before it can reach the file (``RoutineError``)."""
    return parse_routine(routine.to_dict())


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
