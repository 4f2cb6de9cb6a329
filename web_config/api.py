"""The JSON API: status, the button and settings (routines, profiles and history have
their own modules)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from device.events import Action, Gesture
from routines.errors import SettingsError
from routines.fields import holds_lone_surrogate
from routines.settings import Settings, parse_settings_changes
from web_config.access_pin import hash_pin, pin_problem
from web_config.context import control, store
from web_config.errors import ApiError, excerpt
from web_config.settings_form import VOICE_RULE

bp = Blueprint("api", __name__, url_prefix="/api")

GESTURE_RULE = "must be one of: " + ", ".join(g.value for g in Gesture)
ACTION_RULE = "must be one of: " + ", ".join(a.value for a in Action)


class _KeyTwice(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_key_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json would keep the last of two equal keys without a word; YAML refuses them, so do we.
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _KeyTwice(key)
        found[key] = value
    return found


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "The body is empty: send a JSON object.")
    try:
        data = json.loads(raw, object_pairs_hook=_no_key_twice)
    except _KeyTwice as twice:
        raise ApiError(
            400, f"The body is not valid: the key {excerpt(twice.key)!r} is given twice."
        ) from None
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bytes that are not UTF-8 and numbers of thousands
        # of digits.
        raise ApiError(400, "The body is not valid JSON.") from None
    if holds_lone_surrogate(data):
        raise ApiError(
            400, "The body is not valid: it holds a \\u escape that is half of a character."
        )
    if not isinstance(data, dict):
        raise ApiError(400, "The body must be a JSON object ({...}).")
    return data


def fields_error(fields: Mapping[str, str]) -> ApiError:
    """The 422 for a body whose fields broke the rules."""
    return ApiError(422, "Some fields are not right; nothing was changed.", fields)


def settings_dict(settings: Settings) -> dict[str, Any]:
    """Settings as the API shows them: the PIN hash never leaves the device."""
    out = settings.to_dict()
    del out["pin_hash"]
    out["pin_set"] = bool(settings.pin_hash)
    return out


def effective_settings_dict() -> dict[str, Any]:
    """The settings in force, and which ones the config file sets (``pinned``: name -> file)."""
    effective = control().settings()
    return {**settings_dict(effective.settings), "pinned": dict(effective.pinned)}


@bp.route("/status")
def status() -> ResponseReturnValue:
    """The live session; answers 304 while nothing changed for a client that sent its ETag."""
    response = jsonify(control().status().to_dict())
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/button", methods=["POST"])
def button() -> tuple[Response, int]:
    """A gesture, exactly as if the physical button had made it, or an action by its name
    (whatever gesture the settings give it)."""
    data = json_object()
    problems = {
        key: "unknown field (known: gesture, action)"
        for key in data
        if key not in ("gesture", "action")
    }
    command: Gesture | Action | None = None
    if "action" in data:
        if "gesture" in data:
            problems["action"] = "send either gesture or action, not both"
        command = next((a for a in Action if a.value == data["action"]), None)
        if command is None:
            problems.setdefault("action", ACTION_RULE)
    else:
        command = next((g for g in Gesture if g.value == data.get("gesture")), None)
        if command is None:
            problems["gesture"] = GESTURE_RULE if "gesture" in data else "is required"
    if problems or command is None:
        raise fields_error(problems)
    if isinstance(command, Action):
        control().act(command)
    else:
        control().gesture(command)
    return jsonify({"queued": command.value}), 202


@bp.route("/settings")
def get_settings() -> Response:
    """Every setting; ``pin_set`` says whether changes need the PIN."""
    return jsonify(effective_settings_dict())


@bp.route("/settings", methods=["PUT"])
def put_settings() -> Response:
    """Change some settings (only the keys given); ``pin`` sets the PIN, ``""`` removes it."""
    changes = json_object()
    problems: dict[str, str] = {}
    effective = control().settings()
    for key, source in effective.pinned.items():
        # Sending back the value in force changes nothing, so it is no mistake.
        if key in changes and changes.pop(key) != getattr(effective.settings, key):
            problems[key] = f"is set in {source}: change it there"
    for key in ("pin_hash", "pin_set", "pinned"):
        if key in changes:
            problems[key] = "cannot be changed directly: send pin instead"
            del changes[key]
    if "pin" in changes:
        pin = changes.pop("pin")
        if pin in ("", None):
            changes["pin_hash"] = ""
        elif (problem := pin_problem(pin)) is not None:
            problems["pin"] = problem
        else:
            changes["pin_hash"] = hash_pin(pin)
    voice = changes.get("voice_id")
    if isinstance(voice, str) and voice and voice != store().settings().voice_id:
        installed = {voice_id for voice_id, _ in control().voices()}
        if voice not in installed:
            problems["voice_id"] = VOICE_RULE
    try:
        if problems:
            parse_settings_changes(changes, store().settings())
            raise SettingsError(problems)
        store().update_settings(changes)
    except SettingsError as err:
        raise fields_error({**err.errors, **problems}) from None
    return jsonify(effective_settings_dict())
