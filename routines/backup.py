"""Backups of the store and their restore.

A backup is a copy of ``spotter.db`` made with SQLite's online backup API, so it is
consistent even while a workout writes to the store. It leaves out what belongs to
this one device or this moment: the web secret and the workout in progress; and the
PIN hash unless the one asking may see it (deleted with ``secure_delete`` on, so it
is not left behind in a free page either).

A restore checks the file first (size, SQLite's own integrity check, the schema
version, every routine and setting), then replaces the store in one rename, keeping
the previous file beside it as ``spotter.db.previous``. Anything wrong raises
``BackupError`` with the reason, and nothing changes.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from routines.errors import ValidationError
from routines.schema import SCHEMA_VERSION
from routines.store import Store, StoreVersionError

MAX_BACKUP_BYTES: Final = 16 * 1024 * 1024
PREVIOUS_SUFFIX: Final = ".previous"
_HEADER: Final = b"SQLite format 3\x00"
_TABLES: Final = frozenset({"routines", "state", "settings", "history"})
_PER_DEVICE_STATE: Final = ("progress",)


class BackupError(ValueError):
    """The file is not a backup this Spotter can restore; the message says why."""


def write_backup(store: Store, destination: Path, *, with_pin: bool) -> None:
    """A consistent copy of ``store`` at ``destination`` (replaced in one rename, fsynced)."""
    destination = destination.resolve()
    with _temporary_beside(destination) as staged:
        store.backup_to(staged)
        conn = sqlite3.connect(staged, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("BEGIN")
            conn.execute("DELETE FROM secrets")
            conn.executemany("DELETE FROM state WHERE key = ?", [(k,) for k in _PER_DEVICE_STATE])
            if not with_pin:
                conn.execute("DELETE FROM settings WHERE key = 'pin_hash'")
            conn.execute("COMMIT")
        finally:
            conn.close()
        _durable_replace(staged, destination)


def check_backup(path: Path, *, max_bytes: int = MAX_BACKUP_BYTES) -> None:
    """Raise ``BackupError`` unless ``path`` is a whole, sound backup of a known schema."""
    size = path.stat().st_size
    if size > max_bytes:
        raise BackupError(f"the file is {size} bytes; a backup is at most {max_bytes} bytes")
    with path.open("rb") as f:
        if f.read(len(_HEADER)) != _HEADER:
            raise BackupError("the file is not a Spotter backup (not an SQLite database)")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"the file cannot be opened: {err}") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise BackupError("the file is damaged: " + "; ".join(str(r[0]) for r in result[:3]))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as err:
        raise BackupError(f"the file is damaged: {err}") from None
    finally:
        conn.close()
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"the backup is from a newer Spotter (schema {version}); this one reads up to "
            f"schema {SCHEMA_VERSION}: update Spotter first"
        )
    if version < 1 or not tables >= _TABLES:
        raise BackupError("the file is an SQLite database, but not a Spotter backup")


def restore_backup(store: Store, upload: Path) -> None:
    """Replace ``store``'s data with the backup at ``upload``; the store stays open.

    This device's web secret is kept, and so is its PIN when the backup holds none.
    """
    check_backup(upload)
    target = store.path()
    with _temporary_beside(target) as staged:
        shutil.copyfile(upload, staged)  # not through memory: it may be 16 MiB
        _check_contents(staged)
        conn = sqlite3.connect(staged, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.execute("BEGIN")
            conn.execute("DELETE FROM secrets")
            conn.executemany(
                "INSERT INTO secrets (name, value) VALUES (?, ?)", store.secrets_rows()
            )
            conn.executemany("DELETE FROM state WHERE key = ?", [(k,) for k in _PER_DEVICE_STATE])
            has_pin = conn.execute("SELECT 1 FROM settings WHERE key = 'pin_hash'").fetchone()
            pin_hash = store.settings().pin_hash
            if has_pin is None and pin_hash:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES ('pin_hash', ?)",
                    (f'"{pin_hash}"',),
                )
            conn.execute("COMMIT")
        finally:
            conn.close()
        _fsync(staged)
        store.replace_file(staged, keep_previous=target.with_name(target.name + PREVIOUS_SUFFIX))


def _check_contents(staged: Path) -> None:
    """Open the copy as a store: every routine and every setting must read back."""
    try:
        with Store.open_file(staged) as copy:
            copy.list_routines()
            copy.settings()
            copy.history(limit=1)
    except StoreVersionError as err:
        raise BackupError(str(err)) from None
    except (ValidationError, ValueError, sqlite3.Error) as err:
        raise BackupError(f"the backup holds data this Spotter cannot read: {err}") from None


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A fresh path in ``target``'s directory (same file system: the rename is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    staged = Path(name)
    try:
        yield staged
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{staged}{suffix}").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _durable_replace(staged: Path, destination: Path) -> None:
    _fsync(staged)
    staged.chmod(0o600)
    staged.replace(destination)
    _fsync(destination.parent)
