"""A restore copies a backup's data, never its file: row by row, field by field.

Rows read from the upload (``routines.upload_reader``) go through the checks the API
applies to a new write (routine rules and caps, profile names, settings, sane history
rows) into a fresh store made by ``routines.schema`` at the backup's version, which the
migrations then bring up to date. Nothing of the file's triggers, views, indexes or extra
tables survives. The first problem found raises ``BackupError`` naming the table, the
row and the field.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Mapping
from typing import Any, Final

from routines import history_rows
from routines.errors import ValidationError
from routines.profiles import MAX_PROFILES, parse_profile_changes
from routines.repo_routines import MAX_ID_LEN, MAX_ROUTINES
from routines.schema import SCHEMA_1, SCHEMA_VERSION, UPGRADES
from routines.settings import Settings, parse_settings_changes
from routines.upload_reader import BackupError, known_columns, rows
from routines.validation import MAX_NAME as MAX_ROUTINE_NAME
from routines.validation import parse_routine

# Kept from a backup's ``state`` table; the workout in progress belongs to this device.
_KEPT_STATE: Final = ("profile", "clicker_owners", "active_routine")
MAX_SET_ENTRIES: Final = 2000
MAX_MESSAGE: Final = 300
LAST_TIME: Final = history_rows.LAST_TIME


def build_store(
    upload: sqlite3.Connection,
    version: int,
    staged: sqlite3.Connection,
    *,
    secrets: list[tuple[str, bytes]],
    pin_hash: str,
) -> None:
    """Fill the empty database ``staged`` from ``upload`` (one transaction); the secrets are
    this device's, and so is its PIN when the backup carries none."""
    columns = known_columns(upload, version)
    now = time.time()
    staged.execute("BEGIN")
    for statement in SCHEMA_1:
        staged.execute(statement)
    for step in UPGRADES[: version - 1]:
        step(staged, now)
    # A store made at schema 2 or later starts with a first profile: the backup has its own.
    staged.execute("DELETE FROM state")
    if version >= 2:
        staged.execute("DELETE FROM profiles")
    routine_ids = _copy_routines(upload, staged, columns["routines"])
    state = _kept_state(upload, columns["state"])
    if version >= 2:
        profile_ids = _copy_profiles(upload, staged, columns["profiles"], routine_ids)
    else:
        profile_ids = {1}  # the migration makes the one profile everything belongs to
        active = state.get("active_routine")
        if active is not None and active not in routine_ids:
            state.pop("active_routine")
    _copy_state(staged, state, profile_ids, version)
    _copy_settings(upload, staged, columns["settings"], pin_hash)
    _copy_history(upload, staged, columns["history"], profile_ids)
    staged.executemany("INSERT INTO secrets (name, value) VALUES (?, ?)", secrets)
    for step in UPGRADES[version - 1 :]:
        step(staged, now)
    staged.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    staged.execute("COMMIT")


def _refuse(where: str, err: ValidationError | str) -> BackupError:
    if isinstance(err, ValidationError):
        field, message = next(iter(err.errors.items()))
        err = f"{field}: {message}"
    # The file's own text (an unknown field's name) may be quoted: a line at most.
    text = f"{where}: {err}"
    return BackupError(text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "...")


