"""The worker's part in a gym: the spoken address by name, the PIN recovery hold, and what
it tells observers (the MQTT bridge) about physical gestures and the week."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from device.events import Gesture
from device.hardware.button import ButtonInput
from device.service.worker import Clocks, Spotter, WorkerSetup
from device.voice.player import NullPlayer
from device.voice.speaker import Voice
from routines.store import HistoryEntry, Store
from tests.dummy_voice import ToneRenderer
from tests.recording_listener import RecordingListener

WALL = 1_780_000_000.0
URLS = ["http://corner-2.local:8080", "http://192.168.1.20:8080"]
SPOKEN_ADDRESS = (
    "On your phone, open corner-2 dot local colon 8080. "
    "If that does not open, use 192 dot 168 dot 1 dot 20 colon 8080."
)
PIN_HASH = "scrypt$16384$8$1$" + "ab" * 16 + "$" + "cd" * 32


@dataclass
class Rig:
    store: Store
    voice: Voice
    spotter: Spotter
    clock: object
    pin: object
    button: ButtonInput
    spoken: list[str]
    gestures: list[Gesture] = field(default_factory=list)
    weeks: list[int] = field(default_factory=list)

    def settle(self) -> None:
        self.spotter.drain()
        assert self.voice.wait_until_quiet(timeout=5)

    def press(self) -> None:
        self.pin.drive_low()
        self.clock.advance(0.05)
        self.pin.drive_high()
        self.spotter.drain()
        self.clock.advance(0.5)
        self.settle()

    def hold(self, seconds: float) -> None:
        """Held down, with the worker woken at each deadline on the way, as it would be."""
        self.pin.drive_low()
        self.spotter.drain()
        end = self.clock.now + seconds
        while (wait := self.spotter._wait_time()) is not None and self.clock.now + wait < end:
            self.clock.advance(max(wait, 0.001))
            self.spotter.drain()
        self.clock.now = end
        self.spotter.drain()
        self.pin.drive_high()
        self.spotter.drain()
        self.settle()


@pytest.fixture
def make(tmp_path, clock, mock_factory):
    made: list[Rig] = []

    def build(*, pin_hash: str = "", recovery: bool = True) -> Rig:
        store = Store.open(tmp_path / "data")
        if pin_hash:
            store.update_settings({"pin_hash": pin_hash})
        spoken: list[str] = []
        voice = Voice(
            tmp_path / "cache", renderer=ToneRenderer(), player=NullPlayer(), echo=spoken.append
        )
        heard = RecordingListener()
        spotter = Spotter(
            store,
            voice,
            clocks=Clocks(monotonic=clock, wall=lambda: WALL + clock()),
            setup=WorkerSetup(pin_recovery=recovery),
            address_lookup=lambda: list(URLS),
            listeners=[heard],
        )
        button = ButtonInput(17, spotter.submit_edge, clock, pin_factory=mock_factory)
        rig = Rig(store, voice, spotter, clock, mock_factory.pin(17), button, spoken)
        rig.gestures, rig.weeks = heard.gestures, heard.weeks
        made.append(rig)
        return rig

    yield build
    for rig in made:
        rig.button.close()
        rig.voice.close()
        rig.store.close()


def test_the_name_is_spoken_before_the_address_at_start_and_on_the_idle_long_hold(make):
    rig = make()
    rig.spotter.greet()
    rig.settle()
    assert rig.spoken[-1] == SPOKEN_ADDRESS
    rig.spoken.clear()
    rig.hold(3.2)
    assert rig.spoken == [SPOKEN_ADDRESS]


def test_a_ten_second_hold_after_start_offers_to_clear_the_pin_and_a_press_does(make, caplog):
    caplog.set_level(logging.INFO, logger="device.service.worker")
    rig = make(pin_hash=PIN_HASH)
    rig.spotter.greet()
    rig.settle()
    rig.clock.advance(20)
    rig.hold(10.2)
    assert rig.spoken[-1].startswith("To clear the web page's PIN, press the button once now.")
    assert rig.store.settings().pin_hash == PIN_HASH
    rig.press()
    assert rig.store.settings().pin_hash == ""
    assert rig.spoken[-1].startswith("The PIN is cleared.")
    assert any("PIN was cleared at the device" in r.getMessage() for r in caplog.records)
    # That press only answered the offer: the workout did not start.
    assert str(rig.spotter.status().state) == "idle"


def test_without_a_press_the_pin_stays(make):
    rig = make(pin_hash=PIN_HASH)
    rig.spotter.greet()
    rig.hold(10.2)
    rig.settle()  # the offer is heard to its end: the 15 s to confirm run from there
    rig.clock.advance(14)
    rig.settle()
    assert rig.spoken[-1].startswith("To clear the web page's PIN")
    rig.clock.advance(2)
    rig.settle()
    assert rig.spoken[-1] == "The PIN stays as it was."
    rig.press()
    assert rig.store.settings().pin_hash == PIN_HASH


def test_no_offer_after_the_first_minute_or_without_a_pin(make):
    late = make(pin_hash=PIN_HASH)
    late.spotter.greet()
    late.clock.advance(61)
    late.hold(10.2)
    assert not any("PIN" in line for line in late.spoken)
    late.press()
    assert late.store.settings().pin_hash == PIN_HASH


def test_no_offer_without_a_pin(make):
    rig = make()
    rig.spotter.greet()
    rig.hold(10.2)
    assert not any("PIN" in line for line in rig.spoken)


def test_observers_hear_physical_gestures_only_and_the_week(make):
    rig = make()
    assert rig.weeks == [0]
    rig.store.add_history(HistoryEntry("lower-back", "L", WALL - 60, WALL - 10, 1, 1, True))
    rig.spotter.reload()  # as after any change the page makes
    rig.spotter.greet()
    rig.press()
    rig.spotter.gesture(Gesture.DOUBLE)  # from the web page or MQTT: not the button
    rig.settle()
    rig.hold(3.2)
    assert rig.gestures == [Gesture.PRESS, Gesture.LONG_HOLD]
    assert rig.weeks[-1] == 1
