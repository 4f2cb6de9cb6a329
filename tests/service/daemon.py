"""The whole daemon on the fake clock, as ``build`` wires it (a tone for a voice, no sound
device): what it says, and the steps a test takes with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from device.events import Action, Gesture, State
from device.service.build import Parts, build
from device.service.config import Config
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.player import NullPlayer
from device.voice.speaker import Voice
from routines.store import Store
from tests.dummy_voice import ToneRenderer

WALL_OFFSET = 1_780_000_000.0  # a Wednesday in 2026


class Daemon:
    def __init__(
        self, spotter: Spotter, voice: Voice, store: Store, clock: FakeClock, spoken: list[str]
    ) -> None:
        self.spotter, self.voice, self.store = spotter, voice, store
        self.clock, self.spoken = clock, spoken

    def settle(self) -> None:
        self.spotter.drain()
        assert self.voice.wait_until_quiet(timeout=5)

    def do(self, item: Gesture | Action) -> None:
        if isinstance(item, Gesture):
            self.spotter.gesture(item)
        else:
            self.spotter.act(item)
        self.settle()

    def until_said(self, text: str, limit: float = 60.0) -> None:
        """Let time pass, as the worker would, until ``text`` has been spoken."""
        end = self.clock.now + limit
        while text not in self.spoken:
            assert self.clock.now < end, f"never said {text!r}: {self.spoken[-5:]}"
            self.clock.advance(0.25)
            self.settle()

    def finish(self) -> None:
        while self.spotter.status().state is not State.DONE:
            self.clock.advance(1)
            self.do(Gesture.PRESS)
        # A press's words follow once no double can: the summary too.
        self.clock.advance(1)
        self.settle()


@contextmanager
def running_daemon(tmp_path: Path, clock: FakeClock, pins: MockFactory) -> Iterator[Daemon]:
    """The daemon in ``tmp_path``, greeted and idle, its wall clock ``WALL_OFFSET`` on."""
    spoken: list[str] = []
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=17),
        Parts(pin_factory=pins, renderer=ToneRenderer(), player=NullPlayer(), echo=spoken.append),
        clocks=Clocks(monotonic=clock, wall=lambda: WALL_OFFSET + clock()),
    )
    try:
        built.worker.greet()
        built.worker.drain()
        yield Daemon(built.worker, built.voice, built.store, clock, spoken)
    finally:
        built.close()
