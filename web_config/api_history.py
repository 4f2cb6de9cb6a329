"""Workouts out of the device: ``/api/history`` as JSON and ``/api/history.csv`` for a
spreadsheet, everyone's or one profile's (``?profile=ID``)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, jsonify, request

from routines.model import HistoryEntry
from web_config.context import store
from web_config.dose_history import DOSE_COLUMNS
from web_config.history import (
    ALL,
    chosen_profile,
    entry_dict,
    minutes,
    pain_areas,
    profile_names,
    week_summary,
)
from web_config.history_doses import CsvDoses

bp = Blueprint("api_history", __name__, url_prefix="/api")

CSV_HEADER = (
    "date",
    "profile",
    "routine",
    "active_minutes",
    "sets_done",
    "sets_planned",
    "reps_short",
    "pain_area",
    "pain_before",
    "pain_after",
    "ended_early",
    *DOSE_COLUMNS,
)
# A spreadsheet runs a cell that starts with one of these as a formula; some also read
# the fullwidth forms, and skip leading white space before looking.
_FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _filtered() -> tuple[int | None, list[HistoryEntry]]:
    profile_id = chosen_profile().id if "profile" in request.args else None
    return profile_id, store().history(ALL, profile_id=profile_id)


@bp.route("/history")
def history() -> Response:
    """Workouts, newest first, and this week against the goal of the profile asked for
    (else of the one training now)."""
    _, entries = _filtered()
    names = profile_names()
    profile = chosen_profile()
    mine = [e for e in entries if e.profile_id == profile.id]
    return jsonify(
        {
            "sessions": [entry_dict(e, names) for e in entries],
            "week": {**week_summary(profile, mine).to_dict(), "profile": profile.to_dict()},
        }
    )


def _cell(text: str) -> str:
    risky = text[:1].isspace() or text.startswith(_FORMULA_STARTS)
    return "'" + text if risky else text


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)


def _area(entry: HistoryEntry, areas: dict[str, str]) -> str:
    """The body part of a workout's check-in; blank without one (or its routine gone)."""
    if entry.pain_before is None and entry.pain_after is None:
        return ""
    return areas.get(entry.routine_id, "")


@bp.route("/history.csv")
def history_csv() -> Response:
    """One row per workout, oldest first, for a spreadsheet."""
    _, entries = _filtered()
    names = profile_names()
    areas = pain_areas()
    doses = CsvDoses()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for e in reversed(entries):
        writer.writerow(
            (
                datetime.fromtimestamp(e.finished_at).isoformat(" ", "minutes"),
                _cell(names.get(e.profile_id, "")),
                _cell(e.routine_name),
                minutes(e),
                e.sets_done,
                _blank(e.sets_planned),
                e.reps_short,
                _cell(_area(e, areas)),
                _blank(e.pain_before),
                _blank(e.pain_after),
                "yes" if not e.completed else "no",
                *(_cell(c) for c in doses.cells(e)),
            )
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="spotter-history.csv"'
    response.headers["Cache-Control"] = "no-cache"
    return response