def _copy_routines(
    upload: sqlite3.Connection, staged: sqlite3.Connection, columns: tuple[str, ...]
) -> set[str]:
    ids: set[str] = set()
    for n, row in enumerate(rows(upload, "routines", columns), start=1):
        key = row["id"]
        where = (
            f"routine {_shown(key)} (routines table)"
            if isinstance(key, str)
            else f"row {n} of the routines table"
        )
        if not isinstance(key, str) or not 0 < len(key) <= MAX_ID_LEN:
            raise _refuse(where, f"id: must be text of 1 to {MAX_ID_LEN} characters")
        if len(ids) >= MAX_ROUTINES:
            raise BackupError(f"the routines table holds more than {MAX_ROUTINES} routines")
        body = row["body"]
        try:
            data = json.loads(body) if isinstance(body, str) else None
        except (ValueError, RecursionError):
            data = None
        if data is None:
            raise _refuse(where, "body: is not a routine in JSON")
        try:
            routine = parse_routine(data)
        except ValidationError as err:
            raise _refuse(where, err) from None
        if routine.id != key:
            raise _refuse(where, f"id: the row's routine calls itself {routine.id!r}")
        version, updated_at = row["version"], row["updated_at"]
        if type(version) is not int or version < 1:
            raise _refuse(where, "version: must be a whole number from 1")
        if not _a_time(updated_at):
            raise _refuse(where, "updated_at: must be a time")
        staged.execute(
            "INSERT INTO routines (id, body, version, updated_at) VALUES (?, ?, ?, ?)",
            (
                key,
                json.dumps(routine.to_dict(), ensure_ascii=False, separators=(",", ":")),
                version,
                float(updated_at),
            ),
        )
        ids.add(key)
    return ids


def _copy_profiles(
    upload: sqlite3.Connection,
    staged: sqlite3.Connection,
    columns: tuple[str, ...],
    routine_ids: set[str],
) -> set[int]:
    ids: set[int] = set()
    names: set[str] = set()
    for n, row in enumerate(rows(upload, "profiles", columns), start=1):
        key = row["id"]
        where = f"profile {key} (profiles table)" if type(key) is int else f"row {n} of profiles"
        if type(key) is not int or key < 1:
            raise _refuse(where, "id: must be a whole number from 1")
        if n > MAX_PROFILES:
            raise _refuse(
                "profiles table", f"holds more than {MAX_PROFILES} profiles, the most Spotter keeps"
            )
        fields = {k: row[k] for k in ("name", "routine_id", "weekly_goal")}
        try:
            checked = parse_profile_changes(fields, creating=True)
        except ValidationError as err:
            raise _refuse(where, err) from None
        name = checked["name"]
        # The table compares names as SQLite's NOCASE does: ASCII letters only.
        folded = name.translate(_ASCII_LOWER)
        if folded in names:
            raise _refuse(where, f"name: another profile is already called {name!r}")
        routine_id = checked.get("routine_id")
        if routine_id is not None and routine_id not in routine_ids:
            raise _refuse(where, f"routine_id: there is no routine with id {_shown(routine_id)}")
        created_at = row["created_at"]
        staged.execute(
            "INSERT INTO profiles (id, name, routine_id, weekly_goal, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                key,
                name,
                routine_id,
                checked.get("weekly_goal"),
                float(created_at) if _a_time(created_at) else time.time(),
            ),
        )
        ids.add(key)
        names.add(folded)
    if not ids:
        raise BackupError("the profiles table is empty: a Spotter store has at least one profile")
    return ids


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _kept_state(upload: sqlite3.Connection, columns: tuple[str, ...]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for row in rows(upload, "state", columns):
        if row["key"] in _KEPT_STATE and isinstance(row["value"], str):
            kept[row["key"]] = row["value"]
    return kept


def _copy_state(
    staged: sqlite3.Connection, state: Mapping[str, str], profiles: set[int], version: int
) -> None:
    if version < 2:
        # Schema 1 knew one person and their routine; the migration takes it from here.
        if "active_routine" in state:
            staged.execute(
                "INSERT INTO state (key, value) VALUES ('active_routine', ?)",
                (state["active_routine"],),
            )
        return
    current = state.get("profile", "")
    chosen = int(current) if current.isdigit() and int(current) in profiles else min(profiles)
    staged.execute("INSERT INTO state (key, value) VALUES ('profile', ?)", (str(chosen),))
    try:
        owners = json.loads(state.get("clicker_owners", "{}"))
    except (ValueError, RecursionError):
        owners = {}
    if isinstance(owners, dict):
        kept = {
            str(name)[:MAX_ROUTINE_NAME]: owner
            for name, owner in list(owners.items())[:MAX_ROUTINES]
            if type(owner) is int and owner in profiles
        }
        if kept:
            staged.execute(
                "INSERT INTO state (key, value) VALUES ('clicker_owners', ?)",
                (json.dumps(kept, sort_keys=True),),
            )


def _copy_settings(
    upload: sqlite3.Connection, staged: sqlite3.Connection, columns: tuple[str, ...], pin_hash: str
) -> None:
    saved: dict[str, object] = {}
    for row in rows(upload, "settings", columns):
        key = row["key"]
        where = f"setting {_shown(key)} (settings table)"
        if not isinstance(key, str) or not isinstance(row["value"], str):
            raise _refuse(where, "is not a setting Spotter writes")
        try:
            saved[key] = json.loads(row["value"])
        except (ValueError, RecursionError):
            raise _refuse(where, "its value is not JSON") from None
    try:
        settings = parse_settings_changes(saved, Settings())
    except ValidationError as err:
        raise _refuse("the settings table", err) from None
    values = settings.to_dict()
    if not values["pin_hash"] and pin_hash:
        values["pin_hash"] = pin_hash
    defaults = Settings().to_dict()
    staged.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        [(k, json.dumps(v)) for k, v in values.items() if v != defaults[k]],
    )


