"""The JSON API for routines: bodies in the routine file's shape, plus a ``version``.

Each stored routine has a version that goes up by one with every save. A client sends
back the version it read (``If-Match: "3"`` or ``"version": 3``) and gets 409 when
someone saved in between, instead of silently replacing their work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue

from routines.errors import RoutineError
from routines.model import Routine
from routines.store import StoredRoutine, VersionConflict
from routines.validation import parse_routine
from web_config.api import fields_error, json_object
from web_config.context import store
from web_config.errors import ApiError, excerpt
from web_config.parsing import is_whole_number

bp = Blueprint("api_routines", __name__, url_prefix="/api/routines")

VERSION_RULE = "must be a whole number (the version you last read)"


def routine_dict(stored: StoredRoutine) -> dict[str, Any]:
    """A stored routine as the API shows it."""
    return {**stored.routine.to_dict(), "version": stored.version}


def _answer(stored: StoredRoutine, status: int = 200) -> Response:
    response = jsonify(routine_dict(stored))
    response.status_code = status
    response.set_etag(str(stored.version))
    return response


def _stored_or_404(routine_id: str) -> StoredRoutine:
    stored = store().get_routine(routine_id)
    if stored is None:
        raise ApiError(404, f"There is no routine with id {excerpt(routine_id)!r}.")
    return stored


def _expected_version(body: dict[str, Any] | None) -> int | None:
    """The version the client edited, from ``If-Match`` or the body's ``version`` (removed)."""
    from_body = None if body is None else body.pop("version", None)
    if from_body is not None and (type(from_body) is not int or from_body < 1):
        raise fields_error({"version": VERSION_RULE})
    if request.if_match.star_tag or not request.if_match:
        return from_body
    tags = request.if_match.as_set()
    # Nine digits hold any version a store will reach; more would only be slow to read.
    if len(tags) != 1 or not is_whole_number(next(iter(tags))) or len(next(iter(tags))) > 9:
        raise ApiError(400, 'If-Match must hold one version, e.g. If-Match: "3".')
    return int(next(iter(tags)))


def _parse(data: dict[str, Any]) -> Routine:
    try:
        return parse_routine(data)
    except RoutineError as err:
        raise fields_error(err.errors) from None


def _conflict(err: VersionConflict) -> ApiError:
    return ApiError(
        409,
        "This routine was saved by someone else after you read it; "
        "read it again and redo your change.",
        extra={"current": routine_dict(err.current)},
    )


@bp.route("")
def list_routines() -> Response:
    """Every routine, with the id of the active one; sent a routine at a time, as a full
    store would take the daemon past its memory budget as one document."""
    active = store().active_routine()
    active_id = active.routine.id if active is not None else None
    dumps = current_app.json.dumps

    def parts() -> Iterator[str]:
        yield '{"routines":['
        for i, stored in enumerate(store().each_routine()):
            yield ("," if i else "") + dumps(routine_dict(stored))
        yield '],"active":' + dumps(active_id) + "}"

    return Response(stream_with_context(parts()), mimetype="application/json")


@bp.route("", methods=["POST"])
def create() -> Response:
    """Store a new routine (an id is made from the name when none is given): 201."""
    body = json_object()
    # A routine read from this API and posted back as a copy carries a version: not an error.
    body.pop("version", None)
    routine = _parse(body)
    try:
        stored = store().create_routine(routine)
    except RoutineError as full:
        raise fields_error(full.errors) from None
    response = _answer(stored, 201)
    response.headers["Location"] = url_for(".get", routine_id=stored.routine.id)
    return response


@bp.route("/<routine_id>")
def get(routine_id: str) -> ResponseReturnValue:
    """One routine, its version also in the ETag."""
    return _answer(_stored_or_404(routine_id)).make_conditional(request)


@bp.route("/<routine_id>", methods=["PUT"])
def put(routine_id: str) -> Response:
    """Replace a routine; 409 when the version sent is not the stored one."""
    _stored_or_404(routine_id)
    body = json_object()
    expected = _expected_version(body)
    if body.setdefault("id", routine_id) != routine_id:
        raise fields_error({"id": f"must be {routine_id!r}, the id in the address"})
    routine = _parse(body)
    try:
        stored = store().save_routine(routine, expected_version=expected)
    except VersionConflict as err:
        raise _conflict(err) from None
    return _answer(stored)


@bp.route("/<routine_id>", methods=["DELETE"])
def delete(routine_id: str) -> tuple[str, int]:
    """Remove a routine (204); with a version, only if nobody saved it since."""
    stored = _stored_or_404(routine_id)
    expected = _expected_version(None)
    if expected is not None and expected != stored.version:
        raise _conflict(VersionConflict(stored))
    store().delete_routine(routine_id)
    return "", 204


@bp.route("/<routine_id>/activate", methods=["POST"])
def activate(routine_id: str) -> Response:
    """Make this the routine a press starts."""
    _stored_or_404(routine_id)
    store().set_active_routine(routine_id)
    return jsonify({"active": routine_id})
