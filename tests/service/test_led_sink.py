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
