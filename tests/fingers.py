"""Test fingers for the button: press at exact times, note the gestures decided.

``Finger`` hands raw edges straight to a ``GestureDetector``; ``PinFinger`` drives
gpiozero's mock pin under a real ``ButtonInput`` and feeds the detector whatever
edges the button reported. Both poll the detector at every deadline on the way,
as the daemon's worker does, and never sleep: time is a number they move.
"""

from __future__ import annotations

from gpiozero.pins.mock import MockFactory

from device.engine.gestures import Edge, GestureDetector
from device.events import Gesture
from device.hardware.button import ButtonInput
from device.testing import FakeClock

START = 100.0


class Finger:
    """Presses a detector's button at explicit times."""

    def __init__(self, detector: GestureDetector | None = None, *, start: float = START) -> None:
        self.detector = detector or GestureDetector()
        self.t = start
        self.log: list[tuple[float, Gesture]] = []

    @property
    def gestures(self) -> list[Gesture]:
        return [g for _, g in self.log]

    def wait(self, seconds: float) -> None:
        """Let time pass, polling at each deadline that falls due on the way."""
        end = self.t + seconds
        steps = 0
        while (due := self.next_deadline()) is not None and due <= end:
            steps += 1
            assert steps < 100_000, f"deadline {due} never passes"
            self.move_to(max(self.t, due))
            self.poll()
        self.move_to(end)

    def next_deadline(self) -> float | None:
        return self.detector.next_deadline()

    def poll(self) -> None:
        self._note(self.detector.poll(self.t))

    def move_to(self, t: float) -> None:
        self.t = t

    def edge(self, pressed: bool) -> list[Gesture]:
        """The button's raw level changes now; returns what that edge decided."""
        return self._note(self.detector.edge(pressed, self.t))

    def _note(self, decided: list[Gesture]) -> list[Gesture]:
        self.log += [(self.t, g) for g in decided]
        return decided

    def tap(self, down: float, up: float = 0.0) -> None:
        self.edge(True)
        self.wait(down)
        self.edge(False)
        self.wait(up)

    def chatter(self, final: bool, bounces: int, step: float = 0.001) -> None:
        """The edge to ``final`` followed by ``bounces`` toggles ``step`` apart, ending at
        ``final``."""
        level = final
        self.edge(level)
        for _ in range(bounces):
            self.wait(step)
            level = not level
            self.edge(level)
        if level != final:
            self.wait(step)
            self.edge(final)


class PinFinger(Finger):
    """Presses a real gpiozero Button on a mock pin (pulled up: pressed is low)."""

    def __init__(
        self,
        factory: MockFactory,
        clock: FakeClock,
        detector: GestureDetector | None = None,
        *,
        pin: int = 17,
    ) -> None:
        super().__init__(detector, start=clock())
        self.clock = clock
        self.edges: list[Edge] = []  # every edge the button reported
        self._fed = 0
        self.button = ButtonInput(pin, self.edges.append, clock, pin_factory=factory)
        self.pin = factory.pin(pin)

    def close(self) -> None:
        self.button.close()

    def __enter__(self) -> PinFinger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def move_to(self, t: float) -> None:
        super().move_to(t)
        self.clock.advance(t - self.clock())

    def edge(self, pressed: bool) -> list[Gesture]:
        """Drive the pin; hand every edge the button reported to the detector."""
        if pressed:
            self.pin.drive_low()
        else:
            self.pin.drive_high()
        decided: list[Gesture] = []
        for reported in self.edges[self._fed :]:
            decided += self.detector.edge(reported.pressed, reported.at)
        self._fed = len(self.edges)
        return self._note(decided)
