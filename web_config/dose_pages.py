"""The page side of doses: the Now page's answer to a suggested change, and the People
page's lock. Each posts a form (or, from the Now page's script, asks for JSON) and comes
back to its page."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue

from routines.profiles import Profile
from web_config.context import control, store
from web_config.dose_history import dose_words
from web_config.dose_views import (
    answer_suggestion,
    lock_dose,
    profile_routine,
    suggestion_sentence,
)
from web_config.errors import ApiError

bp = Blueprint("doses", __name__)
bp.add_app_template_global(dose_words)
bp.add_app_template_global(suggestion_sentence)


def _profile_or_404(profile_id: int) -> Profile:
    profile = store().get_profile(profile_id)
    if profile is None:
        raise ApiError(404, "There is no such person.")
    return profile


@bp.route(
    "/now/suggestion/<int:profile_id>/<int:suggestion_id>/<any(accepted, declined):answer>",
    methods=["POST"],
)
def answer(profile_id: int, suggestion_id: int, answer: str) -> ResponseReturnValue:
    """Agree to a suggested dose, or keep the one there is."""
    profile = _profile_or_404(profile_id)
    answered = answer_suggestion(profile, suggestion_id, answer)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"answer": answered.answer}), 200
    words = "changed from the next workout" if answer == "accepted" else "kept as it is"
    flash(f"{profile.name}'s dose of {answered.exercise} is {words}.", "ok")
    return redirect(url_for("now.page"))


@bp.route("/now/dose/<any(agree, keep):choice>", methods=["POST"])
def answer_asked(choice: str) -> ResponseReturnValue:
    """Answer the change of dose Spotter is offering aloud right now, as a press (agree) or
    a hold (keep) would; 409 when it is not asking."""
    if control().status().question != "dose":
        raise ApiError(409, "Spotter is not offering a change of dose now.")
    control().answer("dose", 1 if choice == "agree" else 0)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"answer": choice}), 200
    return redirect(url_for("now.page"))


@bp.route("/people/<int:profile_id>/lock", methods=["POST"])
def lock(profile_id: int) -> ResponseReturnValue:
    """Keep a person's dose of an exercise where it is, or let it grow again."""
    profile = _profile_or_404(profile_id)
    locked = request.form.get("locked") == "yes"
    exercise = request.form.get("exercise", "")
    lock_dose(profile, profile_routine(profile), exercise, locked)
    flash(
        f"{profile.name}'s dose of {exercise} "
        + ("is kept where it is." if locked else "may grow again."),
        "ok",
    )
    return redirect(url_for("people.page") + f"#person-{profile.id}")
