"""The LED listens to the status: the state's pattern, and two blinks for a newcomer."""

from __future__ import annotations

from device.events import State, Status
from device.service.listeners import LedListener


class RecordingLed:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def show(self, state: State) -> None:
        self.calls.append(state)

    def clicker_connected(self) -> None:
        self.calls.append("blink twice")


def test_a_clicker_that_connects_blinks_the_led_once_and_only_then():
    led = RecordingLed()
    listener = LedListener(led)  # type: ignore[arg-type]
    listener.status_changed(Status(state=State.IDLE))
    listener.status_changed(Status(state=State.IDLE, connected_clickers=("ann",)))
    listener.status_changed(Status(state=State.REST, connected_clickers=("ann",)))  # again
    listener.status_changed(Status(state=State.REST))  # gone
    listener.status_changed(Status(state=State.REST, connected_clickers=("ann",)))  # back
    assert led.calls == [
        State.IDLE,
        State.IDLE,
        "blink twice",
        State.REST,
        State.REST,
        State.REST,
        "blink twice",
    ]


def test_a_configured_led_shows_the_state_of_a_built_spotter_and_none_is_made_without(tmp_path):
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from device.hardware.led import pattern_for
    from device.service.build import Parts, build
    from device.service.config import Config
    from device.voice.player import NullPlayer
    from tests.dummy_voice import ToneRenderer

    for led_pin in (None, 27):
        built = build(
            Config(data_dir=tmp_path / f"data-{led_pin}", led_pin=led_pin),
            Parts(
                pin_factory=MockFactory(pin_class=MockPWMPin),
                renderer=ToneRenderer(),
                player=NullPlayer(),
            ),
        )
        try:
            if led_pin is None:
                assert built.led is None
                continue
            assert built.led is not None
            assert pattern_for(State.REST) != pattern_for(State.IDLE)
            built.led.show(State.REST)
            assert built.led.pattern == pattern_for(State.REST)
        finally:
            built.close()
