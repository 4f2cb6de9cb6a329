"""The vocabulary shared by the button, the session engine, the voice and the web page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Gesture(StrEnum):
    """What the one button can say, decided by ``device.engine.gestures.GestureDetector``."""

    PRESS = "press"
    DOUBLE = "double"
    HOLD = "hold"
    LONG_HOLD = "long_hold"


class Action(StrEnum):
    """What the session engine is asked to do; settings map each gesture to one."""

    NEXT = "next"
    SKIP = "skip"
    REPEAT = "repeat"
    PAUSE = "pause"
    END = "end"


DEFAULT_GESTURE_ACTIONS: dict[Gesture, Action] = {
    Gesture.PRESS: Action.NEXT,
    Gesture.DOUBLE: Action.SKIP,
    Gesture.HOLD: Action.REPEAT,
    Gesture.LONG_HOLD: Action.PAUSE,
}


def actions_by_name(names: Mapping[str, str]) -> dict[Gesture, Action]:
    """The settings' gesture-to-action mapping (plain names) in these types."""
    return {Gesture(g): Action(a) for g, a in names.items()}


class State(StrEnum):
    IDLE = "idle"
    INTRO = "intro"
    SET = "set"
    HOLD = "hold"
    REST = "rest"
    PAUSED = "paused"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Line:
    """A sentence to speak. ``interrupt`` lines answer the button and cut speech short;
    the others were scheduled by time and wait for the sentence in progress."""

    text: str
    interrupt: bool = False


@dataclass(frozen=True, slots=True)
class Status:
    """A snapshot of the session, exactly what the phone page and ``/api/status`` show."""

    state: State = State.IDLE
    routine_id: str | None = None
    routine_name: str | None = None
    exercise_index: int | None = None
    exercise_name: str | None = None
    set: int | None = None
    sets: int | None = None
    side: str | None = None
    rep: int | None = None
    reps: int | None = None
    remaining_seconds: int | None = None
    last_spoken: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``GET /api/status`` body."""
        raw = asdict(self)
        return {
            "state": str(self.state),
            "routine": (
                {"id": self.routine_id, "name": self.routine_name}
                if self.routine_id is not None
                else None
            ),
            "exercise": (
                {"index": self.exercise_index, "name": self.exercise_name}
                if self.exercise_index is not None
                else None
            ),
            **{
                k: raw[k]
                for k in ("set", "sets", "side", "rep", "reps", "remaining_seconds", "last_spoken")
            },
        }
