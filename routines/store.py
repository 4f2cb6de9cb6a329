"""Everything Spotter keeps: one SQLite file, in rooms.

``routines.database`` owns the file (connection, lock, transactions, durability,
migrations); one repository per kind of data reads and writes its own tables:
``repo_routines``, ``repo_profiles``, ``repo_history``, ``repo_settings`` and
``repo_state`` (the workout in progress, the secrets). ``Store`` puts them behind the
one object that the daemon, the web and the command line are handed. Values are checked
before anything is written, so rejected input leaves the file as it was; each committed
write is announced to subscribers by the kinds of data it changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from routines.changes import Data, Listener
from routines.database import (
    BACKUP_INTERVAL,
    DB_NAME,
    Database,
    Keeper,
    StoreBusy,
    StoreVersionError,
)
from routines.model import (
    Answer,
    Dose,
    DoseChange,
    DoseWhy,
    HistoryEntry,
    PersonalDose,
    ProgressionRecords,
    Routine,
    SetReps,
    Suggestion,
)
from routines.profiles import Profile
from routines.repo_doses import DoseRepository
from routines.repo_history import Cursor, HistoryRepository, Totals
from routines.repo_profiles import ProfileInUse, ProfileRepository
from routines.repo_routines import (
    MAX_ID_LEN,
    MAX_ROUTINES,
    ROUTINES_FULL,
    RoutineRepository,
    StoredRoutine,
    VersionConflict,
    parse_body,
    seed_library,
)
from routines.repo_settings import SettingsRepository
from routines.repo_state import ProgressRepository, SecretRepository
from routines.schema import SCHEMA_VERSION
from routines.settings import Settings
from routines.store_backups import BackupThread

# A person's latest workouts read to judge their progress: a run of good or bad ones is
# a few, and a Pi reads 200 in a few milliseconds.
RECORDS_READ = 200

__all__ = [
    "BACKUP_INTERVAL",
    "DB_NAME",
    "MAX_ID_LEN",
    "MAX_ROUTINES",
    "ROUTINES_FULL",
    "SCHEMA_VERSION",
    "HistoryEntry",
    "ProfileInUse",
    "SetReps",
    "Store",
    "StoreBusy",
    "StoreVersionError",
    "StoredRoutine",
    "VersionConflict",
]


class Store:
    """The database and its repositories, shared by the web threads and the daemon worker."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.routines = RoutineRepository(db)
        self.people = ProfileRepository(db, self.routines)
        self.workouts = HistoryRepository(db)
        self.config = SettingsRepository(db)
        self.progress = ProgressRepository(db)
        self.secrets = SecretRepository(db)
        self.dosing = DoseRepository(db, self.routines)

    @classmethod
    def open(cls, data_dir: Path, *, backup_interval: float = BACKUP_INTERVAL) -> Self:
        """Open (creating if needed) ``data_dir/spotter.db``; a new one gets the library.

        A file that fails its check is moved aside (never deleted) and replaced by the
        backup if that passes, else by a new store; ``recovered`` then says what happened.
        """
        return cls(Database.open(data_dir, seed_library, backup_interval=backup_interval))

    @classmethod
    def open_beside(cls, data_dir: Path, keeper: Keeper) -> Self:
        """Open the store a running daemon keeps, from the page's process (see
        ``Database.open_beside``)."""
        return cls(Database.open_beside(data_dir, keeper))

    @classmethod
    def open_file(cls, path: Path) -> Self:
        """Open (creating if needed) the store at ``path`` as it is: no checks, no backups
        (for a copy being made or checked; the device's own store is ``open``)."""
        return cls(Database.open_file(path, seed_library))

    def close(self) -> None:
        """Close the connection (after a last backup of any change); later calls fail."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def recovered(self) -> str | None:
        """Why the store was restored or made afresh at this start (None if it was not)."""
        return self.db.recovered

    # What tests of the file itself reach for: the connection, its rows as plain tuples.
    @property
    def _conn(self) -> _TupleRows:
        return _TupleRows(self.db.conn)

    @property
    def _backups(self) -> BackupThread | None:
        return self.db.backups

    @_backups.setter
    def _backups(self, value: BackupThread | None) -> None:
        self.db.backups = value

    # -- the file ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Have ``listener`` told the kinds of data each committed write changed."""
        return self.db.subscribe(listener)

    def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the whole store to ``target``, atomically and durably."""
        self.db.backup_to(target)

    def backup_now(self) -> bool:
        """Bring ``spotter.db.backup`` up to date if anything changed; True if it is."""
        return self.db.backup_now()

    def check_file(self) -> bool:
        """Rewrite a file deleted or replaced under us; retry waiting workouts."""
        return self.db.check_file()

    def noticed(self, changes: frozenset[Data]) -> None:
        """The page's process committed ``changes``: tell this store's subscribers."""
        self.db.noticed(changes)

    def revision(self) -> tuple[int, int, int, int]:
        """Changes whenever anything stored may have (``Database.revision``): a page worked
        out from the store may be kept as long as this stays the same."""
        return self.db.revision()

    def path(self) -> Path:
        return self.db.path()

    def claim_alone(self) -> None:
        self.db.claim_alone()

    def replace_file(self, staged: Path, *, keep_previous: Path) -> None:
        """Put ``staged`` (a checked store file) in place of this store's file."""
        self.db.replace_file(staged, keep_previous=keep_previous)
        parse_body.cache_clear()

    # -- routines ---------------------------------------------------------------------------

    def list_routines(self) -> list[StoredRoutine]:
        return self.routines.all()

    def each_routine(self) -> Iterator[StoredRoutine]:
        return self.routines.each()

    def get_routine(self, routine_id: str) -> StoredRoutine | None:
        return self.routines.get(routine_id)

    def create_routine(self, routine: Any) -> StoredRoutine:
        return self.routines.create(routine)

    def save_routine(self, routine: Any, *, expected_version: int | None = None) -> StoredRoutine:
        return self.routines.save(routine, expected_version=expected_version)

    def delete_routine(self, routine_id: str) -> bool:
        return self.routines.delete(routine_id)

    def active_routine(self, profile_id: int | None = None) -> StoredRoutine | None:
        return self.people.active_routine(profile_id)

    def set_active_routine(self, routine_id: str, profile_id: int | None = None) -> None:
        self.people.set_active_routine(routine_id, profile_id)

    # -- profiles ---------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        return self.people.all()

    def get_profile(self, profile_id: int) -> Profile | None:
        return self.people.get(profile_id) if profile_id is not None else None

    def current_profile(self) -> Profile:
        return self.people.current()

    def set_current_profile(self, profile_id: int) -> Profile:
        return self.people.set_current(profile_id)

    def create_profile(self, fields: Mapping[str, Any]) -> Profile:
        return self.people.create(fields)

    def update_profile(self, profile_id: int, fields: Mapping[str, Any]) -> Profile:
        return self.people.update(profile_id, fields)

    def delete_profile(self, profile_id: int, *, with_history: bool) -> int:
        return self.people.delete(profile_id, with_history=with_history)

    def clicker_owners(self) -> dict[str, int]:
        return self.people.clicker_owners()

    def set_clicker(self, profile_id: int, clicker: str | None) -> None:
        self.people.set_clicker(profile_id, clicker)

    # -- settings ---------------------------------------------------------------------------

    def settings(self) -> Settings:
        return self.config.get()

    def update_settings(self, changes: Mapping[str, object]) -> Settings:
        return self.config.update(changes)

    # -- history ----------------------------------------------------------------------------

    def add_history(self, entry: HistoryEntry) -> HistoryEntry:
        return self.workouts.add(entry)

    def history(
        self, limit: int = 100, *, profile_id: int | None = None, since: float | None = None
    ) -> list[HistoryEntry]:
        return self.workouts.latest(limit, profile_id=profile_id, since=since)

    def history_page(
        self, limit: int, *, profile_id: int | None = None, before: Cursor | None = None
    ) -> tuple[list[HistoryEntry], Cursor | None]:
        return self.workouts.page(limit, profile_id=profile_id, before=before)

    def history_oldest_first(self, *, profile_id: int | None = None) -> Iterator[HistoryEntry]:
        return self.workouts.oldest_first(profile_id=profile_id)

    def history_totals(
        self,
        *,
        profile_id: int | None = None,
        since: float | None = None,
        until: float | None = None,
        minutes: bool = True,
    ) -> Totals:
        return self.workouts.totals(
            profile_id=profile_id, since=since, until=until, minutes=minutes
        )

    def completed_per_span(self, bounds: Sequence[float], *, profile_id: int) -> list[int]:
        return self.workouts.completed_per_span(bounds, profile_id=profile_id)

    def checkins(self, limit: int, *, profile_id: int, since: float) -> list[HistoryEntry]:
        return self.workouts.checkins(limit, profile_id=profile_id, since=since)

    def sessions_since(
        self,
        since: float,
        routine_id: str | None = None,
        *,
        profile_id: int | None = None,
        until: float | None = None,
    ) -> int:
        return self.workouts.count_since(since, routine_id, profile_id=profile_id, until=until)

    def workouts_per_profile(self) -> dict[int, int]:
        return self.workouts.per_profile()

    def set_pain(self, entry_id: int, moment: str, score: int) -> HistoryEntry:
        return self.workouts.set_pain(entry_id, moment, score)

    # -- each person's doses ------------------------------------------------------------------

    def doses(self, profile_id: int, routine_id: str) -> dict[str, PersonalDose]:
        """The person's stored doses of a routine by exercise name; use ``routine_at_dose``
        for what they do (a dose an edit of the routine made stale is not applied)."""
        return self.dosing.of(profile_id, routine_id)

    def routine_at_dose(self, profile_id: int, routine_id: str) -> Routine | None:
        """The routine as the person does it now: their doses over the file's."""
        return self.dosing.routine_at_dose(profile_id, routine_id)

    def set_dose(
        self,
        profile_id: int,
        routine_id: str,
        exercise: str,
        dose: Dose,
        *,
        why: DoseWhy,
        at: float | None = None,
    ) -> PersonalDose:
        """Give the person a dose of an exercise (why: accepted, phone, owner or undo) and
        log it; ``DoseError`` names a bad exercise or value."""
        return self.dosing.set(profile_id, routine_id, exercise, dose, why=why, at=at)

    def set_dose_locked(
        self, profile_id: int, routine_id: str, exercise: str, locked: bool
    ) -> None:
        """The owner keeps the person's dose of an exercise as it is (or frees it)."""
        self.dosing.set_locked(profile_id, routine_id, exercise, locked)

    def dose_changes(
        self, profile_id: int, routine_id: str | None = None, *, since: float | None = None
    ) -> list[DoseChange]:
        """The person's dose changes, oldest first (the History page's dose line)."""
        return self.dosing.changes(profile_id, routine_id, since=since)

    def suggest_dose(self, suggestion: Suggestion) -> Suggestion:
        """Keep a change offered after a workout; returns it with its id."""
        return self.dosing.suggest(suggestion)

    def dose_suggestions(
        self, profile_id: int, routine_id: str | None = None, *, answer: Answer | None = "pending"
    ) -> list[Suggestion]:
        """The person's offers, newest first: pending by default, all with ``answer=None``."""
        return self.dosing.suggestions(profile_id, routine_id, answer=answer)

    def answer_suggestion(
        self,
        suggestion_id: int,
        answer: Answer,
        *,
        via: DoseWhy = "accepted",
        at: float | None = None,
    ) -> Suggestion:
        """Accept (the dose changes; ``via="phone"`` from the phone page) or decline an
        offer; an offer whose dose moved meanwhile comes back expired."""
        return self.dosing.answer(suggestion_id, answer, via=via, at=at)

    def progression_records(self, profile_id: int, routine_id: str) -> ProgressionRecords:
        """What the engine judges the person's progress in a routine by."""
        workouts = tuple(
            e
            for e in self.history(RECORDS_READ, profile_id=profile_id)
            if e.routine_id == routine_id
        )
        return ProgressionRecords(
            doses=self.doses(profile_id, routine_id),
            changes=tuple(self.dose_changes(profile_id, routine_id)),
            workouts=workouts,
            enabled=self.settings().progression,
            offers=tuple(self.dose_suggestions(profile_id, routine_id, answer=None)),
        )

    # -- the workout in progress, secrets ------------------------------------------------------

    def save_progress(self, snapshot: Mapping[str, Any] | None) -> None:
        self.progress.save(snapshot)

    def load_progress(self) -> dict[str, Any] | None:
        return self.progress.load()

    def secret(self, name: str, nbytes: int = 32) -> bytes:
        return self.secrets.get(name, nbytes)

    def secrets_rows(self) -> list[tuple[str, bytes]]:
        return self.secrets.rows()


class _TupleRows:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql, params)
