"""A pain score is the number the trainee heard when they pressed, with the real voice at
real-time speed and every core busy beside it: before the workout (after the start press
and the "worse last time" line) and after it (after the summary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.engine import phrases
from device.engine.choice import GRACE
from tests.realtime.checkin import Answer, warn_again, workout
from tests.realtime.coach import coaching
from tests.realtime.routines import one_hold
from tests.realtime.sound_card import SoundCard

pytestmark = [pytest.mark.realtime, pytest.mark.slow]

REACTION = 0.35
# A late press: well inside the grace after the next number starts, since a busy machine
# can make the scripted finger up to 0.1 s later than it meant.
LATE = GRACE - 0.15


def table(answers: list[Answer]) -> str:
    return "\n".join(a.row() for a in answers)


# Every number from 0 to 10, before and after, in groups the parallel run can spread.
GROUPS = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10)]


@pytest.mark.parametrize("numbers", GROUPS, ids=lambda g: "-".join(map(str, g)))
def test_pressing_as_each_number_is_heard_stores_that_number(
    tmp_path: Path, card: SoundCard, busy_machine: list[int], numbers: tuple[int, ...]
) -> None:
    answers: list[Answer] = []
    with coaching(tmp_path / "data", card, one_hold(), worse_last_time=True) as coach:
        for n in numbers:
            # Every number once before and once after, each workout a different pair.
            before, after = workout(coach, (n, n, REACTION), (10 - n, 10 - n, REACTION))
            answers += [before, after]
            warned = phrases.worse_last_time(one_hold().checkin_area)
            assert any(text == warned for _, text in coach.said[-40:]), "no warning said"
            warn_again(coach)
    assert all(a.right for a in answers), table(answers)
    # The trainee did react as scripted, also on the busy machine.
    assert all(a.reaction == pytest.approx(REACTION, abs=0.1) for a in answers), table(answers)


def test_a_late_press_counts_for_the_number_before_and_a_later_one_for_the_next(
    tmp_path: Path, card: SoundCard, busy_machine: list[int]
) -> None:
    with coaching(tmp_path / "data", card, one_hold(), worse_last_time=True) as coach:
        # Just into "5" is a late press for 4; 0.6 s into "6" is a press for 6.
        before, after = workout(coach, (4, 5, LATE), (6, 6, 0.6))
        answers = [before, after]
        before, after = workout(coach, (7, 7, 0.6), (2, 3, LATE))
        answers += [before, after]
    assert all(a.right for a in answers), table(answers)
