"""The one-button choice: options read out as the trainee hears them, a press picks the one
just heard. Reports of what was heard are played in by hand here, as a voice would send them."""

from __future__ import annotations

import pytest

from device.engine.choice import GRACE, QUESTION, REPORT_TIMEOUT, Answer, Choice, Outcome

NUMBERS = [str(n) for n in range(11)]
SAYS = 0.4  # how long each number takes to say in these tests


def ask(step: float = 1.0) -> Choice:
    choice = Choice("Pick a number.", NUMBERS, step=step)
    choice.asked(100.0)
    return choice


class Voice:
    """Plays the options the choice hands over: each starts ``delay`` after it is handed
    over (or when the one before ends) and lasts SAYS seconds; reports as it goes."""

    def __init__(self, choice: Choice, *, delay: float = 0.0) -> None:
        self.choice = choice
        self.delay = delay
        self.heard: list[tuple[float, str]] = []
        self.free_at = 0.0

    def question_heard(self, at: float) -> None:
        self.choice.ended(QUESTION, at)
        self.free_at = at

    def run_until(self, end: float) -> None:
        while (due := self.choice.next_deadline()) is not None and due <= end:
            for index, text in self.choice.tick(due):
                start = max(due + self.delay, self.free_at)
                self.free_at = start + SAYS
                self.heard.append((start, text))
                self.choice.started(index, start)
                self.choice.ended(index, start + SAYS)


def test_the_options_wait_until_the_question_has_been_heard() -> None:
    choice = ask()
    assert choice.opening() == ["Pick a number."]
    # The question waits behind a long summary: nothing is read meanwhile.
    assert choice.tick(105.0) == []
    voice = Voice(choice)
    voice.question_heard(110.0)
    voice.run_until(112.5)
    assert voice.heard == [(110.0, "0"), (111.0, "1"), (112.0, "2")]
    assert choice.open


def test_each_option_is_read_a_step_after_the_one_before_was_heard() -> None:
    # The voice is slow to start each line (a loaded machine): the count follows it.
    choice = ask()
    voice = Voice(choice, delay=0.3)
    voice.question_heard(110.0)
    voice.run_until(113.0)
    assert [at for at, _ in voice.heard] == pytest.approx([110.3, 111.6, 112.9])


def test_a_press_picks_the_number_heard_then_by_when_the_button_went_down() -> None:
    choice = ask()
    voice = Voice(choice, delay=0.2)
    voice.question_heard(110.0)
    voice.run_until(115.0)
    four = dict((text, at) for at, text in voice.heard)["4"]
    # The worker gets to the press late; the press counts from when it went down.
    assert choice.press(four + 0.35) == Answer(Outcome.PICKED, 4)
    assert not choice.open
    assert choice.next_deadline() is None
    assert choice.press(four + 3.0) == Answer(Outcome.PICKED, 4)
    assert choice.tick(130.0) == []


@pytest.mark.parametrize(
    ("after_next_starts", "picked"),
    [(0.0, 3), (GRACE - 0.05, 3), (0.2, 3), (GRACE + 0.01, 4), (0.6, 4)],
)
def test_a_press_just_after_the_next_option_starts_is_for_the_one_before(
    after_next_starts: float, picked: int
) -> None:
    choice = ask()
    voice = Voice(choice)
    voice.question_heard(110.0)
    voice.run_until(114.5)
    four = dict((text, at) for at, text in voice.heard)["4"]
    assert choice.press(four + after_next_starts) == Answer(Outcome.PICKED, picked)


def test_the_first_option_has_no_grace_before_it() -> None:
    choice = ask()
    voice = Voice(choice)
    voice.question_heard(110.0)
    voice.run_until(110.0)
    assert choice.press(110.05) == Answer(Outcome.PICKED, 0)


def test_a_press_before_any_option_was_heard_is_ignored() -> None:
    choice = ask()
    assert choice.press(101.0).outcome is Outcome.ASKING
    Voice(choice).question_heard(110.0)
    assert choice.press(109.9).outcome is Outcome.ASKING
    assert choice.open


def test_a_press_before_the_report_of_its_option_is_judged_once_the_report_comes() -> None:
    choice = ask()
    choice.ended(QUESTION, 110.0)
    assert choice.tick(110.0) == [(0, "0")]
    choice.started(0, 110.0)
    assert choice.tick(111.0) == [(1, "1")]
    # The press reaches the engine before the voice's report that "1" started.
    assert choice.press(111.5).outcome is Outcome.ASKING
    choice.started(1, 111.1)
    assert choice.answer == Answer(Outcome.PICKED, 1)
    # ... and a press from before the option began is for the one before it.
    other = ask()
    other.ended(QUESTION, 110.0)
    other.tick(110.0)
    other.started(0, 110.0)
    other.tick(111.0)
    other.press(111.2)
    other.started(1, 111.6)
    assert other.answer == Answer(Outcome.PICKED, 0)


def test_an_option_cut_before_it_sounded_is_read_again() -> None:
    choice = ask()
    choice.ended(QUESTION, 110.0)
    choice.tick(110.0)
    choice.dropped(0, 110.2)
    assert choice.tick(110.2) == [(0, "0")]


def test_a_lost_report_holds_the_question_up_only_so_long() -> None:
    choice = ask()
    choice.ended(QUESTION, 110.0)
    assert choice.tick(110.0) == [(0, "0")]
    # No report ever comes for "0": after the timeout the count goes on.
    assert choice.next_deadline() == pytest.approx(110.0 + REPORT_TIMEOUT)
    assert choice.tick(110.0 + REPORT_TIMEOUT) == [(1, "1")]


def test_a_hold_passes() -> None:
    choice = ask()
    voice = Voice(choice)
    voice.question_heard(110.0)
    voice.run_until(112.0)
    assert choice.hold() == Answer(Outcome.PASSED)
    assert choice.press(113.0).outcome is Outcome.PASSED


def test_silence_after_the_last_option_ends_it_unanswered() -> None:
    choice = ask()
    voice = Voice(choice)
    voice.question_heard(110.0)
    voice.run_until(200.0)
    assert [text for _, text in voice.heard] == NUMBERS
    assert choice.answer == Answer(Outcome.UNANSWERED)
    # The last option had its full step, and the grace, to be picked in.
    late = ask()
    voice = Voice(late)
    voice.question_heard(110.0)
    voice.run_until(120.0)
    assert late.press(120.0 + 1.0 + GRACE - 0.01) == Answer(Outcome.PICKED, 10)


def test_a_long_last_option_is_heard_to_its_end_before_the_silence_counts() -> None:
    choice = Choice("Who?", ["Alexandra Montgomery-Smythe"], step=1.0)
    choice.ended(QUESTION, 10.0)
    choice.tick(10.0)
    choice.started(0, 10.0)
    assert choice.next_deadline() == pytest.approx(10.0 + REPORT_TIMEOUT)
    choice.ended(0, 12.5)
    assert choice.next_deadline() == pytest.approx(12.5 + GRACE)


def test_the_phone_can_answer_while_it_counts() -> None:
    choice = ask()
    Voice(choice).run_until(103.0)
    assert choice.pick(7) == Answer(Outcome.PICKED, 7)
    with pytest.raises(ValueError, match="index"):
        ask().pick(11)


def test_a_choice_needs_options_and_a_positive_step() -> None:
    with pytest.raises(ValueError):
        Choice("Q?", [], step=1.0)
    with pytest.raises(ValueError, match="step"):
        Choice("Q?", ["a"], step=0.0)
