"""The store's tables, by schema version, and the steps that upgrade one version to the next.

A new store is made as schema 1 and then upgraded like any old one, so the upgrade path
is the one every store takes and never a path only old devices see. The caller runs all
of it inside one transaction: a power cut part-way leaves the file as it was before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final

SCHEMA_VERSION: Final = 3

# The name the first profile gets in a new or upgraded store; the page can rename it.
FIRST_PROFILE_NAME: Final = "Me"

SCHEMA_1: Final = (
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


def _to_2(conn: sqlite3.Connection, now: float) -> None:
    """Profiles, and pain check-ins and planned/done counts on each workout.

    Everything that existed belongs to the first profile, which takes over the active
    routine (each profile now has its own)."""
    conn.execute(
        """CREATE TABLE profiles (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            routine_id TEXT,
            weekly_goal INTEGER,
            created_at REAL NOT NULL)"""
    )
    conn.execute(
        "INSERT INTO profiles (id, name, routine_id, created_at) "
        "VALUES (1, ?, (SELECT value FROM state WHERE key = 'active_routine'), ?)",
        (FIRST_PROFILE_NAME, now),
    )
    conn.execute("DELETE FROM state WHERE key = 'active_routine'")
    conn.execute("INSERT INTO state (key, value) VALUES ('profile', '1')")
    for column in (
        "profile_id INTEGER NOT NULL DEFAULT 1",
        "pain_before INTEGER",
        "pain_after INTEGER",
        "sets_planned INTEGER",
        "set_reps TEXT NOT NULL DEFAULT '[]'",
    ):
        conn.execute(f"ALTER TABLE history ADD COLUMN {column}")
    conn.execute("CREATE INDEX history_profile ON history (profile_id, finished_at)")


def _to_3(conn: sqlite3.Connection, now: float) -> None:
    """Each person's dose of each exercise that has progression rules, the changes made
    to it, and the changes offered after a workout. Nobody has a dose yet: everyone
    starts from the routine file."""
    conn.execute(
        """CREATE TABLE doses (
            profile_id INTEGER NOT NULL,
            routine_id TEXT NOT NULL,
            exercise TEXT NOT NULL,
            sets INTEGER NOT NULL,
            reps INTEGER,
            hold_seconds INTEGER,
            start_sets INTEGER NOT NULL,
            start_reps INTEGER,
            start_hold_seconds INTEGER,
            locked INTEGER NOT NULL DEFAULT 0,
            changed_at REAL,
            PRIMARY KEY (profile_id, routine_id, exercise))"""
    )
    conn.execute(
        """CREATE TABLE dose_changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            profile_id INTEGER NOT NULL,
            routine_id TEXT NOT NULL,
            exercise TEXT NOT NULL,
            sets INTEGER NOT NULL,
            reps INTEGER,
            hold_seconds INTEGER,
            at REAL NOT NULL,
            why TEXT NOT NULL)"""
    )
    conn.execute("CREATE INDEX dose_changes_profile ON dose_changes (profile_id, routine_id, at)")
    conn.execute(
        """CREATE TABLE dose_suggestions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            profile_id INTEGER NOT NULL,
            routine_id TEXT NOT NULL,
            exercise TEXT NOT NULL,
            direction TEXT NOT NULL,
            from_sets INTEGER NOT NULL,
            from_reps INTEGER,
            from_hold_seconds INTEGER,
            to_sets INTEGER NOT NULL,
            to_reps INTEGER,
            to_hold_seconds INTEGER,
            made_at REAL NOT NULL,
            answer TEXT NOT NULL DEFAULT 'pending',
            answered_at REAL)"""
    )
    conn.execute("CREATE INDEX dose_suggestions_profile ON dose_suggestions (profile_id, answer)")


# UPGRADES[n] turns schema n + 1 into schema n + 2.
UPGRADES: Final[tuple[Callable[[sqlite3.Connection, float], None], ...]] = (_to_2, _to_3)
assert len(UPGRADES) == SCHEMA_VERSION - 1


def create(conn: sqlite3.Connection, now: float) -> None:
    """Make every table of the newest schema in an empty database (inside the caller's
    transaction)."""
    for statement in SCHEMA_1:
        conn.execute(statement)
    upgrade(conn, 1, now)


def upgrade(conn: sqlite3.Connection, version: int, now: float) -> None:
    """Bring a schema-``version`` database to the newest schema (inside the caller's
    transaction, which makes it all or nothing)."""
    for step in UPGRADES[version - 1 :]:
        step(conn, now)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
