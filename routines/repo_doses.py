"""Each person's dose of each exercise with progression rules, the changes made to it and
the changes offered after workouts.

The routine file stays everyone's starting point: a person with no row does an exercise as
the file says. A row remembers the file's dose it grew from, so an edit of the routine that
changes an exercise's starting dose, its kind or its rules sends that person back to the
file's dose (``Exercise.dose_for``); a removed exercise's row is ignored and stays for its
history. Rows go with their profile.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Final, cast, get_args

from routines.changes import Data
from routines.database import Database
from routines.errors import DoseError
from routines.model import (
    DOSE_FIELDS,
    DOSE_WHYS,
    Answer,
    Dose,
    DoseChange,
    DoseWhy,
    Exercise,
    PersonalDose,
    Routine,
    Suggestion,
)
from routines.progression_rules import CEILING
from routines.repo_routines import RoutineRepository

ANSWERS: Final = get_args(Answer)
# A person's changes kept for the History page's dose line: years of workouts.
MAX_CHANGES_READ: Final = 5000


class DoseRepository:
    """Reads and writes ``doses``, ``dose_changes`` and ``dose_suggestions``."""

    def __init__(self, db: Database, routines: RoutineRepository) -> None:
        self._db = db
        self._routines = routines

    def of(self, profile_id: int, routine_id: str) -> dict[str, PersonalDose]:
        """The person's stored doses of the routine, by exercise name (sane or not: see
        ``Exercise.dose_for``)."""
        with self._db.lock:
            rows = self._db.conn.execute(
                "SELECT * FROM doses WHERE profile_id = ? AND routine_id = ?",
                (profile_id, routine_id),
            ).fetchall()
        return {row["exercise"]: _dose_row(row) for row in rows}

    def routine_at_dose(self, profile_id: int, routine_id: str) -> Routine | None:
        """The routine as the person does it now, or None if there is no such routine."""
        stored = self._routines.get(routine_id)
        if stored is None:
            return None
        return stored.routine.at_doses(self.of(profile_id, routine_id))

    def set(
        self,
        profile_id: int,
        routine_id: str,
        exercise: str,
        dose: Dose,
        *,
        why: DoseWhy,
        at: float | None = None,
    ) -> PersonalDose:
        """Give the person ``dose`` of the exercise and log the change; ``DoseError`` names
        what is wrong (no such exercise, no rules, a value past its ceiling)."""
        if why not in DOSE_WHYS:
            raise DoseError({"why": "must be one of: " + ", ".join(DOSE_WHYS)})
        at = time.time() if at is None else at
        with self._db.transaction(Data.DOSES) as conn:
            return self._set(conn, profile_id, routine_id, exercise, dose, why=why, at=at)

    def _set(
        self,
        conn: sqlite3.Connection,
        profile_id: int,
        routine_id: str,
        exercise: str,
        dose: Dose,
        *,
        why: DoseWhy,
        at: float,
    ) -> PersonalDose:
        ex = self._exercise(routine_id, exercise)
        _check_dose(ex, dose)
        locked = self._locked(conn, profile_id, routine_id, exercise)
        _write(conn, profile_id, routine_id, ex, dose, locked=locked, at=at)
        conn.execute(
            "INSERT INTO dose_changes (profile_id, routine_id, exercise, sets, reps, "
            "hold_seconds, at, why) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (profile_id, routine_id, exercise, *_values(dose), at, why),
        )
        # What was offered from the old dose no longer applies.
        _expire(conn, profile_id, routine_id, exercise, at)
        return PersonalDose(exercise, dose, ex.dose, locked, at)

    def set_locked(self, profile_id: int, routine_id: str, exercise: str, locked: bool) -> None:
        """Keep (``locked``) the person's dose of the exercise where it is, or free it; a
        lock withdraws what is offered for it."""
        with self._db.transaction(Data.DOSES) as conn:
            ex = self._exercise(routine_id, exercise)
            current = self.of(profile_id, routine_id).get(exercise)
            dose = (ex.dose_for(current) if current else None) or ex.dose
            at = current.changed_at if current else None
            _write(conn, profile_id, routine_id, ex, dose, locked=locked, at=at)
            if locked:
                _expire(conn, profile_id, routine_id, exercise, time.time())

    def changes(
        self, profile_id: int, routine_id: str | None = None, *, since: float | None = None
    ) -> list[DoseChange]:
        """The person's dose changes, oldest first: of one routine or all, since a time."""
        query = "SELECT * FROM dose_changes WHERE profile_id = ?"
        params: tuple[object, ...] = (profile_id,)
        if routine_id is not None:
            query += " AND routine_id = ?"
            params += (routine_id,)
        if since is not None:
            query += " AND at >= ?"
            params += (since,)
        with self._db.lock:
            rows = self._db.conn.execute(
                query + " ORDER BY at, id LIMIT ?", (*params, MAX_CHANGES_READ)
            ).fetchall()
        return [_change_row(row) for row in rows]

    def suggest(self, suggestion: Suggestion) -> Suggestion:
        """Keep an offer made after a workout (an earlier one for the same exercise that
        is still pending expires); returns it with its ``id``."""
        s = suggestion
        with self._db.transaction(Data.DOSES) as conn:
            _expire(conn, s.profile_id, s.routine_id, s.exercise, s.made_at)
            cursor = conn.execute(
                "INSERT INTO dose_suggestions (profile_id, routine_id, exercise, direction, "
                "from_sets, from_reps, from_hold_seconds, to_sets, to_reps, to_hold_seconds, "
                "made_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    s.profile_id,
                    s.routine_id,
                    s.exercise,
                    s.direction,
                    *_values(s.from_dose),
                    *_values(s.to_dose),
                    s.made_at,
                ),
            )
            row = conn.execute(
                "SELECT * FROM dose_suggestions WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _suggestion_row(row)

    def suggestions(
        self, profile_id: int, routine_id: str | None = None, *, answer: Answer | None = "pending"
    ) -> list[Suggestion]:
        """The person's offers, newest first: pending ones by default, or all (None)."""
        query = "SELECT * FROM dose_suggestions WHERE profile_id = ?"
        params: tuple[object, ...] = (profile_id,)
        if routine_id is not None:
            query += " AND routine_id = ?"
            params += (routine_id,)
        if answer is not None:
            query += " AND answer = ?"
            params += (answer,)
        with self._db.lock:
            rows = self._db.conn.execute(
                query + " ORDER BY made_at DESC, id DESC LIMIT 100", params
            ).fetchall()
        return [_suggestion_row(row) for row in rows]

    def answer(
        self,
        suggestion_id: int,
        answer: Answer,
        *,
        via: DoseWhy = "accepted",
        at: float | None = None,
    ) -> Suggestion:
        """Answer a pending offer. Accepted: the person's dose becomes its ``to_dose`` (why
        ``via``, or ``undo`` for an undo), unless the dose moved since it was made, which
        expires it instead. ``KeyError`` if there is no such offer; one already answered
        is returned as it is."""
        if answer not in ("accepted", "declined"):
            raise DoseError({"answer": "must be accepted or declined"})
        at = time.time() if at is None else at
        with self._db.transaction(Data.DOSES) as conn:
            row = conn.execute(
                "SELECT * FROM dose_suggestions WHERE id = ?", (suggestion_id,)
            ).fetchone()
            if row is None:
                raise KeyError(suggestion_id)
            s = _suggestion_row(row)
            if s.answer != "pending":
                return s
            final: Answer = answer
            if answer == "accepted":
                if self._current(s.profile_id, s.routine_id, s.exercise) != s.from_dose:
                    final = "expired"
                else:
                    why: DoseWhy = "undo" if s.direction == "undo" else via
                    self._set(
                        conn, s.profile_id, s.routine_id, s.exercise, s.to_dose, why=why, at=at
                    )
            conn.execute(
                "UPDATE dose_suggestions SET answer = ?, answered_at = ? WHERE id = ?",
                (final, at, suggestion_id),
            )
            row = conn.execute(
                "SELECT * FROM dose_suggestions WHERE id = ?", (suggestion_id,)
            ).fetchone()
        return _suggestion_row(row)

    def _current(self, profile_id: int, routine_id: str, exercise: str) -> Dose | None:
        stored = self._routines.get(routine_id)
        ex = None if stored is None else stored.routine.exercise(exercise)
        if ex is None:
            return None
        mine = self.of(profile_id, routine_id).get(exercise)
        return (ex.dose_for(mine) if mine else None) or ex.dose

    def _exercise(self, routine_id: str, name: str) -> Exercise:
        stored = self._routines.get(routine_id)
        if stored is None:
            raise DoseError({"routine": f"there is no routine {routine_id!r}"})
        ex = stored.routine.exercise(name)
        if ex is None:
            raise DoseError({"exercise": f"{stored.routine.name} has no exercise {name!r}"})
        if ex.progression is None:
            raise DoseError({"exercise": f"{name} has no progression rules: its dose is fixed"})
        return ex

    def _locked(self, conn: sqlite3.Connection, profile_id: int, routine_id: str, ex: str) -> bool:
        row = conn.execute(
            "SELECT locked FROM doses WHERE profile_id = ? AND routine_id = ? AND exercise = ?",
            (profile_id, routine_id, ex),
        ).fetchone()
        return bool(row and row["locked"])


def _check_dose(ex: Exercise, dose: Dose) -> None:
    """A dose of the exercise's kind, each value a whole number from 1 to its ceiling (the
    rules' ``up_to``; the routine caps for what the rules do not grow)."""
    errors: dict[str, str] = {}
    if not dose.same_kind(ex.dose):
        kind = "a hold (hold_seconds)" if ex.is_hold else "reps"
        errors["dose"] = f"{ex.name} is done with {kind}"
    assert ex.progression is not None
    for field in DOSE_FIELDS:
        value = dose.get(field)
        if value is None or field in errors:
            continue
        ceilings = [s.up_to for s in ex.progression.steps if s.field == field]
        top = max(ceilings) if ceilings else CEILING[field]
        if type(value) is not int or not 1 <= value <= top:
            errors[field] = f"must be a whole number from 1 to {top}"
    if errors:
        raise DoseError(errors)


def _write(
    conn: sqlite3.Connection,
    profile_id: int,
    routine_id: str,
    ex: Exercise,
    dose: Dose,
    *,
    locked: bool,
    at: float | None,
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO doses (profile_id, routine_id, exercise, sets, reps, "
        "hold_seconds, start_sets, start_reps, start_hold_seconds, locked, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (profile_id, routine_id, ex.name, *_values(dose), *_values(ex.dose), int(locked), at),
    )


def _expire(conn: sqlite3.Connection, profile_id: int, routine_id: str, ex: str, at: float) -> None:
    conn.execute(
        "UPDATE dose_suggestions SET answer = 'expired', answered_at = ? WHERE profile_id = ? "
        "AND routine_id = ? AND exercise = ? AND answer = 'pending'",
        (at, profile_id, routine_id, ex),
    )


def _values(dose: Dose) -> tuple[int, int | None, int | None]:
    return dose.sets, dose.reps, dose.hold_seconds


def _dose(row: sqlite3.Row, prefix: str = "") -> Dose:
    return Dose(row[prefix + "sets"], row[prefix + "reps"], row[prefix + "hold_seconds"])


def _dose_row(row: sqlite3.Row) -> PersonalDose:
    return PersonalDose(
        exercise=row["exercise"],
        dose=_dose(row),
        start=_dose(row, "start_"),
        locked=bool(row["locked"]),
        changed_at=row["changed_at"],
    )


def _change_row(row: sqlite3.Row) -> DoseChange:
    return DoseChange(
        profile_id=row["profile_id"],
        routine_id=row["routine_id"],
        exercise=row["exercise"],
        dose=_dose(row),
        at=row["at"],
        why=cast(DoseWhy, row["why"]),
        id=row["id"],
    )


def _suggestion_row(row: sqlite3.Row) -> Suggestion:
    return Suggestion(
        profile_id=row["profile_id"],
        routine_id=row["routine_id"],
        exercise=row["exercise"],
        direction=row["direction"],
        from_dose=_dose(row, "from_"),
        to_dose=_dose(row, "to_"),
        made_at=row["made_at"],
        answer=row["answer"],
        answered_at=row["answered_at"],
        id=row["id"],
    )
