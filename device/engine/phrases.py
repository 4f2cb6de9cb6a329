"""The phrasebook: every sentence Spotter says, and nothing that decides when to say it.

Sentences are short and plain because espeak-ng reads them aloud. A function
returns one sentence per line: lines that recur (rep counts, countdown
numbers, "Set done.") are then the same text each time, so each is rendered
to audio once and a press plays it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture
from routines.model import Exercise, Side

_GESTURE_WORDS: dict[Gesture, str] = {
    Gesture.PRESS: "press",
    Gesture.DOUBLE: "double-press",
    Gesture.HOLD: "hold",
    Gesture.LONG_HOLD: "long-hold",
}


@dataclass(frozen=True, slots=True)
class ButtonWords:
    """How prompts name the gesture that does each action: settings may remap them, and
    "press to carry on" must stay true. None: no gesture does that action."""

    next: str = "press"
    skip: str | None = "double-press"
    pause: str | None = "long-hold"

    @classmethod
    def for_actions(cls, actions: Mapping[Gesture, Action]) -> ButtonWords:
        """The words for a gesture-to-action mapping (the first gesture wins a tie)."""

        def word(action: Action) -> str | None:
            return next((_GESTURE_WORDS[g] for g in Gesture if actions.get(g) is action), None)

        # Settings always map some gesture to next; "press" is only a fallback.
        return cls(
            next=word(Action.NEXT) or "press", skip=word(Action.SKIP), pause=word(Action.PAUSE)
        )


DEFAULT_WORDS = ButtonWords.for_actions(DEFAULT_GESTURE_ACTIONS)


def _cap(word: str) -> str:
    """A gesture's word at the start of a sentence."""
    return word[:1].upper() + word[1:]


# -- waiting and starting ---------------------------------------------------------------------


def greeting(routine_name: str, words: ButtonWords = DEFAULT_WORDS) -> str:
    """Idle: what a press will start."""
    return f"Ready. {_cap(words.next)} the button to start {routine_name}."


def no_routine() -> str:
    """Idle with nothing to start."""
    return "There is no routine to start yet. Choose one on the web page."


def address(url: str | None) -> str:
    """Where the phone page lives, read out the way it is typed into a phone's browser."""
    if not url:
        return "The web page has no address yet. Check that Spotter is on your network."
    typed = url.removeprefix("http://").rstrip("/")
    # espeak reads "192.168.1.20" as a decimal number; say each dot and colon instead.
    spoken = typed.replace(".", " dot ").replace(":", " colon ")
    return f"On your phone, open {spoken}."


def resume_offer(
    routine_name: str,
    exercise_name: str,
    set_number: int,
    sets: int,
    words: ButtonWords = DEFAULT_WORDS,
) -> list[str]:
    """At start-up, when a workout was cut short."""
    over = f", or {words.skip} to start over." if words.skip else "."
    return [
        f"You stopped part way through {routine_name}, at {exercise_name}, "
        f"set {set_number} of {sets}.",
        f"{_cap(words.next)} to carry on{over}",
    ]


def resuming() -> str:
    return "Picking up where you left off."


# -- exercises and sets ----------------------------------------------------------------------


