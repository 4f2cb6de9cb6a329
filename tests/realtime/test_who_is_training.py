"""Who is training, chosen by pressing as one's name is heard, on a busy machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realtime.coach import coaching
from tests.realtime.routines import one_hold
from tests.realtime.sound_card import SoundCard

pytestmark = pytest.mark.realtime


def test_pressing_as_the_third_name_is_heard_picks_the_third_person(
    tmp_path: Path, card: SoundCard, busy_machine: list[int]
) -> None:
    with coaching(
        tmp_path / "data", card, one_hold(checkin="none"), people=["Bruno", "Chloe"]
    ) as coach:
        coach.store.update_profile(1, {"name": "Alice"})
        coach.reload()  # queued before the press below, so the names are read as renamed
        started = coach.trainee.press().down
        coach.wait_for(lambda s: s.question == "who", timeout=10)
        heard, press = coach.trainee.press_after("Chloe", 0.35, after=started, within=30)
        coach.wait_for(lambda s: s.question != "who", timeout=30)
        chosen = coach.store.current_profile().name
        said = [text for _, text in coach.said]
    assert press.down - heard.start == pytest.approx(0.35, abs=0.1)
    assert chosen == "Chloe", said
