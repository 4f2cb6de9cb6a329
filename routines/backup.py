"""Backups of the store and their restore.

A backup is a copy of ``spotter.db`` made with SQLite's online backup API, so it is
consistent even while a workout writes to the store. It leaves out what belongs to
this one device or this moment: the web secret and the workout in progress; and the
PIN hash unless the one asking may see it (deleted with ``secure_delete`` on, so it
is not left behind in a free page either).

A restore checks the file first (size, SQLite's own integrity check, the schema
version), then reads it without trusting it (``routines.upload_reader``) and copies its
data row by row through the API's checks into a fresh store (``routines.restore_copy``),
which must open as the device's own store would, and puts that in place in one rename,
keeping the previous file beside it as ``spotter.db.previous``. Anything wrong with the
file raises ``BackupError`` with the reason; a full card raises ``StorageFull``; either
way nothing changes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from routines.restore_copy import build_store
from routines.schema import SCHEMA_VERSION
from routines.store import Store, StoreVersionError
from routines.upload_reader import MAX_VALUE_BYTES, BackupError, open_upload

__all__ = [
    "MAX_BACKUP_BYTES",
    "PREVIOUS_SUFFIX",
    "BackupError",
    "StorageFull",
    "check_backup",
    "restore_backup",
    "stage_restore",
    "write_backup",
    "writing_to",
]

MAX_BACKUP_BYTES: Final = 16 * 1024 * 1024
PREVIOUS_SUFFIX: Final = ".previous"
_HEADER: Final = b"SQLite format 3\x00"
_PER_DEVICE_STATE: Final = ("progress",)
# Below this much free space, a write that failed with an I/O error failed for want of room.
_NEARLY_FULL: Final = 1024 * 1024


class StorageFull(OSError):
    """The device's storage has no room for the copy; nothing was changed."""


def write_backup(store: Store, destination: Path, *, with_pin: bool) -> None:
    """A consistent copy of ``store`` at ``destination`` (replaced in one rename, fsynced)."""
    destination = destination.resolve()
    with _temporary_beside(destination) as staged, writing_to(destination.parent):
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


def check_backup(path: Path, *, max_bytes: int = MAX_BACKUP_BYTES) -> int:
    """Raise ``BackupError`` unless ``path`` is a whole, sound SQLite file of a schema this
    Spotter knows; returns that schema version."""
    size = path.stat().st_size
    if size > max_bytes:
        raise BackupError(f"the file is {size} bytes; a backup is at most {max_bytes} bytes")
    with path.open("rb") as f:
        if f.read(len(_HEADER)) != _HEADER:
            raise BackupError("the file is not a Spotter backup (not an SQLite database)")
    with open_upload(path) as conn:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                problems = "; ".join(str(r[0]) for r in result[:3])
                raise BackupError("the file is damaged: " + problems)
            version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DataError:
            raise BackupError(
                f"the file holds a value longer than Spotter ever writes (at most "
                f"{MAX_VALUE_BYTES} bytes)"
            ) from None
        except sqlite3.DatabaseError as err:
            raise BackupError(f"the file is damaged: {err}") from None
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"the backup is from a newer Spotter (schema {version}); this one reads up to "
            f"schema {SCHEMA_VERSION}: update Spotter first"
        )
    if version < 1:
        raise BackupError("the file is an SQLite database, but not a Spotter backup")
    return version


def restore_backup(store: Store, upload: Path) -> None:
    """Replace ``store``'s data with the backup at ``upload``; the store stays open.

    This device's web secret is kept, and so is its PIN when the backup holds none.
    """
    target = store.path()
    with _temporary_beside(target) as staged, writing_to(target.parent):
        stage_restore(
            upload, staged, secrets=store.secrets_rows(), pin_hash=store.settings().pin_hash
        )
        store.replace_file(staged, keep_previous=target.with_name(target.name + PREVIOUS_SUFFIX))


def stage_restore(
    upload: Path, staged: Path, *, secrets: list[tuple[str, bytes]], pin_hash: str
) -> None:
    """Write at ``staged`` (an empty file) a fresh store holding the backup's data, checked,
    synced and ready to be renamed into place; ``BackupError`` if the file will not do."""
    version = check_backup(upload)
    with open_upload(upload) as source:
        fresh = sqlite3.connect(staged, isolation_level=None)
        try:
            fresh.execute("PRAGMA journal_mode=DELETE")
            try:
                build_store(source, version, fresh, secrets=secrets, pin_hash=pin_hash)
            except sqlite3.DatabaseError as err:
                if _for_want_of_room(err, staged.parent):
                    raise
                raise BackupError(f"the file's data cannot be read: {err}") from None
        finally:
            fresh.close()
    _check_contents(staged)
    _fsync(staged)


def _check_contents(staged: Path) -> None:
    """Open the fresh store as the device would: everything a start reads must read."""
    try:
        with Store.open_file(staged) as copy:
            # One at a time: a hundred parsed routines together are megabytes.
            for _ in copy.each_routine():
                pass
            copy.profiles()
            copy.current_profile()
            copy.settings()
            copy.history(limit=1)
    except StoreVersionError as err:
        raise BackupError(str(err)) from None
    except ValueError as err:  # a row the device's own reading would skip, named
        raise BackupError(f"the backup holds data this Spotter cannot read: {err}") from None


def _for_want_of_room(err: BaseException, directory: Path) -> bool:
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    name = str(getattr(err, "sqlite_errorname", ""))
    if name == "SQLITE_FULL":
        return True
    if name.startswith("SQLITE_IOERR") or isinstance(err, OSError):
        try:
            return shutil.disk_usage(directory).free < _NEARLY_FULL
        except OSError:
            return False
    return False


@contextlib.contextmanager
def writing_to(directory: Path) -> Iterator[None]:
    """A write that fails because the card is full says so, not that the file is bad."""
    try:
        yield
    except StorageFull:
        raise
    except (OSError, sqlite3.Error) as err:
        if _for_want_of_room(err, directory):
            raise StorageFull(
                errno.ENOSPC, f"the device's storage is full ({err}): free some space first"
            ) from None
        raise


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
