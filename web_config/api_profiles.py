"""The JSON API for profiles: who trains on this device, and who is training now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from routines.profiles import Profile, ProfileError, parse_profile_changes
from routines.store import ProfileInUse
from web_config.api import fields_error, json_object
from web_config.context import store
from web_config.errors import ApiError

bp = Blueprint("api_profiles", __name__, url_prefix="/api/profiles")


def profile_dict(profile: Profile) -> dict[str, Any]:
    """A profile as the API shows it, with how many workouts it has."""
    return {**profile.to_dict(), "workouts": store().workouts_per_profile().get(profile.id, 0)}


def _profile_or_404(profile_id: int) -> Profile:
    profile = store().get_profile(profile_id)
    if profile is None:
        raise ApiError(404, f"There is no profile with id {profile_id}.")
    return profile


def _checked(data: object, *, creating: bool) -> dict[str, Any]:
    try:
        return parse_profile_changes(data, creating=creating)
    except ProfileError as err:
        raise fields_error(err.errors) from None


@bp.route("")
def list_profiles() -> Response:
    """Every profile, and the id of the one training now."""
    return jsonify(
        {
            "profiles": [profile_dict(p) for p in store().profiles()],
            "current": store().current_profile().id,
        }
    )


@bp.route("", methods=["POST"])
def create() -> tuple[Response, int, dict[str, str]]:
    """Add a profile: 201, or 422 naming each bad field."""
    fields = _checked(json_object(), creating=True)
    try:
        profile = store().create_profile(fields)
    except ProfileError as err:
        raise fields_error(err.errors) from None
    location = url_for(".get", profile_id=profile.id)
    return jsonify(profile_dict(profile)), 201, {"Location": location}


@bp.route("/<int:profile_id>")
def get(profile_id: int) -> Response:
    """One profile."""
    return jsonify(profile_dict(_profile_or_404(profile_id)))


@bp.route("/<int:profile_id>", methods=["PUT"])
def put(profile_id: int) -> Response:
    """Change some of a profile's fields (only those sent)."""
    _profile_or_404(profile_id)
    fields = _checked(json_object(), creating=False)
    try:
        profile = store().update_profile(profile_id, fields)
    except ProfileError as err:
        raise fields_error(err.errors) from None
    return jsonify(profile_dict(profile))


@bp.route("/<int:profile_id>", methods=["DELETE"])
def delete(profile_id: int) -> Response:
    """Remove a profile. One with workouts needs ``{"confirm": true}`` and the answer says
    how many workouts went with it; the last profile stays."""
    _profile_or_404(profile_id)
    body = json_object() if request.get_data(cache=True).strip() else {}
    problems = {key: "unknown field (known: confirm)" for key in body if key != "confirm"}
    confirm = body.get("confirm", False)
    if not isinstance(confirm, bool):
        problems["confirm"] = "must be true or false"
    if problems:
        raise fields_error(problems)
    try:
        workouts = store().delete_profile(profile_id, with_history=confirm)
    except ProfileInUse as err:
        if err.workouts:
            raise ApiError(
                409,
                f"This profile has {err.workouts} workout{'' if err.workouts == 1 else 's'} "
                'in its history, which would be deleted with it: send {"confirm": true} '
                "to delete them too.",
                extra={"workouts": err.workouts},
            ) from None
        raise ApiError(409, "The last profile cannot be deleted: rename it instead.") from None
    return jsonify({"deleted": profile_id, "workouts_deleted": workouts})


@bp.route("/<int:profile_id>/choose", methods=["POST"])
def choose(profile_id: int) -> Response:
    """Make this the profile that is training: its routine, goal and history are used."""
    _profile_or_404(profile_id)
    store().set_current_profile(profile_id)
    return jsonify({"current": profile_id})
