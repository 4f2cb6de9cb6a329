"""Reading an uploaded backup without trusting it: only Spotter's tables and columns.

The file may be anyone's SQLite database. Its schema is only ever parsed, never used: it
is opened read-only and immutable (no journal of its own is replayed, no ``-wal``/``-shm``
is made beside it), ``trusted_schema`` is off, and rows are read with plain SELECTs of
Spotter's own columns from objects that are real tables (a view under a table's name is
refused). A value longer than Spotter ever writes is refused by SQLite before it is read.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from routines import history_rows

# Larger than any value Spotter writes (a routine takes at most 32 KB), small enough that
# one hostile value cannot take the daemon's memory: SQLite refuses to hand it over.
MAX_VALUE_BYTES: Final = 1024 * 1024


class BackupError(ValueError):
    """The file is not a backup this Spotter can restore; the message says why."""


def columns_of(version: int) -> dict[str, tuple[str, ...]]:
    """The tables and columns a backup of schema ``version`` must have."""
    tables = {
        "routines": ("id", "body", "version", "updated_at"),
        "state": ("key", "value"),
        "settings": ("key", "value"),
        "history": (
            "id",
            "routine_id",
            "routine_name",
            "started_at",
            "finished_at",
            "exercises_done",
            "sets_done",
            "completed",
        ),
        "secrets": ("name", "value"),
    }
    if version >= 2:
        tables["profiles"] = ("id", "name", "routine_id", "weekly_goal", "created_at")
    return tables


# Columns a migration added with a default: a file without them reads as that default.
DEFAULTED: Final = {"history": history_rows.DEFAULTS}


@contextlib.contextmanager
def open_upload(path: Path) -> Iterator[sqlite3.Connection]:
    """The uploaded file, open for plain reads only."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as err:
        raise BackupError(f"the file cannot be opened: {err}") from None
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA query_only=ON")
        yield conn
    finally:
        conn.close()


def known_columns(conn: sqlite3.Connection, version: int) -> dict[str, tuple[str, ...]]:
    """The columns to read from each table; ``BackupError`` names a table or column missing."""
    found: dict[str, tuple[str, ...]] = {}
    for table, wanted in columns_of(version).items():
        kind = conn.execute(
            "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (table,)
        ).fetchone()
        if kind is None:
            raise BackupError(f"the file is not a Spotter backup: it has no {table} table")
        if kind[0] != "table" or str(kind[1] or "").upper().startswith("CREATE VIRTUAL"):
            raise BackupError(f"the file's {table} is a {kind[0]}, not a table")
        have = {str(row[1]) for row in conn.execute(f'PRAGMA table_info("{table}")')}
        optional = DEFAULTED.get(table, {})
        for column in wanted:
            if column not in have:
                raise BackupError(f"the file's {table} table has no {column} column")
        found[table] = wanted + tuple(c for c in optional if c in have)
    return found


def rows(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    """Each row of ``table`` as {column: value} (the missing defaulted columns filled in)."""
    defaults = {c: v for c, v in DEFAULTED.get(table, {}).items() if c not in columns}
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')  # noqa: S608
    n = 0
    while True:
        try:
            row = cursor.fetchone()
        except sqlite3.DataError:
            raise BackupError(
                f"row {n + 1} of the {table} table holds a value longer than Spotter ever "
                f"writes (at most {MAX_VALUE_BYTES} bytes)"
            ) from None
        if row is None:
            return
        n += 1
        yield {**defaults, **dict(zip(columns, row, strict=True))}
