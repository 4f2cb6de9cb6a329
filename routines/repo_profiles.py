"""The people who train here, each one's chosen routine, and who is training now."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from typing import Any, Final

from routines.changes import Data
from routines.database import Database
from routines.profiles import MAX_PROFILES, PROFILES_FULL, Profile, ProfileError
from routines.repo_routines import RoutineRepository, StoredRoutine
from routines.repo_state import read_state, write_state

_CURRENT: Final = "profile"  # the key, in the ``state`` table, of who is training now
# The key of the clickers bound on the People page: {clicker name: profile id}. Kept as
# one row beside the profiles, so a binding needs no new table and goes with a backup.
_CLICKERS: Final = "clicker_owners"
_SELECT: Final = "SELECT id, name, routine_id, weekly_goal FROM profiles"


class ProfileInUse(Exception):
    """A profile that cannot go without more: the last one, or one with workouts."""

    def __init__(self, reason: str, workouts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.workouts = workouts


class ProfileRepository:
    """Reads and writes the ``profiles`` table (there is always at least one profile)."""

    def __init__(self, db: Database, routines: RoutineRepository) -> None:
        self._db = db
        self._routines = routines

    def all(self) -> list[Profile]:
        """Every profile, oldest first."""
        with self._db.lock:
            rows = self._db.conn.execute(f"{_SELECT} ORDER BY id").fetchall()
        return [_profile(row) for row in rows]

    def get(self, profile_id: int | None) -> Profile | None:
        """The profile with this id (None: the current one), or ``None``."""
        with self._db.lock:
            conn = self._db.conn
            if profile_id is None:
                chosen = read_state(conn, _CURRENT)
                profile_id = int(chosen) if chosen is not None and chosen.isdigit() else 0
            row = conn.execute(f"{_SELECT} WHERE id = ?", (profile_id,)).fetchone()
            if row is None and profile_id == 0:
                row = conn.execute(f"{_SELECT} ORDER BY id LIMIT 1").fetchone()
        return None if row is None else _profile(row)

    def current(self) -> Profile:
        """Who is training now: the last one chosen (on the device or the page)."""
        profile = self.get(None)
        assert profile is not None, "a store always has a profile"
        return profile

    def set_current(self, profile_id: int) -> Profile:
        """Make ``profile_id`` the one who is training; ``KeyError`` if there is none."""
        with self._db.transaction(Data.PROFILES) as conn:
            profile = self.get(profile_id)
            if profile is None:
                raise KeyError(profile_id)
            write_state(conn, _CURRENT, str(profile.id))
            return profile

    def active_routine(self, profile_id: int | None = None) -> StoredRoutine | None:
        """The routine chosen by a profile (default: the current one), else the first
        stored one, else ``None``."""
        with self._db.lock:
            profile = self.get(profile_id)
            chosen = profile.routine_id if profile is not None else None
            if chosen is not None and (stored := self._routines.get(chosen)) is not None:
                return stored
            return self._routines.first()

    def set_active_routine(self, routine_id: str, profile_id: int | None = None) -> None:
        """Choose the routine a press starts for a profile (default: the current one);
        ``KeyError`` if there is no routine with that id."""
        with self._db.transaction(Data.PROFILES) as conn:
            if self._routines.get(routine_id) is None:
                raise KeyError(routine_id)
            profile = self.get(profile_id)
            if profile is None:
                raise KeyError(profile_id)
            conn.execute(
                "UPDATE profiles SET routine_id = ? WHERE id = ?", (routine_id, profile.id)
            )

    def create(self, fields: Mapping[str, Any]) -> Profile:
        """Add a profile from fields checked by ``parse_profile_changes``; ``ProfileError``
        for a taken name, an unknown routine, or no room left (``MAX_PROFILES``)."""
        with self._db.transaction(Data.PROFILES) as conn:
            if conn.execute("SELECT COUNT(*) AS n FROM profiles").fetchone()["n"] >= MAX_PROFILES:
                raise ProfileError({"profiles": PROFILES_FULL})
            self._check(fields, profile_id=None)
            cursor = conn.execute(
                "INSERT INTO profiles (name, routine_id, weekly_goal, created_at) "
                "VALUES (?, ?, ?, ?)",
                (fields["name"], fields.get("routine_id"), fields.get("weekly_goal"), time.time()),
            )
            profile = self.get(cursor.lastrowid)
        assert profile is not None
        return profile

    def update(self, profile_id: int, fields: Mapping[str, Any]) -> Profile:
        """Change some fields of a profile; ``KeyError`` if there is none, ``ProfileError``
        for a taken name or an unknown routine."""
        with self._db.transaction(Data.PROFILES) as conn:
            if self.get(profile_id) is None:
                raise KeyError(profile_id)
            self._check(fields, profile_id=profile_id)
            for column in ("name", "routine_id", "weekly_goal"):
                if column in fields:
                    conn.execute(
                        f"UPDATE profiles SET {column} = ? WHERE id = ?",  # noqa: S608 - a fixed name
                        (fields[column], profile_id),
                    )
            profile = self.get(profile_id)
        assert profile is not None
        return profile

    def delete(self, profile_id: int, *, with_history: bool) -> int:
        """Remove a profile and return how many workouts went with it. ``KeyError`` if there
        is none; ``ProfileInUse`` if it is the last one, or has workouts and
        ``with_history`` is not set (nothing is deleted then)."""
        with self._db.transaction(Data.PROFILES, Data.HISTORY, Data.DOSES) as conn:
            if self.get(profile_id) is None:
                raise KeyError(profile_id)
            if conn.execute("SELECT COUNT(*) AS n FROM profiles").fetchone()["n"] <= 1:
                raise ProfileInUse("the last profile cannot be deleted", 0)
            workouts: int = conn.execute(
                "SELECT COUNT(*) AS n FROM history WHERE profile_id = ?", (profile_id,)
            ).fetchone()["n"]
            if workouts and not with_history:
                raise ProfileInUse("the profile has workouts in its history", workouts)
            conn.execute("DELETE FROM history WHERE profile_id = ?", (profile_id,))
            for table in ("doses", "dose_changes", "dose_suggestions"):
                conn.execute(f"DELETE FROM {table} WHERE profile_id = ?", (profile_id,))  # noqa: S608
            conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))
            if read_state(conn, _CURRENT) == str(profile_id):
                first = conn.execute("SELECT MIN(id) AS id FROM profiles").fetchone()["id"]
                write_state(conn, _CURRENT, str(first))
            return workouts

    def clicker_owners(self) -> dict[str, int]:
        """The clickers bound to a profile on the People page: clicker name -> profile id.
        A binding whose profile has gone is left out."""
        with self._db.lock:
            owners = _owners(read_state(self._db.conn, _CLICKERS))
            ids = {row["id"] for row in self._db.conn.execute("SELECT id FROM profiles")}
        return {name: owner for name, owner in owners.items() if owner in ids}

    def set_clicker(self, profile_id: int, clicker: str | None) -> None:
        """Give a profile this clicker (None: none), one clicker each: whatever clicker the
        profile had goes, and so does the clicker's previous owner. ``KeyError`` if there
        is no such profile."""
        with self._db.transaction(Data.PROFILES) as conn:
            if self.get(profile_id) is None:
                raise KeyError(profile_id)
            owners = _owners(read_state(conn, _CLICKERS))
            owners = {n: o for n, o in owners.items() if o != profile_id and n != clicker}
            if clicker is not None:
                owners[clicker] = profile_id
            write_state(conn, _CLICKERS, json.dumps(owners, sort_keys=True))

    def _check(self, fields: Mapping[str, Any], *, profile_id: int | None) -> None:
        problems: dict[str, str] = {}
        if "name" in fields:
            clash = self._db.conn.execute(
                "SELECT id FROM profiles WHERE name = ? AND id IS NOT ?",
                (fields["name"], profile_id),
            ).fetchone()
            if clash is not None:
                problems["name"] = f"another profile is already called {fields['name']!r}"
        routine_id = fields.get("routine_id")
        if routine_id is not None and self._routines.get(routine_id) is None:
            problems["routine_id"] = f"there is no routine with id {routine_id!r}"
        if problems:
            raise ProfileError(problems)


def _owners(text: str | None) -> dict[str, int]:
    """The stored bindings; an unreadable row is no bindings rather than a failed start."""
    try:
        raw = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(n): o for n, o in raw.items() if type(o) is int}


def _profile(row: sqlite3.Row) -> Profile:
    return Profile(row["id"], row["name"], row["routine_id"], row["weekly_goal"])
