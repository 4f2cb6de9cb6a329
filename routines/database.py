"""The SQLite file that everything Spotter keeps lives in, and what keeps it alive.

One connection behind one lock, shared by the web threads and the daemon worker. Writes
are whole transactions (WAL, ``synchronous=FULL``: a committed one survives a pulled
plug), each announced to subscribers by the kinds of data it changed. The schema is
versioned (``routines.schema``); an older file is upgraded in place on first open.

It also guards against the card itself: the file is copied to ``spotter.db.backup``
after changes (at most once a minute, on its own thread); a file that fails its check
at start is set aside and the backup (or a fresh file) takes its place; a file deleted
or replaced under a running Spotter is written again from the open connection; and
finished workouts that cannot be written yet wait in ``routines.pending_workouts``.
What is in the tables is the repositories' business (``routines.store``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, Protocol

from routines.changes import EVERYTHING, REPLACED_FILE, Data, Listener
from routines.pending_workouts import PendingWorkouts
from routines.pre_upgrade import keep_copy_before_upgrade
from routines.schema import SCHEMA_VERSION, create, upgrade
from routines.store_backups import BackupThread
from routines.store_files import (
    BACKUP_SUFFIX,
    PENDING_SUFFIX,
    SIDE_FILES,
    check_store_file,
    copy_database,
    fsync_dir,
    fsync_file,
    match_owner,
    move_aside,
    recover_store_file,
)

log = logging.getLogger(__name__)

DB_NAME: Final = "spotter.db"
# How often, at most, the file is copied to its backup while it is being changed.
BACKUP_INTERVAL: Final = 60.0

# Fills a brand-new file (the shipped routines), inside the transaction that makes it.
Seed = Callable[[sqlite3.Connection], None]


class Keeper(Protocol):
    """The process that keeps the file (the daemon), as another process reaches it."""

    def replace_store(self, staged: Path, keep_previous: Path) -> None:
        """Put ``staged`` in place of the file (``Database.replace_file``) over there."""
        ...


class StoreBusy(RuntimeError):
    """Another process has the store open."""


class StoreVersionError(RuntimeError):
    """The database was written by a newer Spotter whose schema this one does not know."""


class Database:
    """The connection, its lock, transactions and the file's durability."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path | None = None,
        *,
        backup_interval: float = BACKUP_INTERVAL,
        recovered: str | None = None,
        keeper: Keeper | None = None,
    ) -> None:
        conn.row_factory = sqlite3.Row
        # Set in a process that uses the file beside the daemon: the daemon keeps it.
        self.keeper = keeper
        self.conn = conn
        self.lock = threading.RLock()
        self._backup_lock = threading.Lock()
        self.closed = False
        self.file = path
        self.recovered = recovered
        """Why the file was restored or made afresh at this start (None if it was not)."""
        self._identity = _identity(path) if path is not None else None
        # Counts the connections this one has replaced (a file restored or rewritten): a
        # new connection's counters start again, so ``revision`` tells the two apart.
        self._generation = 0
        self._skipped: set[str] = set()
        self._write_warned = False
        self._listeners: list[Listener] = []
        self._seen_version = self._data_version()
        self.pending = PendingWorkouts(
            None if path is None else path.with_name(path.name + PENDING_SUFFIX)
        )
        self.backups = (
            BackupThread(self._write_backup, self.check_file, interval=backup_interval)
            if path is not None and keeper is None
            else None
        )

    @classmethod
    def open(
        cls, data_dir: Path, seed: Seed, *, backup_interval: float = BACKUP_INTERVAL
    ) -> Database:
        """Open (creating if needed) ``data_dir/spotter.db``; a new one is ``seed``-ed.

        A file that fails its check is moved aside (never deleted) and replaced by the
        backup if that passes, else by a new file; ``recovered`` then says what happened.
        """
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = data_dir / DB_NAME
        recovered = recover_store_file(path, newest_schema=SCHEMA_VERSION)
        if not path.exists():
            _create(path, seed)
        conn = _connect(path)
        try:
            db = cls(conn, path, backup_interval=backup_interval, recovered=recovered)
            db.migrate(seed)
            db.pending.load()
            with db.lock:
                db.flush_pending()
        except BaseException:
            conn.close()
            raise
        return db

    @classmethod
    def open_beside(cls, data_dir: Path, keeper: Keeper) -> Database:
        """Open the file the daemon keeps, from another of Spotter's processes (the page's):
        no recovery, upgrade, backups or waiting workouts here, and a file replaced under
        this connection is the daemon's doing (a restore), so it is read again, never
        written back; a restore from here is done by ``keeper``."""
        path = data_dir / DB_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{path} is not there (the daemon makes it at its start)")
        conn = _connect(path)
        try:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise StoreVersionError(
                    f"the data has schema {version}; this Spotter reads {SCHEMA_VERSION}"
                )
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, keeper=keeper)

    @classmethod
    def open_file(cls, path: Path, seed: Seed) -> Database:
        """Open (creating if needed) the file at ``path`` as it is: no checks, no backups."""
        # The file holds the web secret and PIN hash: create it readable by its owner only
        # (SQLite gives its -wal and -shm files the same permissions).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = _connect(path)
        try:
            db = cls(conn)
            db.migrate(seed)
        except BaseException:
            conn.close()
            raise
        return db

    def close(self) -> None:
        """Close the connection (after a last backup of any change); later calls fail."""
        with self.lock:
            if not self.closed and self.keeper is None:
                self.flush_pending()
        if self.backups is not None:
            self.backups.close()
        with self.lock:
            if not self.closed:
                self.closed = True
                self.conn.close()

    # -- announcing changes -----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Have ``listener`` told the kinds of data each committed write changed (also what
        another program committed, noticed at the next write or file check); returns the
        call that stops it."""
        with self.lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self.lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def announce(self, changes: frozenset[Data]) -> None:
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                # A listener's fault must not undo or fail a write that is committed.
                log.exception("a listener failed on a change to %s", sorted(changes))

    # -- transactions -------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self, *changes: Data) -> Iterator[sqlite3.Connection]:
        """One write of ``changes``' kinds of data, announced once committed."""
        # IMMEDIATE takes the write lock up front, so a read-then-write (version check,
        # free id) cannot interleave with another process such as the command line.
        with self.lock:
            self._watch_file()
            self._notice_others()
            before = self.conn.total_changes
            with self._begin():
                yield self.conn
            if self._write_warned:
                self._write_warned = False
                log.info("the store takes writes again")
            if self.conn.total_changes != before:
                if self.backups is not None:
                    self.backups.changed()
                self.announce(frozenset(changes))

    @contextlib.contextmanager
    def _begin(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            # A full disk fails the COMMIT itself, which leaves the transaction open.
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def write_failed(self, err: BaseException) -> None:
        if not self._write_warned:
            self._write_warned = True
            log.warning("the store cannot take writes (%s); keeping them until it can", err)

    def skip(self, what: str, why: str) -> None:
        """A row that cannot be read is skipped and logged once, not raised."""
        if self.file is None:
            # A copy opened as it is (``open_file``: a backup being checked) must say what
            # it cannot read, not hide it.
            raise ValueError(f"{what}: {why}")
        # Once per row and run: a page polling every second must not flood the log.
        if what not in self._skipped:
            self._skipped.add(what)
            log.warning("skipping %s in the store: %s", what, why)

    # -- workouts waiting for the file ----------------------------------------------------------

    def flush_pending(self) -> None:
        """Store the workouts waiting for the file, if it takes writes now (lock held)."""
        if not self.pending.entries:
            return
        if self.pending.flush(self._begin, self.conn):
            if self.backups is not None:
                self.backups.changed()
            self.announce(frozenset({Data.HISTORY}))

    # -- the file as a whole --------------------------------------------------------------------

    def check_file(self) -> bool:
        """Notice a file deleted or replaced under us and write it again from the open
        connection; notice another program's writes; retry workouts waiting to be written.
        True if it was rewritten."""
        with self.lock:
            if self.closed:
                return False
            rewritten = self._watch_file()
            self._notice_others()
            self.flush_pending()
            return rewritten

    def backup_to(self, target: Path) -> None:
        """Write a consistent copy of the whole file to ``target``, atomically and durably."""
        with self.lock:
            copy_database(self.conn, target)

    def backup_now(self) -> bool:
        """Bring ``spotter.db.backup`` up to date if anything changed; True if it is."""
        return self.backups.flush() if self.backups is not None else False

    def path(self) -> Path:
        """The database file."""
        with self.lock:
            row = self.conn.execute("PRAGMA database_list").fetchone()
        return Path(row["file"])

    def claim_alone(self) -> None:
        """Make sure no other process (a running Spotter) has the file open, and keep it
        that way until closed; ``StoreBusy`` otherwise."""
        with self.lock:
            self.conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            try:
                self.conn.execute("BEGIN EXCLUSIVE")
                self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                self.conn.execute("COMMIT")
            except sqlite3.OperationalError:
                self.conn.execute("PRAGMA locking_mode=NORMAL")
                raise StoreBusy("another program (a running Spotter) is using the data") from None

    def replace_file(self, staged: Path, *, keep_previous: Path) -> None:
        """Put ``staged`` (a checked store file) in place of this file in one rename,
        hard-linking the old one as ``keep_previous``; the new data is read at once."""
        if self.keeper is not None:
            self.keeper.replace_store(staged, keep_previous)
            with self.lock:
                assert self.file is not None
                self.conn.close()
                self._reconnect(self.file)
            return
        with self.lock:
            path = self.path()
            # An empty WAL: nothing of the old data can be replayed onto the new file.
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
            try:
                keep_previous.unlink(missing_ok=True)
                os.link(path, keep_previous)
                staged.replace(path)
                fsync_dir(path.parent)
            finally:
                self._reconnect(path)
            self.announce(REPLACED_FILE)

    def migrate(self, seed: Seed) -> None:
        before: int = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if 0 < before < SCHEMA_VERSION and self.file is not None:
            # Outside the upgrade's transaction: SQLite's backup waits for its write lock.
            keep_copy_before_upgrade(self.conn, self.file, before)
        with self.transaction() as conn:
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreVersionError(
                    f"the data was written by a newer Spotter (schema {version}); "
                    f"this one reads schema {SCHEMA_VERSION}"
                )
            if version == 0:
                create(conn, time.time())
                # Seeded only here, in a brand-new file: a routine the user deleted
                # must not come back at the next start.
                seed(conn)
            elif version < SCHEMA_VERSION:
                log.info("upgrading the store from schema %d to %d", version, SCHEMA_VERSION)
                upgrade(conn, version, time.time())

    # -- internals --------------------------------------------------------------------------

    def _reconnect(self, path: Path) -> None:
        self.conn = _connect(path)
        self._generation += 1
        # The file is this connection's own now, not one that replaced it behind its back.
        self._identity = _identity(path)
        self._seen_version = self._data_version()

    def _notice_others(self) -> None:
        """Announce what another connection (the command line) committed since we looked.
        Beside the daemon, nothing here holds what others write: only own writes count."""
        version = self._data_version()
        if version != self._seen_version:
            self._seen_version = version
            if self.keeper is None:
                self.announce(EVERYTHING)

    def noticed(self, changes: frozenset[Data]) -> None:
        """Another of Spotter's processes (the page's) says which kinds of data it has just
        committed: announce those, not everything. A command line's write that fell in the
        same moment is folded in unannounced; its next one is seen as usual."""
        with self.lock:
            if self.closed:
                return
            self._seen_version = self._data_version()
        self.announce(changes)

    def revision(self) -> tuple[int, int, int, int]:
        """A mark that is the same only while nothing a read returns can have changed: the
        connection, what other connections committed, this one's own writes and the
        workouts waiting for the file. Taken before a read, it names what the read saw."""
        with self.lock:
            return (
                self._generation,
                self._data_version(),
                self.conn.total_changes,
                len(self.pending.entries),
            )

    def _data_version(self) -> int:
        # Changes only when another connection commits to the file, never for our own.
        version: int = self.conn.execute("PRAGMA data_version").fetchone()[0]
        return version

    def _write_backup(self) -> None:
        if self.file is None:
            return
        target = self.file.with_name(self.file.name + BACKUP_SUFFIX)
        candidate = self.file.with_name(self.file.name + BACKUP_SUFFIX + "-new")
        # One copy at a time (the thread's and a flush as Spotter stops share the name).
        with self._backup_lock:
            with self.lock:
                if self.closed:
                    return
                copy_database(self.conn, candidate)
            # Checked as a start would check it, outside the store's lock (no press waits
            # for it): a store Spotter could not start with never replaces the last backup.
            problem = check_store_file(candidate, newest_schema=SCHEMA_VERSION)
            if problem is not None:
                candidate.unlink(missing_ok=True)
                raise RuntimeError(
                    f"the store fails its check ({problem}); the last backup is kept"
                )
            candidate.replace(target)
            fsync_dir(target.parent)

    def _watch_file(self) -> bool:
        if self.file is None or self._identity is None:
            return False
        if _identity(self.file) == self._identity:
            return False
        if self.keeper is not None:
            if _identity(self.file) is not None:  # the daemon's restore: read the new file
                self.conn.close()
                self._reconnect(self.file)
            return False
        try:
            self._rewrite_from_memory()
        except (OSError, sqlite3.Error) as err:
            self.write_failed(err)
            return False
        return True

    def _rewrite_from_memory(self) -> None:
        """The file under our name is gone or is another one: our connection still reads
        the one we opened, so it is copied back under the name (a stranger set aside)."""
        assert self.file is not None
        path = self.file
        log.warning("%s was deleted or replaced while Spotter ran; writing it again", path)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = path.with_name(path.name + ".rewrite")
        copy_database(self.conn, fresh)
        # Closing the last connection checkpoints into the file we opened and removes its
        # WAL by name: done before the copy takes the name, so no stale WAL meets it.
        self.conn.close()
        if path.exists() or any(path.with_name(path.name + s).exists() for s in SIDE_FILES):
            kept = move_aside(path, "replaced")
            log.warning("the file found there was kept as %s", kept.name)
        fresh.replace(path)
        fsync_dir(path.parent)
        self._reconnect(path)
        if self.backups is not None:
            self.backups.changed()


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
    conn.row_factory = sqlite3.Row
    return conn


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _create(path: Path, seed: Seed) -> None:
    """Make a new file under a temporary name and rename it into place, so an empty
    ``spotter.db`` can only ever mean damage, never a store that was about to be made."""
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    # The file holds the web secret and PIN hash: readable by its owner only
    # (SQLite gives its -wal and -shm files the same permissions).
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(partial, isolation_level=None)
    try:
        Database(conn).migrate(seed)
    finally:
        conn.close()
    fsync_file(partial)
    match_owner(partial, path.parent)
    partial.replace(path)
    fsync_dir(path.parent)
