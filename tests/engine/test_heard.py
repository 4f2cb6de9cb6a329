"""Speech is an input of the engine: answers, holds, rests and reminders are timed by what
the trainee heard, as the voice reports it, on the fake clock.

The voice here is ``SpeechModel`` with its own, slower idea of how long lines take (twice
the engine's estimate), so a test passes only if the engine follows the reports."""

from __future__ import annotations

import dataclasses

import pytest

from device.engine import phrases
from device.engine.choice import GRACE
from device.engine.core import CORRECT_SECONDS, Engine, PainScore, Trainee
from device.engine.gestures import Edge
from device.engine.heard import SpeechModel
from device.engine.pin_recovery import PinRecovery
from device.engine.speech_time import estimate_seconds
from device.events import Action, Gesture, Heard, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine

SLOW = 2.0  # the voice takes this many times the engine's estimate for a sentence


def slow(text: str) -> float:
    sentence = len(text.split()) > 2
    return (SLOW if sentence else 1.0) * estimate_seconds(text)


class Room:
    """The engine, a voice that reports what it played, and the clock."""

    def __init__(self, clock: FakeClock, routine: Routine, **engine) -> None:
        self.clock = clock
        self.engine = Engine(clock, speech_reported=True, choice_step=1.0, **engine)
        self.engine.set_routine(routine, sessions_this_week=0, weekly_goal=None)
        self.voice = SpeechModel(slow)
        self.heard: list[tuple[float, float, str]] = []  # (start, end, text)
        self._texts: dict[int, str] = {}
        self._starts: dict[int, float] = {}

    def say(self, lines: list[Line]) -> list[str]:
        for line in lines:
            assert line.id is not None
            self._texts[line.id] = line.text
        self.voice.queue(lines, self.clock.now)
        return [line.text for line in lines]

    def until(self, end: float, *, edges_pending: bool = False) -> None:
        """Let time pass to ``end``: the voice reports, the engine ticks at its deadlines
        (as the worker does with button edges still queued, if ``edges_pending``)."""
        while True:
            due = [
                d
                for d in (self.engine.next_deadline(), self.voice.next_deadline())
                if d is not None
            ]
            if not due or min(due) > end:
                break
            self.clock.now = max(self.clock.now, min(due))
            for report in self.voice.due(self.clock.now):
                if report.heard is Heard.STARTED:
                    self._starts[report.line] = report.at
                elif report.heard is Heard.ENDED:
                    start = self._starts.pop(report.line)
                    self.heard.append((start, report.at, self._texts[report.line]))
                self.say(self.engine.speech(report))
            self.say(self.engine.tick(edges_pending=edges_pending))
        self.clock.now = max(self.clock.now, end)

    def until_heard(self, text: str, limit: float = 120.0) -> float:
        """Run until ``text`` starts sounding; when it did."""
        end = self.clock.now + limit
        while self.clock.now < end:
            for start, _, said in self.heard:
                if said == text:
                    return start
            starts = [
                self._starts[i] for i, t in self._texts.items() if t == text and i in self._starts
            ]
            if starts:
                return starts[-1]
            self.until(self.clock.now + 0.05)
        raise AssertionError(f"never heard {text!r}")

    def press(self, at: float, up: float = 0.1, late: float = 0.0) -> list[str]:
        """A press that went down at ``at``, handled ``late`` after its release (while the
        voice went on)."""
        if late:
            self.until(at + up + late, edges_pending=True)
        self.clock.now = max(self.clock.now, at + up + late)
        said = self.say(self.engine.edge(Edge(True, at)))
        return said + self.say(self.engine.edge(Edge(False, at + up)))

    def heard_texts(self) -> list[str]:
        return [text for _, _, text in self.heard]


def finish(room: Room) -> None:
    """Press through the quick routine's one set: the summary, then the after-question."""
    while room.engine.status().state is not State.DONE:
        room.until(room.clock.now + 60)
        room.press(room.clock.now)
    room.until(room.clock.now + 0.01)


def checked(checkin: str = "pain") -> Routine:
    return Routine(
        id="quick",
        name="Quick one",
        exercises=(Exercise(name="Squats", sets=1, reps=5, count="per_set", rest_seconds=0),),
        checkin=checkin,  # type: ignore[arg-type]
    )


def rests() -> Routine:
    return Routine(
        id="rests",
        name="Rests",
        exercises=(Exercise(name="Squats", sets=2, reps=5, count="per_set", rest_seconds=5),),
    )


# -- a one-button answer follows what was heard ---------------------------------------------


@pytest.mark.parametrize("number", [0, 4, 10])
def test_the_number_heard_is_the_number_kept_though_the_voice_is_slow(clock, number):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    heard = room.until_heard(phrases.count(number))
    said = room.press(heard + 0.35)
    assert said[0] == phrases.pain_noted(number)
    room.until(clock.now + 30)
    assert room.engine.pop_scores() == [PainScore("before", number)]


