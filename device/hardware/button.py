"""The physical button: gpiozero reports its edges, stamped and handed on untouched.

gpiozero calls back on its pin factory's thread, and a slow callback there makes
it miss edges, so the callbacks only stamp the edge and pass it to the sink (a
queue's ``put``). Deciding what the edges mean is ``device.engine.gestures``' job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from gpiozero import Button, Factory

from device.engine.edges import Edge


class ButtonInput:
    """A push button between a BCM pin and ground, using the pin's internal pull-up."""

    def __init__(
        self,
        pin: int,
        sink: Callable[[Edge], None],
        clock: Callable[[], float] = time.monotonic,
        *,
        pin_factory: Factory | None = None,
    ) -> None:
        self._sink = sink
        self._clock = clock
        # gpiozero's bounce_time has lost events (gpiozero#550) and MockPin ignores it;
        # debounce lives in GestureDetector, where chattering mock edges can prove it.
        self._button: Any = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
        self._button.when_pressed = self._pressed
        self._button.when_released = self._released

    def _pressed(self) -> None:
        self._sink(Edge(True, self._clock()))

    def _released(self) -> None:
        self._sink(Edge(False, self._clock()))

    def close(self) -> None:
        """Stop reporting and release the pin for others; safe to call twice."""
        self._button.close()

    def __enter__(self) -> ButtonInput:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