def _spoken_list(items: tuple[str, ...]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def exercise_intro(
    exercise: Exercise,
    number: int,
    total: int,
    *,
    with_cues: bool = False,
    words: ButtonWords = DEFAULT_WORDS,
) -> list[str]:
    """Said once per exercise: its name, what it needs and how to get set up.

    ``with_cues`` adds the movement cues, for when the user asks to hear it again.
    """
    lines = [f"Exercise {number} of {total}: {exercise.name}."]
    if exercise.equipment:
        lines.append(f"You need: {_spoken_list(exercise.equipment)}.")
    lines.extend(_sentence(cue) for cue in exercise.setup)
    if with_cues:
        lines.extend(_sentence(cue) for cue in exercise.cues)
    lines.append(f"{_cap(words.next)} when you are in position.")
    return lines


def side_name(side: Side) -> str:
    return f"{side.capitalize()} side."


def task(exercise: Exercise, words: ButtonWords = DEFAULT_WORDS) -> str:
    """What the user does next in a set, and what the button means meanwhile."""
    if exercise.hold_seconds is not None:
        return f"{_cap(words.next)} to start the {exercise.hold_seconds} second hold."
    what = "after each rep" if exercise.count == "per_rep" else "when the set is done"
    return f"{exercise.reps} reps. {_cap(words.next)} {what}."


def set_announcement(
    exercise: Exercise, set_number: int, side: Side | None, words: ButtonWords = DEFAULT_WORDS
) -> list[str]:
    """The start of a set: which one, which side, how to move and what to press."""
    lines = [
        "Final set." if set_number == exercise.sets else f"Set {set_number} of {exercise.sets}."
    ]
    if side is not None:
        lines.append(side_name(side))
    lines.extend(_sentence(cue) for cue in exercise.cues)
    lines.append(task(exercise, words))
    return lines


def switch_side(exercise: Exercise, side: Side, words: ButtonWords = DEFAULT_WORDS) -> list[str]:
    """Between the two sides of one set: no rest, straight on."""
    return [f"Switch to the {side} side.", task(exercise, words)]


def count(number: int) -> str:
    """A rep count or a countdown number: the same few texts, rendered once."""
    return str(number)


def set_done() -> str:
    return "Set done."


# -- holds and rests -------------------------------------------------------------------------


def hold_start(seconds: int) -> str:
    return f"Hold for {seconds} seconds."


def halfway() -> str:
    return "Halfway there."


def release() -> str:
    return "And release."


def keep_holding(exercise: Exercise, words: ButtonWords = DEFAULT_WORDS) -> list[str]:
    """Asked to repeat during a hold."""
    return [
        *(_sentence(cue) for cue in exercise.cues),
        f"Keep holding. {_cap(words.next)} to let go early.",
    ]


def rest(seconds: int) -> str:
    return f"Rest for {seconds} seconds."


def up_next(exercise_name: str) -> str:
    """During the rest before a new exercise, so the user can get it ready."""
    return f"Next up: {exercise_name}."


def resting(words: ButtonWords = DEFAULT_WORDS) -> str:
    """Asked to repeat during a rest."""
    return f"Resting. {_cap(words.next)} to skip the rest."


# -- pause and end ---------------------------------------------------------------------------


def paused(words: ButtonWords = DEFAULT_WORDS) -> str:
    return f"Paused. {_cap(words.next)} to carry on."


def resumed() -> str:
    return "Carrying on."


def confirm_end(words: ButtonWords = DEFAULT_WORDS) -> str:
    if words.pause is None:  # only the page can end it then
        return f"End the workout on the web page, or {words.next} to carry on."
    return f"{_cap(words.pause)} again to end the workout, or {words.next} to carry on."


def ended() -> str:
    return "Workout ended."


def complete() -> str:
    return "Workout complete. Well done."


def _plural(number: int, word: str) -> str:
    return f"{number} {word}" if number == 1 else f"{number} {word}s"


def summary(exercises: int, sets: int, seconds: float) -> str:
    """What was done, and how long it took (pauses left out)."""
    minutes = round(seconds / 60)
    took = "under a minute" if minutes < 1 else _plural(minutes, "minute")
    return f"You did {_plural(exercises, 'exercise')} and {_plural(sets, 'set')} in {took}."


def weekly_progress(sessions: int, goal: int | None, *, counted: bool) -> str:
    """The week so far against the goal; ``counted`` says whether this workout is among them."""
    if not counted:
        if goal is None:
            return f"So far this week: {_plural(sessions, 'finished session')}."
        return f"So far this week: {sessions} of {goal} sessions."
    if goal is None:
        if sessions == 1:
            return "That is your first session this week."
        return f"That is {sessions} sessions this week."
    if sessions < goal:
        return f"That is {sessions} of {goal} sessions this week."
    if sessions == goal:
        return f"That is {sessions} of {goal} sessions. This week's goal is met."
    return f"That is {sessions} sessions this week, beyond your goal of {goal}."