def test_the_after_question_waits_for_a_long_summary_to_be_heard(clock):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    room.say(room.engine.gesture(Gesture.HOLD))  # no score before
    finish(room)
    assert room.engine.status().question == "pain_after"
    heard = room.until_heard(phrases.count(6))
    summary_end = max(end for _, end, text in room.heard if text.startswith("You did"))
    question_end = max(end for _, end, t in room.heard if t == phrases.pain_question(before=False))
    assert question_end > summary_end
    assert heard >= question_end
    room.press(heard + 0.35)
    room.until(clock.now + 60)
    assert room.engine.pop_scores() == [PainScore("after", 6)]


@pytest.mark.parametrize(("late", "picked"), [(0.2, 3), (GRACE + 0.02, 4), (0.6, 4)])
def test_a_press_just_after_the_next_number_starts_counts_for_the_one_before(clock, late, picked):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    four = room.until_heard(phrases.count(4))
    assert room.press(four + late)[0] == phrases.pain_noted(picked)


def test_a_press_is_judged_by_when_the_button_went_down_not_when_it_was_handled(clock):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    two = room.until_heard(phrases.count(2))
    # Down 0.35 s after "2", up 0.6 s later, handled by a busy worker after "3" began.
    assert room.press(two + 0.35, up=0.6, late=0.8)[0] == phrases.pain_noted(2)


def test_the_third_of_three_people_is_picked_as_the_third_name_is_heard(clock):
    room = Room(clock, checked("none"))
    people = [
        Trainee(i, name, dataclasses.replace(checked("none"), name=f"{name}'s"))
        for i, name in ((1, "Ann"), (2, "Bea"), (3, "Cal"))
    ]
    room.engine.set_people(people, current=1)
    assert room.say(room.engine.gesture(Gesture.PRESS)) == [phrases.who_is_training()]
    cal = room.until_heard("Cal")
    assert room.press(cal + 0.35)[0] == phrases.trainee_chosen("Cal")
    assert room.engine.pop_chosen() == 3


def test_without_reports_the_engine_keeps_time_by_its_own_estimate(clock):
    start = clock.now
    engine = Engine(clock, choice_step=1.0)  # a voice that only prints
    engine.set_routine(checked(), sessions_this_week=0, weekly_goal=None)
    question = phrases.pain_question(before=True)
    assert [line.text for line in engine.gesture(Gesture.PRESS)] == [question]
    said: list[tuple[float, str]] = []
    while len(said) < 2:
        clock.now = engine.next_deadline() or clock.now
        said += [(clock.now, line.text) for line in engine.tick()]
    assert said[0] == (pytest.approx(start + estimate_seconds(question)), phrases.count(0))
    assert said[1][0] - said[0][0] == pytest.approx(1.0)


# -- holds, rests and the wait for a press start when their instruction is heard ----------


def test_a_rest_counts_from_the_end_of_the_line_that_announces_it(clock):
    room = Room(clock, rests())
    room.say(room.engine.gesture(Gesture.PRESS))  # safety, intro
    room.until(clock.now + 60)
    room.press(clock.now)  # set 1
    room.until(clock.now + 60)
    room.press(clock.now)  # set 1 done: rest 5 s
    rest = phrases.rest(5)
    room.until(clock.now + 30)
    rest_end = next(end for _, end, text in room.heard if text == rest)
    numbers = [(start, text) for start, _, text in room.heard if text in ("3", "2", "1")]
    assert [text for _, text in numbers] == ["3", "2", "1"]
    assert [start - rest_end for start, _ in numbers] == pytest.approx([2.0, 3.0, 4.0])
    assert room.engine.status().state is State.SET


def test_a_hold_counts_from_the_end_of_its_instruction(clock):
    plank = Routine(
        id="plank", name="Plank", exercises=(Exercise(name="Plank", sets=1, hold_seconds=10),)
    )
    room = Room(clock, plank)
    room.say(room.engine.gesture(Gesture.PRESS))
    room.until(clock.now + 60)
    room.press(clock.now)  # set 1
    room.until(clock.now + 60)
    room.press(clock.now)  # the hold
    room.until(clock.now + 40)
    start = next(end for _, end, text in room.heard if text == phrases.hold_start(10))
    release = next(s for s, _, text in room.heard if text == phrases.release())
    assert release - start == pytest.approx(10.0)


def test_the_reminder_counts_from_the_end_of_the_prompt(clock):
    room = Room(clock, rests())
    room.say(room.engine.gesture(Gesture.PRESS))  # safety and intro: a long batch
    room.until(clock.now + 200)
    prompt_end = max(end for _, end, _ in room.heard if end < clock.now - 100)
    reminder = next(s for s, _, text in room.heard if "still there" in text.lower())
    assert reminder == pytest.approx(prompt_end + 120.0)


def test_the_pin_offer_waits_for_its_end_before_the_time_to_confirm_runs(clock):
    recovery = PinRecovery(clock.now, armed=True)
    room = Room(clock, checked("none"), recovery=recovery)
    room.clock.now += 1
    room.say(room.engine.edge(Edge(True, clock.now)))
    room.until(clock.now + 10.5)  # held 10 s: the offer
    room.say(room.engine.edge(Edge(False, clock.now)))
    room.until(clock.now + 25)
    offer_end = next(end for _, end, text in room.heard if text == phrases.pin_clear_offer())
    assert recovery.next_deadline() == pytest.approx(offer_end + 15.0)


