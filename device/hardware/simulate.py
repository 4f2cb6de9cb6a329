"""Keyboard stand-in for the physical button, for ``spotter run --simulate``.

Keys become edges on gpiozero's mock pin, so the real ``Button`` and the real
gesture code run exactly as they would on a Pi: only the finger is simulated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TextIO

KEYS_HELP = "Enter = press, d = double-press, h = hold, l = long hold, q = quit"

# The simulated finger must be slower than the debounce lockout, or the gesture
# code would rightly treat its edges as contact bounce.
TAP_SECONDS = 0.06
# A key is one character; a line longer than this is not a key, and only this much of it
# is ever held, so input that never ends a line cannot fill the daemon's memory.
KEY_LINE_LIMIT = 80


class DrivablePin(Protocol):
    def drive_low(self) -> None: ...
    def drive_high(self) -> None: ...


class SimulatedFinger:
    """Presses a pulled-up button wired to ground: pressed is low, released is high."""

    def __init__(
        self,
        pin: DrivablePin,
        *,
        double_window: float,
        hold: float,
        long_hold: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pin = pin
        self._double_window = double_window
        self._hold = hold
        self._long_hold = long_hold
        self._sleep = sleep

    def retime(self, *, double_window: float, hold: float, long_hold: float) -> None:
        """Follow new gesture timings (the stored ones, once they are read)."""
        self._double_window = double_window
        self._hold = hold
        self._long_hold = long_hold

    def _tap(self, down: float) -> None:
        self._pin.drive_low()
        self._sleep(down)
        self._pin.drive_high()

    def press(self) -> None:
        self._tap(TAP_SECONDS)
        # Wait out the double-press window so two presses typed one after the
        # other stay two presses, as they would with a human finger.
        self._sleep(self._double_window + TAP_SECONDS)

    def double(self) -> None:
        self._tap(TAP_SECONDS)
        self._sleep(TAP_SECONDS)
        self._tap(TAP_SECONDS)
        self._sleep(self._double_window + TAP_SECONDS)

    def hold(self) -> None:
        self._tap(self._hold + (self._long_hold - self._hold) / 2)
        self._sleep(TAP_SECONDS)

    def long_hold(self) -> None:
        self._tap(self._long_hold + 0.2)
        self._sleep(TAP_SECONDS)


def key_lines(stream: TextIO, limit: int = KEY_LINE_LIMIT) -> Iterator[str]:
    """Each line of ``stream``; of a line longer than ``limit``, only its start (once)."""
    skipping = False
    while chunk := stream.readline(limit):
        ended = chunk.endswith("\n")
        if not skipping:
            yield chunk
        skipping = not ended


def drive_from_keys(
    lines: Iterable[str], finger: SimulatedFinger, *, on_unknown: Callable[[str], None]
) -> None:
    """Turn each input line into a gesture; returns on ``q`` or at the end of input."""
    for raw in lines:
        key = raw.strip().lower()
        if key == "":
            finger.press()
        elif key == "d":
            finger.double()
        elif key == "h":
            finger.hold()
        elif key == "l":
            finger.long_hold()
        elif key == "q":
            return
        else:
            on_unknown(key)
