"""``POST /api/checkin``: a pain score from the phone, counted once wherever it lands."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from device.events import State
from web_config.api import fields_error, json_object
from web_config.context import control, link, store
from web_config.errors import ApiError

bp = Blueprint("api_checkin", __name__, url_prefix="/api")

MOMENTS = ("before", "after")
IDLE = frozenset({State.IDLE, State.DONE})


def _checked() -> tuple[str, int]:
    body = json_object()
    problems = {
        k: "unknown field (known: moment, score)" for k in body if k not in ("moment", "score")
    }
    moment, score = body.get("moment"), body.get("score")
    if moment not in MOMENTS:
        problems["moment"] = "must be before or after" if "moment" in body else "is required"
    if type(score) is not int or not 0 <= score <= 10:
        problems["score"] = (
            "must be a whole number from 0 to 10" if "score" in body else "is required"
        )
    if problems:
        raise fields_error(problems)
    assert isinstance(moment, str) and isinstance(score, int)
    return moment, score


def record_pain(moment: str, score: int) -> int | None:
    """Answer the question Spotter is asking, else record on the workout under way, else
    (an after-score) on the profile's workout finished lately (the daemon says how lately):
    the id of that workout, or None when the daemon took it. 409 when there is nowhere to
    put it."""
    status = control().status()
    if status.question == f"pain_{moment}" or status.state not in IDLE:
        control().answer(f"pain_{moment}", score)
        return None
    if moment == "after":
        profile = store().current_profile()
        since = control().late_score_since(link().clock())
        recent = store().history(1, profile_id=profile.id, since=since)
        if recent and recent[0].id is not None:
            return store().set_pain(recent[0].id, "after", score).id
    raise ApiError(
        409,
        "There is no workout to record this on: a before-score goes with a workout under way, "
        "an after-score with one under way or finished in the last two hours.",
    )


@bp.route("/checkin", methods=["POST"])
def checkin() -> Response:
    """A pain score from the phone, counted once wherever it lands."""
    moment, score = _checked()
    workout = record_pain(moment, score)
    return jsonify({"moment": moment, "score": score, "workout": workout})
