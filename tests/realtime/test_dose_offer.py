"""A change of dose, agreed by pressing as its offer is heard, on a busy machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from routines.validation import parse_routine
from tests.realtime.coach import coaching
from tests.realtime.sound_card import SoundCard

pytestmark = pytest.mark.realtime

AGREE = "Press to agree, or hold to keep 2 seconds."
# One good (finished) workout earns a step: the offer follows this workout's summary.
GROWS = parse_routine(
    {
        "id": "wall-sit",
        "name": "Wall sit",
        "checkin": "none",
        "exercises": [
            {
                "name": "Wall sit",
                "sets": 1,
                "hold_seconds": 2,
                "progression": {"every": 1, "steps": [{"hold_seconds": 3, "up_to": 8}]},
            }
        ],
    }
)


def test_pressing_as_the_offer_is_heard_agrees_to_it(
    tmp_path: Path, card: SoundCard, busy_machine: list[int]
) -> None:
    with coaching(tmp_path / "data", card, GROWS) as coach:
        started = coach.trainee.press().down
        coach.run_to_the_end()
        heard, press = coach.trainee.press_after(AGREE, 0.5, after=started, within=60)
        coach.wait_for(lambda s: s.question != "dose", timeout=30)
        dose = coach.store.routine_at_dose(1, "wall-sit")
        said = [text for _, text in coach.said]
    assert press.down - heard.start == pytest.approx(0.5, abs=0.1)
    assert dose is not None and dose.exercises[0].hold_seconds == 5, said
