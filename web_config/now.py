"""The Now page: the live session, and big buttons that drive it like the real button."""

from __future__ import annotations

from collections.abc import Hashable

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from device.events import PRESS_COUNTS, Action, Gesture, State
from web_config.api_checkin import record_pain
from web_config.auth import is_authorised
from web_config.context import control, store
from web_config.csrf import csrf_token
from web_config.dose_views import pending, profile_routine
from web_config.errors import ApiError
from web_config.session_access import session_buttons_locked

bp = Blueprint("now", __name__)

# The page's buttons. "press" is the button itself (whatever the user mapped it to);
# the others name what they do, so they work the same whatever the mapping.
CONTROLS: dict[str, Gesture | Action] = {
    "press": Gesture.PRESS,
    "back": Action.BACK,
    "repeat": Action.REPEAT,
    "pause": Action.PAUSE,
    "skip": Action.SKIP,
    "end": Action.END,
    "extend_rest": Action.EXTEND_REST,
}
STARTABLE = frozenset({State.IDLE, State.DONE})

STATE_WORDS: dict[str, str] = {
    State.IDLE: "Ready",
    State.INTRO: "Getting ready",
    State.SET: "Working",
    State.HOLD: "Holding",
    State.REST: "Resting",
    State.PAUSED: "Paused",
    State.DONE: "Finished",
}


# The Now page is the same for everyone while the session stands still, except for each
# browser's form token: it is rendered once per state with this mark where the token
# goes, and the mark replaced per request. Pages with a message to flash are not kept.
_TOKEN_MARK = "\x00form-token\x00"  # noqa: S105 - a placeholder, not a secret
_KEPT_PAGES = 16
_PAGES = "spotter.now_pages"


def _panel_context() -> dict[str, object]:
    status = control().status()
    active = store().active_routine()
    profiles = store().profiles()
    counted: tuple[tuple[str, str], ...] = ()
    if status.counted_clickers:
        actions = control().settings().settings.gesture_actions
        counted = tuple(
            (
                f"{n} press{'es' if n > 1 else ''}{' or more' if n == len(PRESS_COUNTS) else ''}",
                str(actions[g]) if g in actions else "nothing",
            )
            for n, g in enumerate(PRESS_COUNTS, start=1)
        )
    can_start = status.state in STARTABLE and status.question is None
    current = store().current_profile()
    return {
        "active_key": None if active is None else (active.routine.id, active.version),
        # The gestures of the clickers that cannot hold: counts of presses.
        "counted": counted,
        # With one profile nothing about people is shown.
        "profiles": profiles if len(profiles) > 1 else [],
        "current_profile": current,
        "status": status,
        "state_words": STATE_WORDS.get(status.state, str(status.state)),
        "active": active.routine if active is not None else None,
        # While Spotter asks something, the button (or the answer here) moves things on.
        "can_start": can_start,
        # Dose changes offered to the one training, answered here between workouts.
        "suggestions": tuple(pending(current, profile_routine(current))) if can_start else (),
        # While idle, saved progress means the engine is offering to resume a workout.
        "resumable": status.state is State.IDLE and store().load_progress() is not None,
    }


@bp.route("/")
def page() -> str:
    """The live session with its buttons."""
    locked = session_buttons_locked(is_authorised())
    context = _panel_context()
    if session.get("_flashes"):
        return render_template("now.html", locked=locked, controls=CONTROLS, **context)
    key: Hashable = (
        locked,
        context["status"],
        context["active_key"],
        context["resumable"],
        tuple(context["profiles"]),  # type: ignore[arg-type]
        context["current_profile"],
        context["counted"],
        context["suggestions"],
    )
    pages: dict[Hashable, str] = current_app.extensions.setdefault(_PAGES, {})
    html = pages.get(key)
    if html is None:
        html = render_template(
            "now.html",
            locked=locked,
            controls=CONTROLS,
            csrf_token=lambda: _TOKEN_MARK,
            **context,
        )
        if len(pages) >= _KEPT_PAGES:
            pages.clear()
        pages[key] = html
    return html.replace(_TOKEN_MARK, csrf_token())


@bp.route("/now/panel")
def panel() -> ResponseReturnValue:
    """Just the status part of the page, which the page's script fetches every second."""
    response = Response(render_template("now_panel.html", **_panel_context()))
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.route("/now/profile/<int:profile_id>", methods=["POST"])
def choose_profile(profile_id: int) -> ResponseReturnValue:
    """Say who is training from the phone: their routine, goal and history are used."""
    wants_json = request.accept_mimetypes.best == "application/json"
    if store().get_profile(profile_id) is None:
        raise ApiError(404, f"There is no profile with id {profile_id}.")
    if control().status().state not in STARTABLE:
        message = "Wait for this workout to end before changing who is training."
        if wants_json:
            return jsonify({"error": message, "fields": {}}), 409
        flash(message, "info")
        return redirect(url_for("now.page"))
    if control().status().question == "who":
        # Spotter is asking who is training: this answers it, and the workout starts.
        control().answer("who", profile_id)
    else:
        store().set_current_profile(profile_id)
    if wants_json:
        return jsonify({"current": profile_id}), 200
    return redirect(url_for("now.page"))


@bp.route("/now/pain/<any(before, after):moment>/<int:score>", methods=["POST"])
def pain(moment: str, score: int) -> ResponseReturnValue:
    """A pain score tapped on the page while Spotter asks (or for the workout under way)."""
    if score > 10:
        raise ApiError(404, "A pain score runs from 0 to 10.")
    record_pain(moment, score)
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"moment": moment, "score": score}), 200
    return redirect(url_for("now.page"))


def start_commands(state: State, *, fresh: bool) -> list[Action]:
    """What "start" asks of the engine: NEXT starts (or resumes a saved workout), SKIP starts
    afresh; after a summary either starts the next workout."""
    return [Action.SKIP if fresh else Action.NEXT]


_BUTTON_NAMES = "press, back, repeat, pause, skip, end, extend_rest, start, fresh"


@bp.route(f"/now/<any({_BUTTON_NAMES}):name>", methods=["POST"])
def press(name: str) -> ResponseReturnValue:
    """One of the page's buttons: queued for the engine exactly like the real button."""
    wants_json = request.accept_mimetypes.best == "application/json"
    commands: list[Gesture | Action]
    if name in ("start", "fresh"):
        state = control().status().state
        if state not in STARTABLE:
            if wants_json:
                return jsonify({"error": "A workout is already under way.", "fields": {}}), 409
            flash("A workout is already under way.", "info")
            return redirect(url_for("now.page"))
        commands = [*start_commands(state, fresh=name == "fresh")]
    elif name == "pause" and control().status().state is State.PAUSED:
        # On the page this is one "pause / resume" toggle; the engine's own pause
        # while paused asks whether to end, which the End button already does.
        commands = [Action.RESUME]
    else:
        commands = [CONTROLS[name]]
    for command in commands:
        if isinstance(command, Gesture):
            control().gesture(command)
        else:
            control().act(command)
    if wants_json:
        return jsonify({"queued": name}), 202
    return redirect(url_for("now.page"))
