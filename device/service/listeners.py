"""Who hears what the worker does: one listener protocol, and those who implement it.

The worker tells every listener the same things in the same order: the session's
status changed, the real button made a gesture, the week's sessions were counted,
the voice's health changed, and the worker is alive. It never calls a part by name:
the MQTT bridge, the status LED, systemd and the phone page's live view each listen,
and ``build(listeners=[...])`` says who is there. Listeners run on the worker's
thread, so each only takes note or queues; one that fails is logged and the others
still hear.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from device.events import Gesture, State, Status
from device.service.notify import Notifier, describe_status

if TYPE_CHECKING:
    from device.hardware.led import StatusLed
    from device.voice.speaker import VoiceProblem

log = logging.getLogger(__name__)

_COUNTING = frozenset({State.HOLD, State.REST})


class Listener:
    """What the worker tells those who watch it; override only what you need."""

    def status_changed(self, status: Status) -> None:
        """The session's status is not what it was."""

    def gesture_made(self, gesture: Gesture) -> None:
        """The physical button made a gesture (a phone's or a clicker's is not told)."""

    def week_counted(self, sessions: int) -> None:
        """Everyone's finished sessions this week, counted again after a change."""

    def voice_problem(self, problem: VoiceProblem | None) -> None:
        """The voice's health changed: its problem, or None once it speaks again."""

    def alive(self) -> None:
        """The worker went once round its loop and wants no restart (the watchdog's ping)."""


class Listeners(Listener):
    """Tells every listener in turn; a failing one is logged, and the next still hears."""

    def __init__(self, listeners: Sequence[Listener]) -> None:
        self._listeners = tuple(listeners)

    def status_changed(self, status: Status) -> None:
        self._tell(lambda listener: listener.status_changed(status))

    def gesture_made(self, gesture: Gesture) -> None:
        self._tell(lambda listener: listener.gesture_made(gesture))

    def week_counted(self, sessions: int) -> None:
        self._tell(lambda listener: listener.week_counted(sessions))

    def voice_problem(self, problem: VoiceProblem | None) -> None:
        self._tell(lambda listener: listener.voice_problem(problem))

    def alive(self) -> None:
        self._tell(lambda listener: listener.alive())

    def _tell(self, event: Callable[[Listener], object]) -> None:
        for listener in self._listeners:
            try:
                event(listener)
            except Exception:
                log.exception("%s failed to take note of an event", type(listener).__name__)


class LiveStatus(Listener):
    """The status the phone page shows, and a version that long-polls wait on."""

    def __init__(self, status: Status, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._status = status
        self._at = clock()
        self._version = 0
        self._changed = threading.Condition()

    def status_changed(self, status: Status) -> None:
        with self._changed:
            self._status = status
            self._at = self._clock()
            self._version += 1
            self._changed.notify_all()

    def current(self) -> Status:
        """The last status, its hold or rest counted down to now."""
        # The worker publishes only when something happens; between two events a hold or
        # rest still counts down, so age the published figure instead of waking the worker.
        status, at = self._status, self._at
        if status.remaining_seconds is None or status.state not in _COUNTING:
            return status
        left = max(0, math.ceil(status.remaining_seconds - (self._clock() - at)))
        return dataclasses.replace(status, remaining_seconds=left)

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)
            return self._version, self._status


class LedListener(Listener):
    """The status LED follows the state, and blinks twice for a clicker that connects."""

    def __init__(self, led: StatusLed) -> None:
        self._led = led
        self._connected: set[str] = set()

    def status_changed(self, status: Status) -> None:
        self._led.show(status.state)
        # Only a clicker that was not connected before blinks: the status changes every
        # second of a rest, and each may name the same clickers again.
        if set(status.connected_clickers) - self._connected:
            self._led.clicker_connected()
        self._connected = set(status.connected_clickers)


class SystemdListener(Listener):
    """STATUS= says what Spotter is doing and, when it has one, the voice's problem
    (``systemctl status`` shows it; ``spotter doctor`` reads it back); the worker's
    rounds feed the watchdog."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier
        self._shown: Status | None = None
        self._problem: str | None = None

    def status_changed(self, status: Status) -> None:
        self._shown = status
        self._notifier.status(describe_status(status, self._problem))

    def voice_problem(self, problem: VoiceProblem | None) -> None:
        self._problem = None if problem is None else problem.text
        if self._shown is not None:
            self.status_changed(self._shown)

    def alive(self) -> None:
        self._notifier.watchdog()
