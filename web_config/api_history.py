"""Workouts out of the device: ``/api/history`` as JSON, a page at a time, and
``/api/history.csv`` for a spreadsheet, streamed; everyone's or one profile's
(``?profile=ID``)."""

from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, request

from routines.repo_history import Cursor
from web_config.context import store
from web_config.errors import ApiError
from web_config.history import chosen_profile, entry_dict, pain_areas, profile_names, week_summary
from web_config.history_csv import HEADER, Known, csv_text
from web_config.history_doses import CsvDoses
from web_config.parsing import is_whole_number

bp = Blueprint("api_history", __name__, url_prefix="/api")

CSV_HEADER = HEADER
PAGE = 50
MAX_PAGE = 200


def _profile_id() -> int | None:
    return chosen_profile().id if "profile" in request.args else None


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return PAGE
    if not is_whole_number(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(
            422,
            "That page size is not one Spotter gives.",
            {"limit": f"must be a whole number from 1 to {MAX_PAGE}"},
        )
    return int(raw)


def _before() -> Cursor | None:
    """The ``next`` of the page before, as given: the finished time and id of its last
    workout, ``<seconds>:<id>``."""
    raw = request.args.get("before")
    if raw is None:
        return None
    at, _, entry_id = raw.partition(":")
    try:
        finished = float(at)
    except ValueError:
        finished = math.nan
    if not math.isfinite(finished) or not is_whole_number(entry_id) or len(entry_id) > 18:
        raise ApiError(
            422,
            "That is not where a page of the history ends.",
            {"before": "must be the next value of the page before"},
        )
    return finished, int(entry_id)


def _cursor_text(cursor: Cursor | None) -> str | None:
    return None if cursor is None else f"{cursor[0]!r}:{cursor[1]}"


@bp.route("/history")
def history() -> Response:
    """A page of workouts, newest first (``?limit=``, ``?before=`` the page before's
    ``next``), and this week against the goal of the profile asked for (else of the one
    training now)."""
    profile_id, limit, before = _profile_id(), _limit(), _before()
    entries, cursor = store().history_page(limit, profile_id=profile_id, before=before)
    names = profile_names()
    profile = chosen_profile()
    return jsonify(
        {
            "sessions": [entry_dict(e, names) for e in entries],
            "next": _cursor_text(cursor),
            "week": {**week_summary(profile).to_dict(), "profile": profile.to_dict()},
        }
    )


@bp.route("/history.csv")
def history_csv() -> Response:
    """One row per workout, oldest first, for a spreadsheet, written as it is read."""
    profile_id = _profile_id()
    known = Known(profile_names(), pain_areas(), CsvDoses(store()))
    rows = store().history_oldest_first(profile_id=profile_id)
    response = Response(csv_text(rows, known), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="spotter-history.csv"'
    response.headers["Cache-Control"] = "no-cache"
    return response
