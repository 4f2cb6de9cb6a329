"""The status sink drives the LED: the state's pattern, and two blinks for a newcomer."""

from __future__ import annotations

from device.events import State, Status
from device.service.build import _status_sink


class RecordingLed:
    def __init__(self) -> None:
        self.calls: list[object] = []

    def show(self, state: State) -> None:
        self.calls.append(state)

    def clicker_connected(self) -> None:
        self.calls.append("blink twice")


def test_a_clicker_that_connects_blinks_the_led_once_and_only_then():
    led = RecordingLed()
    seen: list[Status] = []
    sink = _status_sink(seen.append, led)  # type: ignore[arg-type]
    assert sink is not None
    sink(Status(state=State.IDLE))
    sink(Status(state=State.IDLE, connected_clickers=("ann",)))
    sink(Status(state=State.REST, connected_clickers=("ann",)))  # the same clicker again
    sink(Status(state=State.REST))  # gone
    sink(Status(state=State.REST, connected_clickers=("ann",)))  # back
    assert led.calls == [
        State.IDLE,
        State.IDLE,
        "blink twice",
        State.REST,
        State.REST,
        State.REST,
        "blink twice",
    ]
    assert len(seen) == 5
