"""The phrasebook: every sentence Spotter says, and nothing that decides when to say it.

Sentences are short and plain because espeak-ng reads them aloud. A function
returns one sentence per line: lines that recur (rep counts, countdown
numbers, "Set done.") are then the same text each time, so each is rendered
to audio once and a press plays it at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Moment
from routines.model import DEFAULT_CHECKIN_AREA, Exercise, Side


class Marked(str):
    """A sentence that marks a moment of the workout, which a tone can mark too.

    Still a plain ``str`` everywhere (scripts, previews, what the page shows);
    the session reads ``moment`` when it turns sentences into lines.
    """

    moment: Moment

    def __new__(cls, text: str, moment: Moment) -> Marked:
        marked = super().__new__(cls, text)
        marked.moment = moment
        return marked

    def __getnewargs__(self) -> tuple[str, Moment]:  # type: ignore[override]
        # What copy and pickle rebuild it from (a status is deep-copied into JSON).
        return (str(self), self.moment)


def moment_of(text: str) -> Moment | None:
    """The moment ``text`` marks, if any."""
    return text.moment if isinstance(text, Marked) else None


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
    skip: str | None = None
    pause: str | None = "long-hold"
    back: str | None = "double-press"
    repeat: str | None = "hold"

    @classmethod
    def for_actions(cls, actions: Mapping[Gesture, Action]) -> ButtonWords:
        """The words for a gesture-to-action mapping (the first gesture wins a tie)."""

        def word(action: Action) -> str | None:
            return next((_GESTURE_WORDS[g] for g in Gesture if actions.get(g) is action), None)

        # Settings always map some gesture to next; "press" is only a fallback.
        return cls(
            next=word(Action.NEXT) or "press",
            skip=word(Action.SKIP),
            pause=word(Action.PAUSE),
            back=word(Action.BACK),
            repeat=word(Action.REPEAT),
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


def data_restored(how: str) -> str:
    """Once, at the start after the store was found damaged: ``how`` is what was done."""
    if how == "restored from its backup":
        return "My saved data was damaged, so I restored it from my last backup."
    return "My saved data was damaged and there was no good backup, so I started afresh."


def address(urls: Sequence[str] | str | None) -> str:
    """Where the phone page lives, read out the way it is typed into a phone's browser:
    the first address (the ``.local`` name), then the next one in case names do not work."""
    if isinstance(urls, str):
        urls = [urls]
    if not urls:
        return "The web page has no address yet. Check that Spotter is on your network."
    first, *others = (_spoken_url(url) for url in urls)
    if not others:
        return f"On your phone, open {first}."
    return f"On your phone, open {first}. If that does not open, use {others[0]}."


def _spoken_url(url: str) -> str:
    typed = url.removeprefix("http://").rstrip("/")
    # espeak reads "192.168.1.20" as a decimal number; say each dot and colon instead.
    return typed.replace(".", " dot ").replace(":", " colon ")


def pin_clear_offer() -> str:
    """After the long hold at start-up, when a web PIN is set."""
    return "To clear the web page's PIN, press the button once now. To keep it, do nothing."


def pin_cleared() -> str:
    return (
        "The PIN is cleared. Anyone on this network can change things on the web page "
        "until a new PIN is set."
    )


def pin_kept() -> str:
    return "The PIN stays as it was."


def _place(exercise_name: str, set_number: int, sets: int, side: Side | None, rep: int) -> str:
    """Where a workout stands: "glute hip thrusts, set 2 of 3, right side, rep 4"."""
    place = f"{exercise_name}, set {set_number} of {sets}"
    if side is not None:
        place += f", {side} side"
    if rep > 1:
        place += f", rep {rep}"
    return place


def resume_offer(
    routine_name: str,
    exercise_name: str,
    set_number: int,
    sets: int,
    words: ButtonWords = DEFAULT_WORDS,
    *,
    side: Side | None = None,
    rep: int = 0,
) -> list[str]:
    """At start-up, when a workout was cut short: where it stopped, and how to go on.
    ``rep`` is the rep that was under way (0 or 1: the set's start)."""
    restart = words.repeat or words.skip
    over = f", or {restart} to start over." if restart else "."
    return [
        f"You stopped part way through {routine_name}, at "
        f"{_place(exercise_name, set_number, sets, side, rep)}.",
        f"{_cap(words.next)} to carry on{over}",
    ]


def carrying_on(exercise: Exercise, set_number: int, side: Side | None, rep: int) -> str:
    """A resumed workout's first words: the place, without the exercise's introduction."""
    return f"Carrying on: {_place(exercise.name, set_number, exercise.sets, side, rep)}."


def safety() -> str:
    """Said once as each workout starts."""
    return (
        "Move only as far as feels comfortable. If anything gives you a sharp or "
        "shooting pain, stop, and long-hold the button."
    )


# -- exercises and sets ----------------------------------------------------------------------


def _spoken_list(items: tuple[str, ...]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def sentence(text: str) -> str:
    """A routine's cue as a spoken sentence, with its full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


_sentence = sentence


def exercise_intro(
    exercise: Exercise,
    number: int,
    total: int,
    *,
    with_cues: bool = False,
    brief: bool = False,
    words: ButtonWords = DEFAULT_WORDS,
    equipment: tuple[str, ...] | None = None,
) -> list[str]:
    """Said once per exercise: its name, what it needs and how to get set up.

    ``with_cues`` adds the movement cues, for when the user asks to hear it again;
    ``brief`` leaves out the set-up, for a user who knows the routine; ``equipment`` is
    what to name (by default all the exercise needs; none once the rest before named it).
    """
    lines = [f"Exercise {number} of {total}: {exercise.name}."]
    needed = exercise.equipment if equipment is None else equipment
    if needed:
        lines.append(f"You need: {_spoken_list(needed)}.")
    if not brief or with_cues:
        lines.extend(_sentence(cue) for cue in exercise.setup)
    if with_cues:
        lines.extend(_sentence(cue) for cue in exercise.cues)
    if brief and not with_cues:
        lines.append(f"{_cap(words.next)} when ready.")
    else:
        lines.append(f"{_cap(words.next)} when you are in position.")
    return lines


def side_name(side: Side) -> str:
    return f"{side.capitalize()} side."


def task(exercise: Exercise, words: ButtonWords = DEFAULT_WORDS, *, brief: bool = False) -> str:
    """What the user does next in a set, and what the button means meanwhile."""
    if exercise.hold_seconds is not None:
        if brief:
            return f"{exercise.hold_seconds} second hold."
        return f"{_cap(words.next)} to start the {exercise.hold_seconds} second hold."
    if brief:
        return f"{exercise.reps} reps."
    if exercise.count == "paced":
        return f"{exercise.reps} reps at my pace. {_cap(words.next)} to start, and to stop early."
    what = "after each rep" if exercise.count == "per_rep" else "when the set is done"
    return f"{exercise.reps} reps. {_cap(words.next)} {what}."


def set_title(exercise: Exercise, set_number: int, *, last: bool, side: Side | None = None) -> str:
    """Which set starts. One side first, every set is numbered on its side ("Right side,
    set 1 of 2."), so two "set 1"s never sound like a mistake."""
    if side is not None and exercise.side_order == "one_side_first":
        return f"{side.capitalize()} side, set {set_number} of {exercise.sets}."
    return "Final set." if last else f"Set {set_number} of {exercise.sets}."


def other_side_now(side: Side) -> str:
    """One side first: the first set of the second side, after every set of the first."""
    return f"Now the {side} side."


def set_announcement(
    exercise: Exercise,
    set_number: int,
    side: Side | None,
    words: ButtonWords = DEFAULT_WORDS,
    *,
    brief: bool = False,
    last: bool | None = None,
    cues: bool = False,
    prompt: bool = True,
) -> list[str]:
    """The start of a set: which one, which side, how to move and what to press.
    ``last`` says whether it is the exercise's final set (by default: its last number);
    ``cues``: the movement cues too (the first set of an exercise, in full); ``prompt``:
    what to press, in full (the first set), else just the reps or the hold's length.
    """
    one_side_first = side is not None and exercise.side_order == "one_side_first"
    lines = []
    if side is not None and one_side_first and set_number == 1 and side != exercise.first_side:
        lines.append(other_side_now(side))
    final = set_number == exercise.sets if last is None else last
    lines.append(set_title(exercise, set_number, last=final, side=side))
    if side is not None:
        if not one_side_first:
            lines.append(side_name(side))
        # The side's cue says which leg or arm: it is never left out, or the trainee
        # may set up on the wrong one.
        if (cue := exercise.side_cue(side)) is not None and (not brief or set_number == 1):
            lines.append(_sentence(cue))
    if cues:
        lines.extend(_sentence(cue) for cue in exercise.cues)
    if not brief or exercise.reps is not None:
        lines.append(task(exercise, words, brief=brief or not prompt))
    return lines


def switch_side(
    exercise: Exercise,
    side: Side,
    words: ButtonWords = DEFAULT_WORDS,
    *,
    brief: bool = False,
    prompt: bool = True,
) -> list[str]:
    """Between the two sides of one set: no rest, straight on, saying what changes."""
    lines = [f"Switch to the {side} side."]
    if not brief and (cue := exercise.side_cue(side)) is not None:
        lines.append(_sentence(cue))
    if not brief or exercise.reps is not None:
        lines.append(task(exercise, words, brief=brief or not prompt))
    return lines


def resume_hold_task(seconds_left: int, words: ButtonWords = DEFAULT_WORDS) -> str:
    return f"{_cap(words.next)} to hold for the {seconds_left} seconds that were left."


def resume_paced_task(rep: int, words: ButtonWords = DEFAULT_WORDS) -> str:
    return f"{_cap(words.next)} and I will pace you from rep {rep}."


def rep_of(rep: int, reps: int) -> str:
    """Where a paced set stands, when asked mid-set: the rep under way and how many follow."""
    left = reps - rep
    if left == 0:
        return f"Rep {rep} of {reps}, the last."
    return f"Rep {rep} of {reps}, {left} more after it."


def reps_to_go(done: int, exercise: Exercise, words: ButtonWords = DEFAULT_WORDS) -> str:
    """Where a set counted by presses stands, and what to press: asked mid-set, after a
    resume or after a rep was taken back."""
    assert exercise.reps is not None
    left = exercise.reps - done
    return f"{done} done, {left} to go. {_cap(words.next)} after each rep."


def short_cue(exercise: Exercise) -> list[str]:
    """The first movement cue: a reminder, not the whole set-up."""
    return [_sentence(exercise.cues[0])] if exercise.cues else []


def count(number: int) -> str:
    """A rep count or a countdown number: the same few texts, rendered once."""
    return str(number)


def rep_counted(number: int) -> str:
    """The count of a rep just done."""
    return Marked(count(number), Moment.REP)


def set_done() -> str:
    return Marked("Set done.", Moment.SET_DONE)


def paced_rep(number: int, say: str) -> str:
    """A paced rep's count, with the word of its first phase: "3. Up."."""
    return Marked(f"{number}. {_sentence(say)}", Moment.REP)


def phase(say: str) -> str:
    """A later phase of a paced rep ("Squeeze."); a tone can stand for it."""
    return Marked(_sentence(say), Moment.PHASE)


# -- going back ------------------------------------------------------------------------------


def nothing_to_take_back() -> str:
    return "You are at the start of this exercise. There is nothing to take back."


def going_back() -> str:
    return "Going back."


# -- nobody pressing -------------------------------------------------------------------------


def still_there(words: ButtonWords = DEFAULT_WORDS) -> str:
    pause = f"; {words.pause} to pause" if words.pause else ""
    return f"Still there? {_cap(words.next)} to carry on{pause}."


def auto_paused(words: ButtonWords = DEFAULT_WORDS) -> str:
    return f"Nobody pressed for a while, so I have paused. {_cap(words.next)} to carry on."


# -- holds and rests -------------------------------------------------------------------------


def hold_start(seconds: int) -> str:
    return Marked(f"Hold for {seconds} seconds.", Moment.HOLD_STARTED)


def halfway() -> str:
    return "Halfway there."


def release() -> str:
    return Marked("And release.", Moment.HOLD_ENDED)


def keep_holding(exercise: Exercise, words: ButtonWords = DEFAULT_WORDS) -> list[str]:
    """Asked to repeat during a hold."""
    return [
        *(_sentence(cue) for cue in exercise.cues),
        f"Keep holding. {_cap(words.next)} to let go early.",
    ]


def hold_remaining(seconds: int) -> str:
    """A resumed hold picks up with the time it had left."""
    return f"Hold for {seconds} more seconds."


EXTRA_REST_SECONDS = 15  # what one "rest longer" adds: the "+15 s" of timer apps


def rest(seconds: int) -> str:
    return f"Rest for {seconds} seconds."


def _with_article(item: str) -> str:
    if item.split(" ", 1)[0].lower() in ("a", "an", "the", "your", "some"):
        return item
    head = item.split(" (", 1)[0]
    if head.endswith("s") and not head.endswith("ss"):
        return item  # "dumbbells" takes no article
    return f"{'an' if item[:1].lower() in 'aeiou' else 'a'} {item}"


def up_next(exercise: Exercise, bring: tuple[str, ...] | None = None) -> list[str]:
    """During the rest before a new exercise, so the user can fetch what it needs;
    ``bring`` leaves out what is already in use (by default: all it needs)."""
    bring = exercise.equipment if bring is None else bring
    lines = [f"Next up: {exercise.name}."]
    if bring:
        lines.append(f"Bring {_spoken_list(tuple(_with_article(e) for e in bring))}.")
    return lines


def up_next_short(exercise: Exercise, bring: tuple[str, ...] | None = None) -> list[str]:
    """``up_next`` in one short sentence, for a rest with little room before its countdown."""
    bring = exercise.equipment if bring is None else bring
    if not bring:
        return [f"Next: {exercise.name}."]
    return [f"Next: {exercise.name}, with {_spoken_list(tuple(_with_article(e) for e in bring))}."]


def rest_extended(seconds: int) -> str:
    """Asked for a longer rest: said once per request, not repeated by the countdown."""
    return f"{seconds} more seconds of rest."


def no_rest_to_extend() -> str:
    return "There is no rest to make longer right now."


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
    return Marked("Workout complete. Well done.", Moment.WORKOUT_DONE)


def rest_over(texts: list[str]) -> list[str]:
    """What follows a rest, its first sentence marking that the rest is over."""
    return [Marked(texts[0], Moment.REST_OVER), *texts[1:]] if texts else texts


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


# -- questions around a workout: who is training, and pain before and after -----------------


def who_is_training() -> str:
    """Two or more profiles, and an idle press: the names are read out next."""
    return "Who's training? Press when you hear your name, or hold for the last person."


def trainee_chosen(name: str) -> str:
    return f"{name}, let's go."


def clicker_connected() -> str:
    """A clicker that went quiet (asleep, out of range) is back during a workout."""
    return "Your clicker is back."


def nobody_chosen() -> str:
    return "Nobody was chosen. Press when you are ready."


# The area is the routine's ("knee", "lower back", "hips"): the sentences are built so
# that a singular and a plural read equally well.
def pain_question(*, before: bool, area: str = DEFAULT_CHECKIN_AREA) -> str:
    """The pain check-in; the numbers zero to ten are read out next."""
    if before:
        return (
            f"How much pain do you feel in your {area} right now? Zero is none, ten is the "
            "worst. Press at your number."
        )
    return f"And now, how much pain in your {area}? Press at your number."


def pain_skipped() -> str:
    return "No score this time. That's fine."


def pain_noted(score: int) -> str:
    return f"Noted: {score}."


def pain_worse(area: str = DEFAULT_CHECKIN_AREA) -> str:
    """Two or more points worse than before the workout: plain, gentle, never a diagnosis."""
    return (
        f"There is more pain in your {area} than when you started. Go gentler next time, and "
        "if this keeps happening, ask a physiotherapist or doctor."
    )


def pain_better(drop: int) -> str:
    return f"Down {drop} points since you started. Well done."


def worse_last_time(area: str = DEFAULT_CHECKIN_AREA) -> str:
    """Said once, at the start of the workout after one that left the area worse."""
    return (
        f"Last time, your {area} hurt more after the workout than before. "
        "Take it easy today, and stop any move that hurts."
    )


def checkin_lines(area: str = DEFAULT_CHECKIN_AREA) -> list[str]:
    """Every fixed line of the pain check-in, in the order a workout needs them."""
    return [
        pain_question(before=True, area=area),
        *(count(n) for n in range(11)),
        *(pain_noted(n) for n in range(11)),
        pain_skipped(),
        worse_last_time(area),
        pain_question(before=False, area=area),
        pain_worse(area),
        *(pain_better(n) for n in range(2, 11)),
    ]


def workout_void_after_restore() -> str:
    """A backup was restored from the phone while a workout was under way."""
    return "Your data was just restored from a backup, so this workout stops here and is not kept."


def pairing_starts() -> str:
    """The wall button was held 10 s while idle, or the phone asked: pairing begins."""
    return "Pairing a clicker. Wake yours now: press or hold its button."


def pairing_done() -> str:
    return "Your new clicker is paired. Add it to the config file to use it."


def pairing_failed() -> str:
    return "No new clicker was paired. Wake it and try again."
