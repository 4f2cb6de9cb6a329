"""The one-button choice: options read out on a clock, a press picks the one just read."""

from __future__ import annotations

import pytest

from device.engine.choice import Answer, Choice, Outcome

NUMBERS = [str(n) for n in range(11)]


def ask(step: float = 1.0) -> Choice:
    return Choice("Pick a number.", NUMBERS, start=100.0, step=step, lead=2.0)


def run_until(choice: Choice, end: float) -> list[tuple[float, str]]:
    """Tick at every deadline up to ``end``, as the worker does; what was said, and when."""
    said = []
    while (due := choice.next_deadline()) is not None and due <= end:
        said += [(due, text) for text in choice.tick(due)]
    return said


def test_options_are_read_one_step_apart_after_the_question() -> None:
    choice = ask()
    assert choice.opening() == ["Pick a number."]
    said = run_until(choice, 104.5)
    assert said == [(102.0, "0"), (103.0, "1"), (104.0, "2")]
    assert choice.open


def test_a_press_picks_the_number_just_said() -> None:
    choice = ask()
    run_until(choice, 106.0)  # "4" was read at 106
    assert choice.press(106.7) == Answer(Outcome.PICKED, 4)
    assert not choice.open
    assert choice.next_deadline() is None
    # Later presses and ticks change nothing.
    assert choice.press(108.0) == Answer(Outcome.PICKED, 4)
    assert choice.tick(120.0) == []


def test_the_counting_speed_is_the_step() -> None:
    choice = ask(step=1.5)
    said = run_until(choice, 106.5)
    assert [t for t, _ in said] == [102.0, 103.5, 105.0, 106.5]
    assert choice.press(107.9) == Answer(Outcome.PICKED, 3)


def test_a_press_before_anything_was_offered_is_ignored() -> None:
    choice = ask()
    assert choice.press(101.0).outcome is Outcome.ASKING
    assert choice.open


def test_a_late_worker_still_picks_by_the_clock() -> None:
    # No tick ran since the start: the press itself catches up with the count.
    choice = ask()
    assert choice.press(105.2) == Answer(Outcome.PICKED, 3)


def test_a_hold_passes() -> None:
    choice = ask()
    run_until(choice, 104.0)
    assert choice.hold() == Answer(Outcome.PASSED)
    assert choice.press(105.0).outcome is Outcome.PASSED


def test_silence_after_the_last_option_ends_it_unanswered() -> None:
    choice = ask()
    said = run_until(choice, 200.0)
    assert [text for _, text in said] == NUMBERS
    assert choice.answer == Answer(Outcome.UNANSWERED)
    # The last option had its full step to be picked in.
    late = ask()
    run_until(late, 112.0)
    assert late.press(112.99) == Answer(Outcome.PICKED, 10)


def test_the_phone_can_answer_while_it_counts() -> None:
    choice = ask()
    run_until(choice, 103.0)
    assert choice.pick(7) == Answer(Outcome.PICKED, 7)
    with pytest.raises(ValueError, match="index"):
        ask().pick(11)


def test_the_lead_defaults_to_the_length_of_the_question() -> None:
    choice = Choice("One two three four five.", ["a"], start=0.0, step=1.0)
    assert choice.next_deadline() == pytest.approx(2.0)


def test_a_choice_needs_options_and_a_positive_step() -> None:
    with pytest.raises(ValueError):
        Choice("Q?", [], start=0.0, step=1.0)
    with pytest.raises(ValueError, match="step"):
        Choice("Q?", ["a"], start=0.0, step=0.0)
