"""Turns the button's raw edges into gestures: press, double-press, hold and long hold.

Everything is decided from edge timestamps, never from when the caller happens to
look, so a late ``poll`` gives the same gestures as a punctual one. No I/O, no
threads, no clock of its own: the caller passes the time in.

Rules (durations measured on the debounced level):

- A *press* (down shorter than ``hold``) is decided at the release edge and
  returned at once; Spotter never waits to see whether a second press follows.
- A second press that goes down within ``double_window`` of a press's release,
  and is itself short, is a *double* instead of a second press. The press after
  a double starts over, so a stream of quick presses alternates press, double.
- A *hold* is down for at least ``hold`` and less than ``long_hold``, decided at
  release. Holding through a pending double window gives a hold, not a double.
- A *long hold* is decided while the button is still down, once ``long_hold``
  has passed (``poll`` at ``next_deadline()``); its release decides nothing.
- Debounce: a raw edge after ``debounce`` seconds of quiet is taken at once, so
  a press costs no latency. An edge within ``debounce`` of the previous raw edge
  is chatter: the level it leaves is taken (with that edge's timestamp) only once
  it has stayed put for ``debounce``. Chatter on press or release is therefore
  one press; a real change inside the window is taken once it has settled,
  never lost, and a glitch of any length is a press. Edges that repeat the
  current raw level are ignored.
- How fast is too fast: presses 20 ms down and 20 ms up (25 a second) with a
  20 ms debounce all count, alternating press and double. Fifty a second (10 ms
  each way) is closer together than ``debounce``, so it is chatter: one contact
  from the burst's first edge to its last. No finger taps that fast.
- Time never runs backwards: an edge stamped before a time already seen (by an
  earlier edge or poll) is taken as happening at that time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from device.engine.edges import Edge
from device.events import Gesture

__all__ = ["Edge", "GestureDetector", "GestureTimings"]

# Timestamps built by adding floats land a hair either side of a boundary
# (1000.4 - 1000.0 < 0.4); a microsecond of tolerance keeps boundaries inclusive.
_TOLERANCE = 1e-6


def _due(deadline: float, now: float) -> bool:
    return deadline <= now + _TOLERANCE


@dataclass(frozen=True, slots=True)
class GestureTimings:
    """How long each part of a gesture lasts, in seconds (settings keep milliseconds)."""

    debounce: float = 0.02
    double_window: float = 0.4
    hold: float = 1.0
    long_hold: float = 3.0


class GestureDetector:
    """Debounces raw button edges and decides gestures from their timestamps."""

    def __init__(
        self,
        *,
        debounce: float = 0.02,
        double_window: float = 0.4,
        hold: float = 1.0,
        long_hold: float = 3.0,
    ) -> None:
        self._debounce = 0.0
        self._double_window = 0.0
        self._hold = 0.0
        self._long_hold = 0.0
        self.configure(
            debounce=debounce, double_window=double_window, hold=hold, long_hold=long_hold
        )
        self._now = -math.inf
        # The raw level as last reported, and when it last changed.
        self._raw = False
        self._raw_at: float | None = None
        # The debounced level and the state of the gesture in progress.
        self._down = False
        self._down_at = 0.0
        self._long_sent = False
        self._pairing = False
        self._press_released_at: float | None = None

    def configure(
        self, *, debounce: float, double_window: float, hold: float, long_hold: float
    ) -> None:
        """Change the timings (seconds); they apply to every decision still to come."""
        if debounce < 0:
            raise ValueError(f"debounce must be 0 or more seconds, not {debounce}")
        if double_window < 0:
            raise ValueError(f"double_window must be 0 or more seconds, not {double_window}")
        if hold <= 0:
            raise ValueError(f"hold must be more than 0 seconds, not {hold}")
        if long_hold <= hold:
            raise ValueError(f"long_hold ({long_hold}) must be longer than hold ({hold})")
        self._debounce = debounce
        self._double_window = double_window
        self._hold = hold
        self._long_hold = long_hold

    def edge(self, pressed: bool, at: float) -> list[Gesture]:
        """Take a raw edge; returns the gestures decided up to and by it, in order."""
        at = max(at, self._now)
        decided = self._advance(at)
        if pressed == self._raw:
            return decided
        quiet = self._raw_at is None or _due(self._raw_at + self._debounce, at)
        self._raw = pressed
        self._raw_at = at
        if quiet and pressed != self._down:
            decided += self._settle(pressed, at)
        return decided

    def poll(self, now: float) -> list[Gesture]:
        """Decide whatever is due by ``now`` (a long hold, a settled level after chatter)."""
        return self._advance(max(now, self._now))

    @property
    def last_down_at(self) -> float:
        """When the button went down for the gesture decided last: the moment a press was
        meant, which is what an answer to a question is judged by."""
        return self._down_at

    def double_possible_until(self) -> float | None:
        """While a double-press may still follow the last press: when that chance ends
        (infinity while a second press is down); None when no double can follow."""
        if self._pairing:
            return math.inf
        if self._press_released_at is not None:
            return self._press_released_at + self._double_window + _TOLERANCE
        return None

    def next_deadline(self) -> float | None:
        """When ``poll`` may next decide something; None when nothing is pending."""
        deadlines = [
            d for d in (self._settle_deadline(), self._long_hold_deadline()) if d is not None
        ]
        return min(deadlines) if deadlines else None

    def _settle_deadline(self) -> float | None:
        if self._raw == self._down or self._raw_at is None:
            return None
        return self._raw_at + self._debounce

    def _long_hold_deadline(self) -> float | None:
        if not self._down or self._long_sent:
            return None
        return self._down_at + self._long_hold

    def _advance(self, now: float) -> list[Gesture]:
        # Deadlines are handled in the order they fell due, each at its own time,
        # so a caller that polls late is given exactly what a punctual one got.
        self._now = now
        decided: list[Gesture] = []
        while True:
            long_hold = self._long_hold_deadline()
            settle = self._settle_deadline()
            if (
                settle is not None
                and _due(settle, now)
                and (long_hold is None or settle < long_hold)
            ):
                assert self._raw_at is not None
                decided += self._settle(self._raw, self._raw_at)
            elif long_hold is not None and _due(long_hold, now):
                self._long_sent = True
                decided.append(Gesture.LONG_HOLD)
            else:
                return decided

    @property
    def second_press_down(self) -> bool:
        """True while a press that may yet make a double with the one before is down."""
        return self._down and self._pairing

    def _settle(self, down: bool, at: float) -> list[Gesture]:
        """The debounced level changes to ``down`` at ``at``."""
        self._down = down
        if down:
            self._down_at = at
            self._long_sent = False
            released = self._press_released_at
            self._pairing = (
                released is not None and at - released <= self._double_window + _TOLERANCE
            )
            self._press_released_at = None
            return []
        pairing, self._pairing = self._pairing, False
        if self._long_sent:
            return []
        if at - self._down_at >= self._hold - _TOLERANCE:
            return [Gesture.HOLD]
        if pairing:
            return [Gesture.DOUBLE]
        self._press_released_at = at
        return [Gesture.PRESS]