def _copy_history(
    upload: sqlite3.Connection,
    staged: sqlite3.Connection,
    columns: tuple[str, ...],
    profiles: set[int],
) -> None:
    has_profiles = "profile_id" in _columns(staged, "history")
    for n, row in enumerate(rows(upload, "history", columns), start=1):
        where = f"workout {row['id']} (history table)" if type(row["id"]) is int else f"row {n}"
        problem = history_problem(row, profiles)
        if problem is not None:
            raise _refuse(where, problem)
        entry = history_rows.checked(history_rows.from_row(row))
        values = history_rows.to_row(entry)
        if not has_profiles:
            values = {k: v for k, v in values.items() if k not in history_rows.DEFAULTS}
        names = ["id", *values]
        staged.execute(
            f"INSERT INTO history ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",  # noqa: S608
            (row["id"], *values.values()),
        )


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')}


def history_problem(row: Mapping[str, Any], profiles: set[int]) -> str | None:
    """What makes a history row one Spotter would never have written (None: nothing)."""
    if type(row["id"]) is not int or row["id"] < 1:
        return "id: must be a whole number from 1"
    for name, longest in (("routine_id", MAX_ID_LEN), ("routine_name", MAX_ROUTINE_NAME * 2)):
        if not isinstance(row[name], str) or len(row[name]) > longest:
            return f"{name}: must be text of at most {longest} characters"
    for name in ("started_at", "finished_at"):
        if not _a_time(row[name]):
            return f"{name}: must be a time before the year 3000"
    for name in ("exercises_done", "sets_done", "completed"):
        if type(row[name]) is not int or row[name] < 0:
            return f"{name}: must be a whole number from 0"
    if row["profile_id"] not in profiles or type(row["profile_id"]) is not int:
        return f"profile_id: there is no profile {_shown(row['profile_id'])}"
    for name in ("pain_before", "pain_after"):
        if row[name] is not None and (type(row[name]) is not int or not 0 <= row[name] <= 10):
            return f"{name}: must be a whole number from 0 to 10, or empty"
    planned = row["sets_planned"]
    if planned is not None and (type(planned) is not int or planned < 0):
        return "sets_planned: must be a whole number from 0, or empty"
    try:
        sets = json.loads(row["set_reps"]) if isinstance(row["set_reps"], str) else None
        history_rows.from_row({**row, "set_reps": json.dumps(sets)})
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        sets = None
    if not isinstance(sets, list) or len(sets) > MAX_SET_ENTRIES:
        return f"set_reps: must be a list of at most {MAX_SET_ENTRIES} sets"
    return None


def _shown(value: object) -> str:
    """A value from the file as a message may quote it: never more than a line."""
    text = repr(value)
    return text if len(text) <= MAX_ID_LEN + 2 else text[:MAX_ID_LEN] + "..."


def _a_time(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= LAST_TIME
    )
