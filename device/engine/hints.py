"""What the phone page shows beside the live figures: what a press of the button does now,
and, during a rest, the set that follows it. Words for the page, never spoken."""

from __future__ import annotations

from device.engine.state import SessionState
from device.events import Action, State
from routines.model import Exercise, Routine

# What an action other than "next" does, whatever the state (settings may put it on a press).
_ACTION_DOES: dict[Action, str] = {
    Action.BACK: "go back a step",
    Action.SKIP: "skip this exercise",
    Action.REPEAT: "hear that again",
    Action.PAUSE: "pause",
    Action.RESUME: "carry on",
    Action.END: "end the workout",
    Action.EXTEND_REST: "rest 15 seconds longer",
}


def press_does(s: SessionState, action: Action | None, idle_routine: Routine | None) -> str | None:
    """What the button's press does in this state, in a few words; None: nothing useful."""
    if action is None:
        return None
    if s.state is State.PAUSED:
        return "carry on" if action in (Action.NEXT, Action.RESUME) else _ACTION_DOES.get(action)
    if action is not Action.NEXT:
        return _ACTION_DOES[action]
    if s.state is State.IDLE:
        if s.offer is not None:
            return "carry on where you stopped"
        return None if idle_routine is None else f"start {idle_routine.name}"
    if s.state is State.DONE:
        return "start the next workout"
    if s.state is State.REST:
        return "skip the rest"
    if s.state is State.HOLD:
        return "let go early"
    if s.state is State.INTRO:
        return "start the first set"
    return _in_set(s.current, s)


def _in_set(ex: Exercise, s: SessionState) -> str:
    if ex.hold_seconds is not None:
        return "start the hold"
    if ex.count == "per_set":
        return "say the set is done"
    if ex.is_paced:
        return "stop the set early" if s.pacing else "start the pacing"
    if ex.reps is not None and s.rep + 1 >= ex.reps:
        return "count the last rep"
    return "count a rep"


def answers(question: str, *, asked: bool = True) -> str:
    """What a press does while a question is read out, option by option; not ``asked`` yet:
    what the press that asks it does."""
    if not asked:
        return "say who is training"
    if question == "dose":
        return "agree to the change (hold: keep the dose)"
    return "choose the name you hear" if question == "who" else "choose the number you hear"


def next_up(s: SessionState) -> str | None:
    """During a rest, the set it leads to ("Set 2 of 3, right side: 10 reps")."""
    if s.running is not State.REST or s.routine is None:
        return None
    ex = s.current
    side = ex.side_sequence[s.side]
    dose = f"{ex.hold_seconds} s hold" if ex.hold_seconds is not None else f"{ex.reps} reps"
    if s.set_number == 1 and s.side == 0:
        sets = "1 set" if ex.sets == 1 else f"{ex.sets} sets"
        each = ", each side" if side is not None else ""
        return f"{ex.name}: {sets} of {dose}{each}"
    where = f"Set {s.set_number} of {ex.sets}"
    if side is not None:
        where += f", {side} side"
    return f"{where}: {dose}"
