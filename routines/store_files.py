"""The store's files on disk: checking one, setting a damaged one aside, durable copies.

Nothing here ever deletes a store: a file that fails its check is renamed with the
time it was found, so whatever it still holds can be rescued by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

BACKUP_SUFFIX: Final = ".backup"
PENDING_SUFFIX: Final = ".pending"
# SQLite keeps these beside a WAL database; they belong to it and move with it.
SIDE_FILES: Final = ("-wal", "-shm")


def match_owner(path: Path, like: Path) -> None:
    """Give ``path`` the owner of ``like`` when root writes it: root running a command on
    the service's data must not leave files that the service cannot replace or delete."""
    if os.geteuid() != 0:
        return
    try:
        owner = like.stat()
        if path.stat().st_uid != owner.st_uid:
            os.chown(path, owner.st_uid, owner.st_gid)
    except OSError as err:
        log.info("could not give %s the owner of %s: %s", path.name, like, err)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_store_file(path: Path, *, newest_schema: int) -> str | None:
    """What is wrong with the SQLite file at ``path``, or None if it reads as a whole.

    A missing file is fine (a new store). An empty one is not: SQLite would take it
    for a new store, but on an SD card it is what a power cut leaves of a real one.
    A schema newer than ``newest_schema`` is not damage and passes (the caller refuses it).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size == 0:
        return "the file is empty"
    try:
        # Read-write on purpose: a read-only open cannot replay a WAL left by a power cut.
        conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    except sqlite3.Error as err:
        return f"it cannot be opened ({err})"
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        problems = [str(row[0]) for row in rows if row[0] != "ok"]
        if problems:
            return f"its check found {len(problems)} problem(s), the first: {problems[0]}"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version <= newest_schema:
            tables = {
                row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            needed = {"routines", "state", "settings", "history", "secrets"}
            if version >= 2:
                needed.add("profiles")  # what schema 2 made: no start gets far without it
            missing = needed - tables
            if missing:
                return f"its tables {', '.join(sorted(missing))} are missing"
    except sqlite3.Error as err:
        return f"it cannot be read ({err})"
    finally:
        conn.close()
    return None


def aside_name(path: Path, why: str, now: float | None = None) -> Path:
    """``spotter.db.damaged-20260105T101500Z``: a name beside ``path`` no file has yet."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    base = path.with_name(f"{path.name}.{why}-{stamp}")
    candidate, n = base, 1
    while any(candidate.with_name(candidate.name + s).exists() for s in ("", *SIDE_FILES)):
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def move_aside(path: Path, why: str) -> Path:
    """Rename ``path`` and its WAL files to a timestamped name beside it; returns the name."""
    target = aside_name(path, why)
    for suffix in SIDE_FILES:
        # The WAL first: the database must never sit under its name with a stranger's WAL.
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    if path.exists():
        path.replace(target)
    fsync_dir(path.parent)
    return target


def copy_database(source: sqlite3.Connection, target: Path) -> None:
    """Write a consistent copy of ``source`` to ``target`` atomically and durably.

    SQLite's online backup API copies what the connection sees (its WAL included) as
    of one moment; the copy is a single file (no WAL), synced, then renamed into place.
    """
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        # Private from the first byte: the store holds the web secret and the PIN's hash.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        fsync_file(partial)
        match_owner(partial, target.parent)
        partial.replace(target)
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def copy_file(source: Path, target: Path) -> None:
    """Copy a database file (no WAL) to ``target`` atomically and durably."""
    conn = sqlite3.connect(source, isolation_level=None)
    try:
        copy_database(conn, target)
    finally:
        conn.close()


# What a backup, restore or copy that was cut short leaves in the data directory: SQLite
# temporaries of an upload or a staged store, and their journals.
LEFTOVER_PREFIXES: Final = (".upload-", "..upload-", ".spotter.db.", "..spotter.db.")
LEFTOVER_NAMES: Final = (
    "spotter.db.backup.partial",
    "spotter.db.backup-new",
    "spotter.db.backup-new.partial",
    "spotter.db.new",
    "spotter.db.rewrite",
    "spotter.db.rewrite.partial",
    "spotter.db.restoring",
)


def remove_leftovers(directory: Path) -> list[str]:
    """Delete what interrupted copies left in ``directory`` (at start, before anything can
    be making one); returns the names removed."""
    removed = []
    try:
        names = [p.name for p in directory.iterdir()]
    except OSError:
        return []
    for name in names:
        base = name.removesuffix("-wal").removesuffix("-shm").removesuffix("-journal")
        if base.startswith(LEFTOVER_PREFIXES) or base in LEFTOVER_NAMES:
            with contextlib.suppress(OSError):
                (directory / name).unlink()
                removed.append(name)
    if removed:
        log.info("removed what an interrupted copy left: %s", ", ".join(sorted(removed)))
    return removed


def recover_store_file(path: Path, *, newest_schema: int) -> str | None:
    """Set a damaged file aside and put the backup (or nothing: a new file) in its place."""
    problem = check_store_file(path, newest_schema=newest_schema)
    if problem is None:
        return None
    kept = move_aside(path, "damaged")
    log.error("%s failed its check (%s); it was kept as %s", path, problem, kept.name)
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    backup_problem = (
        check_store_file(backup, newest_schema=newest_schema)
        if backup.exists()
        else "there is none"
    )
    if backup_problem is None:
        copy_file(backup, path)
        log.warning("restored the store from its backup %s", backup.name)
        return "restored from its backup"
    log.warning("the backup cannot be used (%s): starting a new store", backup_problem)
    return "made afresh"
