"""A countdown in a short rest is heard evenly: 3, 2, 1 about a second apart, none left out."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from device.engine import phrases
from device.events import State
from routines.model import Routine
from routines.validation import parse_routine
from tests.realtime.coach import coaching
from tests.realtime.sound_card import Heard, SoundCard

pytestmark = pytest.mark.realtime

NUMBERS = [phrases.count(n) for n in (3, 2, 1)]


def squats() -> Routine:
    return parse_routine(
        {
            "id": "squats",
            "name": "Squats",
            "exercises": [
                {
                    "name": "Chair squats",
                    "sets": 3,
                    "reps": 5,
                    "count": "per_set",
                    "rest_seconds": 5,
                }
            ],
        }
    )


def countdowns(heard: list[Heard], rests: list[float], end: float) -> list[list[Heard]]:
    """The numbers heard in each rest (from its start to the next one's, or ``end``)."""
    bounds = [*rests, end]
    return [
        [h for h in heard if h.text in NUMBERS and a <= h.start < b]
        for a, b in itertools.pairwise(bounds)
    ]


def test_a_countdown_in_a_five_second_rest_is_heard_evenly(
    tmp_path: Path, card: SoundCard, busy_machine: list[int]
) -> None:
    with coaching(tmp_path / "data", card, squats()) as coach:
        for text in NUMBERS:
            path = coach.voice.cached_audio(text)
            assert path is not None
            card.learn(text, path)
        coach.trainee.press()
        done = coach.run_to_the_end()
        # A rest starts when the set before it is done; the last set's ends the workout.
        rests = [t for t, state in coach.acted if state is State.SET][:-1]
        heard = coach.lines_heard()
    assert len(rests) == 2
    for numbers in countdowns(heard, rests, done):
        texts = [h.text for h in numbers]
        gaps = [b.start - a.start for a, b in itertools.pairwise(numbers)]
        assert texts == NUMBERS, (texts, gaps)
        assert all(g == pytest.approx(1.0, abs=0.2) for g in gaps), (texts, gaps)
