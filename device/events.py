"""The vocabulary shared by the button, the session engine, the voice and the web page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final

from routines.model import DEFAULT_GESTURE_ACTIONS, Action, Gesture

__all__ = [
    "DEFAULT_GESTURE_ACTIONS",
    "Action",
    "Gesture",
    "Heard",
    "Line",
    "Speech",
    "State",
    "Status",
]


class State(StrEnum):
    IDLE = "idle"
    INTRO = "intro"
    SET = "set"
    HOLD = "hold"
    REST = "rest"
    PAUSED = "paused"
    DONE = "done"


class Moment(StrEnum):
    """A moment a short tone can mark, beside or instead of its words (the voice's setting)."""

    REP = "rep"  # a rep counted
    HOLD_STARTED = "hold_started"
    HOLD_ENDED = "hold_ended"
    REST_OVER = "rest_over"
    SET_DONE = "set_done"
    WORKOUT_DONE = "workout_done"
    PHASE = "phase"  # a paced rep moves to its next phase ("up", "down")
    # A press was heard: said at once, its words following once no double can.
    PRESS = "press"

    @property
    def replaces_words(self) -> bool:
        """True if the tone says all the line does; the line after a rest says what comes
        next, so its words stay even when tones are chosen."""
        return self is not Moment.REST_OVER


# A clicker that cannot hold counts presses instead: one, two, three, four or more
# presses stand for these gestures, in this order.
PRESS_COUNTS: Final = (Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD)


@dataclass(frozen=True, slots=True)
class Line:
    """A sentence to speak. ``interrupt`` lines answer the button and cut speech short;
    the others were scheduled by time and wait for the sentence in progress. ``moment``
    names the moment the line marks, for a tone."""

    text: str
    interrupt: bool = False
    # A timed line's clock time: the voice drops it once it would come more than a
    # second late, unless ``keep`` (the lines that end a hold or a rest).
    due: float | None = None
    keep: bool = False
    moment: Moment | None = None
    # Stamped by the engine, so that the voice can say when this line was heard.
    id: int | None = None


class Heard(StrEnum):
    """What became of a line at the sound device."""

    STARTED = "started"  # its first sound reached the device
    ENDED = "ended"  # its last sound has played, or it was cut short
    DROPPED = "dropped"  # it never sounded (cut before its turn, or too late to say)


@dataclass(frozen=True, slots=True)
class Speech:
    """The voice's report on line ``line`` (a ``Line.id``): what the trainee heard, and when,
    on the engine's clock. The engine times everything that depends on what was heard by
    these reports, not by when it handed the line over."""

    line: int
    heard: Heard
    at: float


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
    # The question Spotter is asking, answered by the button or the page: "who",
    # "pain_before", "pain_after" or "dose" (see device.engine.checkin.Question).
    question: str | None = None
    # The body part a pain question asks about ("knee"), while one is asked.
    checkin_area: str | None = None
    # What the button's press does now ("start the hold"), and during a rest the set that
    # follows it: the page shows both so nobody has to guess.
    press_does: str | None = None
    next_up: str | None = None
    # The clickers that cannot hold (set so, or found out from a press), whose gestures
    # are counts of presses: the page shows their table.
    counted_clickers: tuple[str, ...] = ()
    # The clickers connected now, by name (the LED blinks twice for each newcomer).
    connected_clickers: tuple[str, ...] = ()

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
                for k in (
                    "set",
                    "sets",
                    "side",
                    "rep",
                    "reps",
                    "remaining_seconds",
                    "last_spoken",
                    "question",
                    "checkin_area",
                    "press_does",
                    "next_up",
                )
            },
            "counted_clickers": list(self.counted_clickers),
            "connected_clickers": list(self.connected_clickers),
        }
