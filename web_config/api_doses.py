"""The JSON API for each person's doses: read them with what is offered, answer an offer,
lock a dose. Writes need the PIN where one is set, like every change (``guard``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from routines.model import Routine
from routines.profiles import Profile
from web_config.api import json_object
from web_config.context import store
from web_config.dose_views import (
    answer_suggestion,
    exercise_doses,
    lock_dose,
    pending,
    profile_routine,
    progression_on,
    suggestion_dict,
)
from web_config.errors import ApiError, excerpt

bp = Blueprint("api_doses", __name__, url_prefix="/api/profiles/<int:profile_id>")


def _profile_or_404(profile_id: int) -> Profile:
    profile = store().get_profile(profile_id)
    if profile is None:
        raise ApiError(404, f"There is no profile with id {profile_id}.")
    return profile


def _routine(profile: Profile, routine_id: object, field: str = "routine_id") -> Routine | None:
    """The routine asked for (``routine_id``), else the person's own; 422 naming ``field``
    for an unknown one."""
    if routine_id is None:
        return profile_routine(profile)
    stored = store().get_routine(routine_id) if isinstance(routine_id, str) else None
    if stored is None:
        raise ApiError(
            422,
            "Some fields are not right; nothing was changed.",
            {field: "must be the id of a stored routine"},
        )
    return stored.routine


def _only(body: dict[str, Any], known: tuple[str, ...]) -> None:
    unknown = {
        excerpt(k): f"unknown field (known: {', '.join(known)})" for k in body if k not in known
    }
    if unknown:
        raise ApiError(422, "Some fields are not right; nothing was changed.", unknown)


def doses_dict(profile: Profile, routine: Routine | None) -> dict[str, Any]:
    """What the API says of a person's doses of a routine."""
    return {
        "profile": profile.id,
        "routine": None if routine is None else {"id": routine.id, "name": routine.name},
        "progression": progression_on(),
        "exercises": (
            [] if routine is None else [d.to_dict() for d in exercise_doses(profile, routine)]
        ),
        "suggestions": [suggestion_dict(s) for s in pending(profile, routine)],
    }


@bp.route("/doses")
def doses(profile_id: int) -> Response:
    """The person's dose of each exercise with rules, of their routine (or ``?routine=ID``),
    and the changes offered to them that are not answered yet."""
    profile = _profile_or_404(profile_id)
    routine = _routine(profile, request.args.get("routine"), "routine")
    return jsonify(doses_dict(profile, routine))


@bp.route("/suggestions/<int:suggestion_id>", methods=["POST"])
def answer(profile_id: int, suggestion_id: int) -> Response:
    """``{"answer": "accepted" | "declined"}``: accepted, the dose changes from the next
    workout; declined, it stays."""
    profile = _profile_or_404(profile_id)
    body = json_object()
    _only(body, ("answer",))
    answered = answer_suggestion(profile, suggestion_id, body.get("answer"))
    stored = store().get_routine(answered.routine_id)
    routine = None if stored is None else stored.routine
    return jsonify({"suggestion": suggestion_dict(answered), **doses_dict(profile, routine)})


@bp.route("/doses/lock", methods=["POST"])
def lock(profile_id: int) -> Response:
    """``{"exercise": NAME, "locked": true | false, "routine_id": ID}`` (the routine is the
    person's own when left out): a locked dose is never offered a change."""
    profile = _profile_or_404(profile_id)
    body = json_object()
    _only(body, ("exercise", "locked", "routine_id"))
    routine = _routine(profile, body.get("routine_id"))
    lock_dose(profile, routine, body.get("exercise"), body.get("locked"))
    return jsonify(doses_dict(profile, routine))
