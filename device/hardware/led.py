"""An optional status LED: steady when ready, blinking in a rest, pulsing in a hold.

The LED only follows the session's state, so one ``show(state)`` per status
change drives it; a state that keeps the same pattern leaves the running
blink alone. Blinking and pulsing run on gpiozero's own background thread.
Without PWM on the pin, a pulse becomes a quick blink.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gpiozero import LED, PWMLED
from gpiozero.exc import PinPWMUnsupported

from device.events import State

log = logging.getLogger(__name__)


class Pattern(StrEnum):
    OFF = "off"
    STEADY = "steady"
    BLINK = "blink"  # a rest
    FLASH = "flash"  # paused: a short flash now and then
    PULSE = "pulse"  # a timed hold


_PATTERNS: dict[State, Pattern] = {
    State.IDLE: Pattern.STEADY,
    State.INTRO: Pattern.STEADY,
    State.SET: Pattern.STEADY,
    State.DONE: Pattern.STEADY,
    State.REST: Pattern.BLINK,
    State.PAUSED: Pattern.FLASH,
    State.HOLD: Pattern.PULSE,
}


def pattern_for(state: State) -> Pattern:
    """How the LED shows a session state."""
    return _PATTERNS[state]


@dataclass(frozen=True, slots=True)
class LedTiming:
    """Seconds for each pattern's on and off phases (a pulse's fade in and out)."""

    blink: tuple[float, float] = (0.5, 0.5)
    flash: tuple[float, float] = (0.1, 1.9)
    pulse: tuple[float, float] = (0.7, 0.7)
    quick_blink: tuple[float, float] = (0.15, 0.15)  # a pulse without PWM
    clicker: tuple[float, float] = (0.12, 0.12)  # twice, when a clicker connects


class StatusLed:
    """An LED (with its resistor) between a BCM pin and ground."""

    def __init__(
        self, pin: int, *, pin_factory: Any = None, timing: LedTiming = LedTiming()
    ) -> None:
        self._timing = timing
        self._lock = threading.Lock()
        self._pattern = Pattern.OFF
        self._closed = False
        # Bumped by every change of pattern, so a double blink that a state change cut
        # short does not put back a pattern that is no longer the state's.
        self._generation = 0
        self._led: Any
        try:
            self._led = PWMLED(pin, pin_factory=pin_factory)
            self._pwm = True
        except PinPWMUnsupported:
            self._led = LED(pin, pin_factory=pin_factory)
            self._pwm = False

    @property
    def pattern(self) -> Pattern:
        """What the LED is showing now."""
        return self._pattern

    def show(self, state: State) -> None:
        """Show a session state; nothing changes while the pattern stays the same."""
        self._apply(pattern_for(state))

    def clicker_connected(self) -> None:
        """Two quick blinks, then the state's pattern again: a clicker just connected."""
        with self._lock:
            if self._closed:
                return
            self._generation += 1
            generation = self._generation
            on, off = self._timing.clicker
            # gpiozero's own thread blinks; every call to the LED is under the lock, so a
            # state change cannot race the start of the blink.
            self._led.blink(on, off, n=2)
        timer = threading.Timer(2 * (on + off), self._after_blinks, args=(generation,))
        timer.daemon = True
        timer.start()

    def _after_blinks(self, generation: int) -> None:
        with self._lock:
            if self._closed or generation != self._generation:
                return  # a state change came meanwhile and shows already
            pattern, self._pattern = self._pattern, Pattern.OFF
        self._apply(pattern)

    def off(self) -> None:
        """Dark, as when Spotter is not running."""
        self._apply(Pattern.OFF)

    def close(self) -> None:
        """Turn the LED off and release its pin; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pattern = Pattern.OFF
            self._led.off()
            self._led.close()

    def _apply(self, pattern: Pattern) -> None:
        with self._lock:
            if self._closed or pattern == self._pattern:
                return
            self._pattern = pattern
            self._generation += 1
            led, t = self._led, self._timing
            if pattern == Pattern.OFF:
                led.off()
            elif pattern == Pattern.STEADY:
                led.on()
            elif pattern == Pattern.BLINK:
                led.blink(*t.blink)
            elif pattern == Pattern.FLASH:
                led.blink(*t.flash)
            elif self._pwm:
                led.pulse(*t.pulse)
            else:
                led.blink(*t.quick_blink)


def open_status_led(pin: int | None, *, pin_factory: Any = None) -> StatusLed | None:
    """The status LED on ``pin``, or None when there is none or it cannot be used.

    An LED is a nicety: a pin that fails is logged and Spotter carries on without it.
    """
    if pin is None:
        return None
    try:
        return StatusLed(pin, pin_factory=pin_factory)
    except Exception as err:
        log.warning(
            "the status LED on GPIO%d cannot be used (%s); carrying on without it", pin, err
        )
        return None
