"""The People page: add, rename and remove the profiles of those who train here."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from device.events import State
from routines.profiles import ProfileError, parse_profile_changes
from routines.store import ProfileInUse
from web_config.auth import login_required
from web_config.context import control, store
from web_config.dose_views import exercise_doses, profile_routine
from web_config.errors import ApiError
from web_config.routine_form import number_or_text

bp = Blueprint("people", __name__, url_prefix="/people")


def _doses() -> dict[int, tuple[str, list[object]]]:
    """Each person's routine name and their dose of each of its exercises with rules."""
    found: dict[int, tuple[str, list[object]]] = {}
    for person in store().profiles():
        routine = profile_routine(person)
        mine = [] if routine is None else exercise_doses(person, routine)
        if routine is not None and mine:
            found[person.id] = (routine.name, list(mine))
    return found


def _page(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "people.html",
            doses=_doses(),
            people=store().profiles(),
            current=store().current_profile().id,
            workouts=store().workouts_per_profile(),
            routines=[stored.routine for stored in store().list_routines()],
            clickers=control().clickers(),
            clicker_of={owner: name for name, owner in store().clicker_owners().items()},
            errors=errors or {},
        ),
        status,
    )


def _fields(*, creating: bool) -> dict[str, object]:
    data: dict[str, object] = {"name": request.form.get("name", "")}
    if "weekly_goal" in request.form:
        goal = request.form["weekly_goal"].strip()
        data["weekly_goal"] = None if goal == "" else number_or_text(goal)
    if "routine_id" in request.form:
        # Blank: no choice of their own, so the first routine (as for a new person).
        data["routine_id"] = request.form["routine_id"] or None
    return parse_profile_changes(data, creating=creating)


def _clicker_choice() -> tuple[bool, str | None]:
    """Whether the form chose a clicker, and which (None: none); ``ProfileError`` for one
    that is not the page's to give (unknown, or given an owner by the config file)."""
    if "clicker" not in request.form:
        return False, None
    chosen = request.form["clicker"] or None
    free = {c.name for c in control().clickers() if c.pinned_owner is None}
    if chosen is not None and chosen not in free:
        raise ProfileError({"clicker": f"{chosen!r} is not a clicker the page can give out"})
    return True, chosen


@bp.route("/")
@login_required
def page() -> ResponseReturnValue:
    """Everyone who trains here."""
    return _page()


@bp.route("/", methods=["POST"])
@login_required
def add() -> ResponseReturnValue:
    """Add a person; a bad or taken name is shown beside the field."""
    try:
        profile = store().create_profile(_fields(creating=True))
    except ProfileError as err:
        return _page({f"new-{k}": v for k, v in err.errors.items()}, 422)
    flash(f"Added {profile.name}.", "ok")
    return redirect(url_for(".page"))


@bp.route("/<int:profile_id>", methods=["POST"])
@login_required
def change(profile_id: int) -> ResponseReturnValue:
    """Rename a person, or change their weekly goal or their own routine."""
    if store().get_profile(profile_id) is None:
        raise ApiError(404, "There is no such person.")
    try:
        fields = _fields(creating=False)
        chose, clicker = _clicker_choice()
        profile = store().update_profile(profile_id, fields)
    except ProfileError as err:
        return _page({f"{profile_id}-{k}": v for k, v in err.errors.items()}, 422)
    had = {owner: name for name, owner in store().clicker_owners().items()}.get(profile_id)
    if chose and clicker != had:
        store().set_clicker(profile_id, clicker)
    flash(f"Saved {profile.name}.", "ok")
    return redirect(url_for(".page"))


@bp.route("/pair-clicker", methods=["POST"])
@login_required
def pair_clicker() -> ResponseReturnValue:
    """Ask the daemon to pair a new Bluetooth clicker; it says each step aloud."""
    if control().status().state != State.IDLE:
        flash("A clicker can be paired between workouts.", "error")
        return redirect(url_for(".page"))
    control().pair_clicker()
    flash("Pairing: listen to Spotter, and wake your clicker now.", "ok")
    return redirect(url_for(".page"))


@bp.route("/<int:profile_id>/delete", methods=["POST"])
@login_required
def delete(profile_id: int) -> ResponseReturnValue:
    """Remove a person; one with workouts only with the box ticked, and it says how many went."""
    profile = store().get_profile(profile_id)
    if profile is None:
        raise ApiError(404, "There is no such person.")
    try:
        gone = store().delete_profile(profile_id, with_history="confirm" in request.form)
    except ProfileInUse as err:
        if err.workouts:
            message = (
                f"{profile.name} has {err.workouts} workout{'' if err.workouts == 1 else 's'}: "
                "tick the box to delete them too."
            )
        else:
            message = "The last person cannot be removed: rename them instead."
        return _page({f"{profile_id}-delete": message}, 409)
    flash(
        f"Removed {profile.name}"
        + (f" and {gone} workout{'' if gone == 1 else 's'}." if gone else "."),
        "ok",
    )
    return redirect(url_for(".page"))
