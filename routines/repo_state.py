"""The small things kept beside the tables' data: the workout in progress and the
device's secrets, and the ``state`` table's key-value rows they and others use."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from routines.changes import Data
from routines.database import Database

_PROGRESS: Final = "progress"


class ProgressRepository:
    """The engine's snapshot of a workout under way, for a resume after a power cut."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, snapshot: Mapping[str, Any] | None) -> None:
        """Keep the snapshot; ``None`` clears it."""
        # Serialised first: a value JSON cannot hold raises before anything is written.
        text = None if snapshot is None else json.dumps(dict(snapshot), allow_nan=False)
        with self._db.transaction(Data.PROGRESS) as conn:
            if text is None:
                conn.execute("DELETE FROM state WHERE key = ?", (_PROGRESS,))
            else:
                write_state(conn, _PROGRESS, text)

    def load(self) -> dict[str, Any] | None:
        """The last saved snapshot, or ``None`` (also when it cannot be read)."""
        with self._db.lock:
            text = read_state(self._db.conn, _PROGRESS)
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            self._db.skip("the saved workout in progress", "it is not JSON")
            return None
        return value if isinstance(value, dict) else None


class SecretRepository:
    """Random secrets made on this device (the web session key), kept across restores."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, name: str, nbytes: int = 32) -> bytes:
        """A random secret made on first use and kept (later calls ignore ``nbytes``)."""
        with self._db.transaction(Data.SECRETS) as conn:
            row = conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
            if row is not None and isinstance(row["value"], bytes) and row["value"]:
                value: bytes = row["value"]
                return value
            if row is not None:
                self._db.skip(f"secret {name!r}", "it is not a byte string; made a new one")
            import secrets

            value = secrets.token_bytes(nbytes)
            conn.execute(
                "INSERT INTO secrets (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )
            return value

    def rows(self) -> list[tuple[str, bytes]]:
        """Every secret, to carry over into restored data."""
        with self._db.lock:
            return [
                (row["name"], row["value"])
                for row in self._db.conn.execute("SELECT name, value FROM secrets")
            ]


def read_state(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row["value"])


def write_state(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