# -- answers people can trust ------------------------------------------------------------


def answered(clock: FakeClock, moment: str) -> tuple[Room, float]:
    """A room where the ``moment`` question was just answered "3" with a press."""
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    if moment == "after":
        room.say(room.engine.gesture(Gesture.HOLD))
        finish(room)
    three = room.until_heard(phrases.count(3))
    said = room.press(three + 0.4)
    assert said[0] == phrases.pain_noted(3)
    return room, clock.now


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_double_press_just_after_noted_asks_again(clock, moment):
    room, _ = answered(clock, moment)
    room.until(clock.now + 1.0)  # not a double with the answer's own press
    now = clock.now
    room.say(room.engine.edge(Edge(True, now)))
    room.say(room.engine.edge(Edge(False, now + 0.05)))
    clock.now = now + 0.2
    room.say(room.engine.tick())
    said = room.say(room.engine.edge(Edge(True, now + 0.2))) + room.say(
        room.engine.edge(Edge(False, now + 0.25))
    )
    assert said == [phrases.pain_question(before=moment == "before")]
    assert room.engine.status().question == f"pain_{moment}"
    if moment == "before":
        assert room.engine.status().state is State.IDLE  # the workout starts after it
    seven = room.until_heard(phrases.count(7))
    again = room.press(seven + 0.4)
    assert again[0] == phrases.pain_noted(7)
    if moment == "before":
        assert "sharp or shooting pain" in " ".join(again)
    room.until(clock.now + 30)
    scores = room.engine.pop_scores()
    assert PainScore(moment, 7) in scores
    assert PainScore(moment, 3) not in scores


def test_a_single_press_just_after_noted_waits_out_the_double_window_then_acts(clock):
    room, _ = answered(clock, "before")
    assert room.engine.status().state is State.INTRO
    room.until(clock.now + 1.0)  # not a double with the answer's own press
    now = clock.now
    room.say(room.engine.edge(Edge(True, now)))
    # The press is answered by its tick at once; its words wait out the double window.
    assert room.say(room.engine.edge(Edge(False, now + 0.05))) == [""]
    clock.now = now + 0.5
    said = room.say(room.engine.tick())
    assert said and said[0] == "Final set."
    assert room.engine.status().state is State.SET


def test_a_double_press_after_the_window_steps_back_as_usual(clock):
    room, _ = answered(clock, "after")
    room.until(clock.now + 2 * CORRECT_SECONDS + 20)
    assert room.engine.pop_scores() == [PainScore("after", 3)]
    assert room.engine.status().question is None


def test_advice_follows_only_a_confirmed_score(clock):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    one = room.until_heard(phrases.count(1))
    room.press(one + 0.4)
    finish(room)
    eight = room.until_heard(phrases.count(8))
    assert room.press(eight + 0.4) == [phrases.pain_noted(8)]
    room.until(clock.now + 2.0)
    assert phrases.pain_worse() not in room.heard_texts()
    room.until(clock.now + 30)
    assert phrases.pain_worse() in room.heard_texts()


def test_next_from_the_page_answers_a_question_like_a_press_and_skip_passes(clock):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    five = room.until_heard(phrases.count(5))
    clock.now = five + 0.5
    assert room.say(room.engine.act(Action.NEXT))[0] == phrases.pain_noted(5)
    other = Room(FakeClock(), checked())
    other.say(other.engine.act(Action.NEXT))
    assert other.say(other.engine.act(Action.SKIP))[0] == phrases.pain_skipped()


@pytest.mark.parametrize("action", [Action.RESUME, Action.SKIP, Action.NEXT])
def test_no_start_from_idle_skips_the_before_question(clock, action):
    room = Room(clock, checked())
    assert room.say(room.engine.act(action)) == [phrases.pain_question(before=True)]
    assert room.engine.status().state is State.IDLE


def test_one_press_after_a_workout_starts_the_next_with_its_question(clock):
    room = Room(clock, checked())
    room.say(room.engine.gesture(Gesture.PRESS))
    room.say(room.engine.gesture(Gesture.HOLD))
    finish(room)  # done: the after-question
    room.say(room.engine.gesture(Gesture.HOLD))  # no score after
    assert room.engine.status().state is State.DONE
    said = room.say(room.engine.gesture(Gesture.PRESS))
    assert said == [phrases.pain_question(before=True)]


def test_the_phone_cannot_replace_the_buttons_answer(clock):
    room, _ = answered(clock, "before")
    assert room.engine.answer(_question("before"), 9) == []
    room.until(clock.now + 30)
    assert room.engine.pop_scores() == [PainScore("before", 3)]


def _question(moment: str):
    from device.engine.core import Question

    return Question.PAIN_BEFORE if moment == "before" else Question.PAIN_AFTER
