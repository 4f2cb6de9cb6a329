"""The daemon with progression, on the fake clock and a real store: each person trains at
their own dose, an offer agreed with a press changes the next workout's, and the lines of
that dose are rendered ahead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from device.engine.dose_talk import DOSE_WINDOW
from device.engine.preview import routine_lines
from device.events import Action, Gesture, State
from device.service.build import Parts, build
from device.service.config import Config
from device.service.worker import Clocks
from device.testing import FakeClock
from device.voice.player import NullPlayer
from routines.model import Dose
from routines.validation import routine_from_yaml
from tests.dummy_voice import ToneRenderer
from tests.service.daemon import WALL_OFFSET, Daemon

CALVES = routine_from_yaml(
    """
id: calves
name: Calves
exercises:
  - name: Calf raises
    sets: 1
    reps: 2
    count: per_set
    rest_seconds: 0
    progression:
      every: 3
      steps: [{reps: 1, up_to: 4}]
"""
)
OFFER = "Next time: 3 reps in each set of calf raises."
AGREE = "Press to agree, or hold to keep 2 reps."


@pytest.fixture
def daemon(tmp_path: Path, clock: FakeClock, mock_factory) -> Iterator[Daemon]:
    spoken: list[str] = []
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=17),
        Parts(
            pin_factory=mock_factory,
            renderer=ToneRenderer(),
            player=NullPlayer(),
            echo=spoken.append,
        ),
        clocks=Clocks(monotonic=clock, wall=lambda: WALL_OFFSET + clock()),
    )
    built.store.create_routine(CALVES)
    built.store.set_active_routine("calves")
    built.store.create_profile({"name": "Bea", "routine_id": "calves"})
    built.worker.greet()
    built.worker.drain()
    yield Daemon(built.worker, built.voice, built.store, clock, spoken)
    built.close()


def workout(daemon: Daemon) -> None:
    """Me starts (the page says who trains) and finishes the routine."""
    daemon.store.set_current_profile(1)
    daemon.spotter.reload()
    daemon.settle()
    daemon.spotter.act(Action.NEXT)
    daemon.settle()
    daemon.finish()


def test_an_offer_agreed_with_a_press_changes_only_that_persons_next_workout(
    daemon: Daemon,
) -> None:
    prepared: list[str] = []
    real_prepare = daemon.voice.prepare
    daemon.voice.prepare = lambda texts: (prepared.extend(texts), real_prepare(texts))  # type: ignore[method-assign]
    for _ in range(2):
        workout(daemon)
        assert OFFER not in daemon.spoken
        daemon.clock.advance(3600)
    # Two good workouts in, the offer a third would earn is rendered ahead.
    assert {OFFER, AGREE} <= set(prepared)
    workout(daemon)
    daemon.until_said(AGREE)
    [pending] = daemon.store.dose_suggestions(1)
    assert (pending.exercise, pending.to_dose) == ("Calf raises", Dose(1, 3, None))
    daemon.clock.advance(DOSE_WINDOW / 2)
    daemon.do(Gesture.PRESS)
    assert daemon.spoken[-1] == "Agreed: 3 reps from your next workout."
    assert daemon.store.dose_suggestions(1) == []
    assert daemon.store.doses(1, "calves")["Calf raises"].dose == Dose(1, 3, None)
    assert [c.why for c in daemon.store.dose_changes(1)] == ["accepted"]
    # Bea still starts from the file; Me's routine, and the lines rendered ahead, are at 3.
    bea = daemon.store.routine_at_dose(2, "calves")
    mine = daemon.store.routine_at_dose(1, "calves")
    assert bea is not None and bea.exercises[0].reps == 2
    assert mine is not None and mine.exercises[0].reps == 3
    new_lines = set(routine_lines(mine)) - set(routine_lines(CALVES))
    assert new_lines and new_lines <= set(prepared)
    # The fourth workout runs at the new dose.
    daemon.clock.advance(3600)
    said_before = len(daemon.spoken)
    workout(daemon)
    assert new_lines & set(daemon.spoken[said_before:])
    assert daemon.spotter.status().state is State.DONE


def test_a_hold_declines_and_the_dose_stays(daemon: Daemon) -> None:
    for _ in range(2):
        workout(daemon)
        daemon.clock.advance(3600)
    workout(daemon)
    daemon.until_said(AGREE)
    daemon.do(Gesture.HOLD)
    assert daemon.spoken[-1] == "Staying at 2 reps."
    [offer] = daemon.store.dose_suggestions(1, answer=None)
    assert offer.answer == "declined"
    assert daemon.store.doses(1, "calves") == {}
