"""Members press, owners configure: with the setting on (the default), the Now page's
session buttons and the button API drive the exercise in progress without the PIN (next,
back, repeat, pause and resume, a longer rest). Starting or ending a workout, answering
a question (who is training, a pain score) and every change to routines, settings or
data still need it: those are a member's record, not the exercise."""

from __future__ import annotations

from flask import request

from device.events import Action, Gesture, State, Status
from web_config.context import control, store

# What drives the workout in progress and nothing else.
SESSION_ENDPOINTS = frozenset({"now.press", "api.button"})
# The states of a workout under way; in the others a press starts or leaves one.
WORKOUT_STATES = frozenset({State.INTRO, State.SET, State.HOLD, State.REST, State.PAUSED})
MEMBER_ACTIONS = frozenset(
    {Action.NEXT, Action.BACK, Action.REPEAT, Action.PAUSE, Action.RESUME, Action.EXTEND_REST}
)
_PAGE_BUTTONS: dict[str, Gesture | Action] = {
    "press": Gesture.PRESS,
    "back": Action.BACK,
    "repeat": Action.REPEAT,
    "pause": Action.PAUSE,
    "extend_rest": Action.EXTEND_REST,
}


def _asked_for() -> Gesture | Action | None:
    """The command this session request asks for; None for one no member may send."""
    if request.endpoint == "now.press":
        name = str((request.view_args or {}).get("name"))
        if name == "pause" and control().status().state is State.PAUSED:
            return Action.RESUME  # the page's pause button is a toggle
        return _PAGE_BUTTONS.get(name)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return None
    if "action" in data:
        return next((a for a in Action if a.value == data["action"]), None)
    return next((g for g in Gesture if g.value == data.get("gesture")), None)


def drives_the_exercise(command: Gesture | Action | None, status: Status) -> bool:
    """Whether ``command`` only moves the workout in progress along: never while a question
    is asked (a press answers it), never to start or end one."""
    if command is None or status.question is not None or status.state not in WORKOUT_STATES:
        return False
    if isinstance(command, Gesture):
        command = control().settings().settings.gesture_actions.get(command)
    if command is Action.PAUSE and status.state is State.PAUSED:
        return False  # pausing again asks whether to end the workout
    return command in MEMBER_ACTIONS


def open_to_members() -> bool:
    """Whether this request is a session button that the setting leaves open to everyone.
    A request that brings a PIN is judged by it: a wrong one is refused, not overlooked."""
    return (
        request.endpoint in SESSION_ENDPOINTS
        and request.authorization is None
        and store().settings().open_session_buttons
        and drives_the_exercise(_asked_for(), control().status())
    )


def session_buttons_locked(authorised: bool) -> bool:
    """Whether the Now page must ask for the PIN before its buttons work."""
    settings = store().settings()
    return bool(settings.pin_hash) and not authorised and not settings.open_session_buttons
