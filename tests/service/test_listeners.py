"""A listener given to ``build()`` hears every kind of event from the real worker.

The real button on a mock pin, gestures, engine, store and voice (a tone for speech),
on a fake clock: what the MQTT bridge, the LED, systemd and the live page hear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from device.events import Gesture, State, Status
from device.service.build import Assembly, Parts, build
from device.service.config import Config
from device.service.listeners import Listener
from device.service.worker import Clocks
from device.testing import FakeClock
from device.voice.player import NullPlayer
from device.voice.speaker import Voice
from tests.checkin_support import without_checkins
from tests.dummy_voice import ToneRenderer
from tests.recording_listener import RecordingListener
from tests.service.test_worker import QUICK, WALL_OFFSET
from tests.service.test_worker_faults import BrokenEngine

PIN = 17


class FailingListener(Listener):
    """One that fails at everything: the others must still hear."""

    def status_changed(self, status: Status) -> None:
        raise RuntimeError("status")

    def gesture_made(self, gesture: Gesture) -> None:
        raise RuntimeError("gesture")

    def week_counted(self, sessions: int) -> None:
        raise RuntimeError("week")

    def alive(self) -> None:
        raise RuntimeError("alive")


@dataclass
class Heard:
    built: Assembly
    clock: FakeClock
    pin: object
    listener: RecordingListener

    def press(self) -> None:
        self.pin.drive_low()
        self.clock.advance(0.05)
        self.pin.drive_high()
        self.built.worker.drain()
        self.clock.advance(0.5)  # past the double-press window
        self.built.worker.drain()


def hear(tmp_path: Path, clock: FakeClock, factory, *, voice: Voice | None = None) -> Heard:
    listener = RecordingListener()
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=PIN),
        Parts(pin_factory=factory, voice=voice, renderer=ToneRenderer(), player=NullPlayer()),
        clocks=Clocks(monotonic=clock, wall=lambda: WALL_OFFSET + clock()),
        listeners=[FailingListener(), listener],
    )
    without_checkins(built.store)
    built.store.create_routine(QUICK)
    built.store.set_active_routine("quick")
    built.worker.reload()
    built.worker.greet()
    built.worker.drain()
    return Heard(built, clock, factory.pin(PIN), listener)


@pytest.fixture
def heard(tmp_path, clock, mock_factory) -> Iterator[Heard]:
    made = hear(tmp_path, clock, mock_factory)
    yield made
    made.built.close()


def test_a_listener_hears_the_buttons_gestures_and_each_status(heard: Heard) -> None:
    heard.listener.events.clear()
    heard.press()  # the intro
    assert heard.listener.gestures == [Gesture.PRESS]
    assert heard.listener.statuses[-1] == heard.built.worker.status()
    assert heard.listener.statuses[-1].state is State.INTRO
    # A press from the page is the engine's too, but not the physical button's.
    heard.built.worker.gesture(Gesture.PRESS)
    heard.built.worker.drain()
    assert heard.listener.gestures == [Gesture.PRESS]
    assert heard.listener.statuses[-1].state is State.SET


def test_a_listener_hears_the_week_counted_again_after_a_workout(heard: Heard) -> None:
    assert heard.listener.weeks[-1] == 0
    for _ in range(4):  # intro, the set, rep 1, rep 2 (the last)
        heard.press()
    assert heard.built.worker.status().state is State.DONE
    assert heard.listener.weeks[-1] == 1


def test_a_listener_hears_each_round_of_the_worker(heard: Heard) -> None:
    before = heard.listener.rounds
    heard.built.worker.drain()  # one round at least (the voice's reports may queue more)
    assert heard.listener.rounds > before


def test_a_listener_hears_the_voice_fall_silent(tmp_path, clock, mock_factory) -> None:
    voice = Voice(
        tmp_path / "cache", renderer=BrokenEngine(), player=NullPlayer(), silent_after=0.0
    )
    made = hear(tmp_path, clock, mock_factory, voice=voice)
    try:
        assert voice.wait_until_prepared(10)
        made.built.worker.drain()
        problems = made.listener.problems
        assert problems and problems[-1] is not None and problems[-1].restart_helps
        # Silent between workouts: no sign of life, so the watchdog may restart Spotter.
        rounds = made.listener.rounds
        made.built.worker.drain()
        assert made.listener.rounds == rounds
    finally:
        made.built.close()
