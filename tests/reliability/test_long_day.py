"""A long day: thirty workouts back to back, driven by random gestures on the real button,
on a fake clock. Nothing may pile up: memory stays flat, the history holds exactly the
thirty workouts, and every workout reaches its end.
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from device.events import State
from device.service.build import Parts, build
from device.service.config import Config
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.player import NullPlayer
from device.voice.speaker import Voice
from routines.store import Store
from tests.checkin_support import without_checkins
from tests.dummy_voice import ToneRenderer

pytestmark = pytest.mark.slow

PIN = 17
WORKOUTS = 30
WARM_UP = 5  # workouts before the baseline: caches and first-use allocations settle
MAX_GESTURES = 2000  # per workout; the lower-back routine takes about 140 presses
# Growth allowed over the last 25 workouts: each leaves the lines rendered ahead for its
# end in the voice's table of rendered files and the cache's record of them (three
# summaries and two week counts, new each time since all 30 fall in one week: 29-31 KB
# in all, measured), nothing more. A workout's state left behind would cost more.
MAX_GROWTH_BYTES = 48 * 1024
# Renders run on the voice's own thread in real time; memory is compared once it is idle.
RENDER_WAIT = 300.0
WALL_START = 1_741_176_000.0  # a Wednesday in March 2025


class Day:
    """Spotter on a mock pin, and a finger that presses it at fake times."""

    def __init__(
        self,
        spotter: Spotter,
        voice: Voice,
        store: Store,
        clock: FakeClock,
        factory: MockFactory,
    ) -> None:
        self.spotter = spotter
        self.store = store
        self.voice = voice
        self.clock = clock
        self.pin = factory.pin(PIN)

    def wait(self, seconds: float) -> None:
        """Let time pass, the worker looking at least twice a second (as its deadlines make
        it do), so holds and rests run down by themselves."""
        end = self.clock() + seconds
        while self.clock() < end:
            self.clock.advance(min(0.5, end - self.clock()))
            self.spotter.drain()

    def tap(self, down: float) -> None:
        self.pin.drive_low()
        self.spotter.drain()
        self.wait(down)
        self.pin.drive_high()
        self.spotter.drain()
        # gpiozero's mock pin keeps every level it was driven to, for assertions; a real
        # pin keeps nothing, so neither may this one when memory is measured.
        self.pin.clear_states()

    def gesture(self, rng: random.Random) -> None:
        """One random gesture, then a random pause."""
        roll = rng.random()
        if roll < 0.75:
            self.tap(0.1)  # press
        elif roll < 0.82:
            self.tap(0.1)  # double-press: one step back
            self.wait(0.1)
            self.tap(0.1)
        elif roll < 0.94:
            self.tap(1.5)  # hold
        else:
            self.tap(3.2)  # long hold: pause, resume, or end while paused
        self.wait(rng.choice([0.5, 0.6, 1.0, 2.0, 5.0, 12.0]))

    def workout(self, rng: random.Random) -> int:
        """From idle to the summary; returns how many gestures it took."""
        for count in range(1, MAX_GESTURES + 1):
            self.gesture(rng)
            if self.spotter.status().state is State.DONE:
                return count
        raise AssertionError(f"stuck in {self.spotter.status()} after {MAX_GESTURES} gestures")

    def next_workout(self) -> None:
        """One press after the summary starts the next workout."""
        self.tap(0.1)
        self.wait(1.0)
        assert self.spotter.status().state is State.INTRO


@pytest.fixture
def day(tmp_path: Path, mock_factory: MockFactory, clock: FakeClock) -> Iterator[Day]:
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=PIN),
        Parts(pin_factory=mock_factory, renderer=ToneRenderer(), player=NullPlayer()),
        clocks=Clocks(monotonic=clock, wall=lambda: WALL_START + clock() - 1000.0),
    )
    # The day is about the button, the voice and the store; the check-in and progression
    # (which offers a change of dose after good workouts) have their own tests.
    without_checkins(built.store)
    built.store.update_settings({"progression": False})
    built.worker.reload()
    built.worker.greet()
    try:
        yield Day(built.worker, built.voice, built.store, clock, mock_factory)
    finally:
        built.close()


def test_thirty_workouts_in_a_row_leave_nothing_behind(day: Day) -> None:
    rng = random.Random(30)
    gestures: list[int] = []
    tracemalloc.start()
    try:
        baseline = 0
        for n in range(1, WORKOUTS + 1):
            gestures.append(day.workout(rng))
            if n < WORKOUTS:
                day.next_workout()
            if n == WARM_UP:
                assert day.voice.wait_until_prepared(RENDER_WAIT)
                gc.collect()
                baseline = tracemalloc.get_traced_memory()[0]
        assert day.voice.wait_until_prepared(RENDER_WAIT)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert growth < MAX_GROWTH_BYTES, f"grew {growth} bytes over {WORKOUTS - WARM_UP} workouts"
    entries = day.store.history(limit=1000)
    assert len(entries) == WORKOUTS
    assert all(e.routine_id == "lower-back" for e in entries)
    finished = [e.finished_at for e in entries]
    assert finished == sorted(finished, reverse=True) and len(set(finished)) == WORKOUTS
    assert day.store.load_progress() is None  # nothing left half-done
    # The gestures really were mixed: some workouts were cut short, others went the distance.
    assert min(gestures) < 60 < max(gestures)
    assert {e.completed for e in entries} == {True, False}
