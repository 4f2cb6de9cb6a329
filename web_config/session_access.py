"""Members press, owners configure: with the setting on (the default), the Now page's
session buttons and the button API drive the exercise in progress without the PIN (next,
back, repeat, pause and resume, a longer rest). Starting or ending a workout, answering
a question (who is training, a pain score) and every change to routines, settings or
data still need it: those are a member's record, not the exercise. The owner may open
starting and ending workouts too (``members_start_workouts``); never the questions."""

from __future__ import annotations

from flask import request

from device.events import Action, Gesture, State, Status
from routines.settings import Settings
from web_config.context import control, store

# What drives the workout in progress and nothing else.
SESSION_ENDPOINTS = frozenset({"now.press", "api.button"})
# The states of a workout under way; in the others a press starts or leaves one.
WORKOUT_STATES = frozenset({State.INTRO, State.SET, State.HOLD, State.REST, State.PAUSED})
MEMBER_ACTIONS = frozenset(
    {Action.NEXT, Action.BACK, Action.REPEAT, Action.PAUSE, Action.RESUME, Action.EXTEND_REST}
)
# What starts a workout (NEXT, or SKIP for afresh) and what ends or cuts one short.
START_ACTIONS = frozenset({Action.NEXT, Action.SKIP})
END_ACTIONS = frozenset({Action.END, Action.SKIP})
_PAGE_BUTTONS: dict[str, Gesture | Action] = {
    "press": Gesture.PRESS,
    "back": Action.BACK,
    "repeat": Action.REPEAT,
    "pause": Action.PAUSE,
    "extend_rest": Action.EXTEND_REST,
    "start": Action.NEXT,
    "fresh": Action.SKIP,
    "skip": Action.SKIP,
    "end": Action.END,
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


def member_may(command: Gesture | Action | None, status: Status, settings: Settings) -> bool:
    """Whether a member without the PIN may send ``command`` now: what moves the workout
    in progress along, and, where the owner allows it, what starts or ends one. Never
    while a question is asked (a press answers it)."""
    if command is None or status.question is not None:
        return False
    if isinstance(command, Gesture):
        command = settings.gesture_actions.get(command)
    if status.state not in WORKOUT_STATES:
        return settings.members_start_workouts and command in START_ACTIONS
    if settings.members_start_workouts and command in END_ACTIONS:
        return True
    if command is Action.PAUSE and status.state is State.PAUSED:
        return False  # pausing again asks whether to end the workout
    return command in MEMBER_ACTIONS


def open_to_members() -> bool:
    """Whether this request is a session button that the setting leaves open to everyone.
    A request that brings a PIN is judged by it: a wrong one is refused, not overlooked."""
    if request.endpoint not in SESSION_ENDPOINTS or request.authorization is not None:
        return False
    settings = control().settings().settings
    return settings.open_session_buttons and member_may(_asked_for(), control().status(), settings)


def session_buttons_locked(authorised: bool) -> bool:
    """Whether the Now page must ask for the PIN before its buttons work."""
    settings = store().settings()
    return bool(settings.pin_hash) and not authorised and not settings.open_session_buttons
