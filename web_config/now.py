"""The Now page: the live session, and big buttons that drive it like the real button."""

from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from device.events import Action, Gesture, State
from web_config.auth import current_pin_hash, is_authorised
from web_config.context import control, store

bp = Blueprint("now", __name__)

# The page's buttons. "press" is the button itself (whatever the user mapped it to);
# the others name what they do, so they work the same whatever the mapping.
CONTROLS: dict[str, Gesture | Action] = {
    "press": Gesture.PRESS,
    "repeat": Action.REPEAT,
    "pause": Action.PAUSE,
    "skip": Action.SKIP,
    "end": Action.END,
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


def _panel_context() -> dict[str, object]:
    status = control().status()
    active = store().active_routine()
    return {
        "status": status,
        "state_words": STATE_WORDS.get(status.state, str(status.state)),
        "active": active.routine if active is not None else None,
        "can_start": status.state in STARTABLE,
        # While idle, saved progress means the engine is offering to resume a workout.
        "resumable": status.state is State.IDLE and store().load_progress() is not None,
    }


@bp.route("/")
def page() -> str:
    """The live session with its buttons."""
    return render_template(
        "now.html",
        locked=bool(current_pin_hash()) and not is_authorised(),
        controls=CONTROLS,
        **_panel_context(),
    )


@bp.route("/now/panel")
def panel() -> ResponseReturnValue:
    """Just the status part of the page, which the page's script fetches every second."""
    response = Response(render_template("now_panel.html", **_panel_context()))
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


def start_commands(state: State, *, fresh: bool) -> list[Action]:
    """What "start" asks of the engine: NEXT starts (or resumes a saved workout), SKIP starts
    afresh. After a summary the engine first wants a press to get back to ready."""
    back_to_ready = [Action.NEXT] if state is State.DONE else []
    return [*back_to_ready, Action.SKIP if fresh else Action.NEXT]


@bp.route("/now/<any(press, repeat, pause, skip, end, start, fresh):name>", methods=["POST"])
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
        commands = [Action.NEXT]
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
