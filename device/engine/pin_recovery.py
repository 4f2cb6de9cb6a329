"""The owner's way back in without a screen: a very long hold just after boot.

Holding the button for ``hold`` seconds, starting within ``window`` seconds of
Spotter starting, offers to clear the web PIN; one press within ``confirm`` seconds
accepts. Anything else (another gesture, or silence) keeps the PIN. Only someone
who can power-cycle the device can get there, which is who owns it.
"""

from __future__ import annotations

from enum import StrEnum

HOLD_SECONDS = 10.0
WINDOW_SECONDS = 60.0
CONFIRM_SECONDS = 15.0


class Recovery(StrEnum):
    OFFERED = "offered"  # the hold was long enough: ask for a confirming press
    CLEARED = "cleared"  # confirmed: clear the PIN
    KEPT = "kept"  # not confirmed: the PIN stays


class PinRecovery:
    """Watches the button's edges; the worker asks it first while it is offering."""

    def __init__(
        self,
        started_at: float,
        *,
        armed: bool,
        hold: float = HOLD_SECONDS,
        window: float = WINDOW_SECONDS,
        confirm: float = CONFIRM_SECONDS,
    ) -> None:
        """``armed`` is whether there is a PIN to clear at all."""
        self._started_at = started_at
        self._armed = armed
        self._hold = hold
        self._window = window
        self._confirm = confirm
        self._pressed_at: float | None = None
        self._offer_until: float | None = None

    def offering(self) -> bool:
        return self._offer_until is not None

    def claims(self, at: float) -> bool:
        """Whether a hold starting at ``at`` is this offer's: one could still be made or is
        being made (so nothing else may take the hold)."""
        if not self._armed:
            return False
        return self._offer_until is not None or at - self._started_at <= self._window

    def edge(self, pressed: bool, at: float) -> None:
        if not self._armed:
            return
        if pressed and self._offer_until is None and at - self._started_at <= self._window:
            self._pressed_at = at
        elif not pressed:
            self._pressed_at = None

    def next_deadline(self) -> float | None:
        if self._offer_until is not None:
            return self._offer_until
        if self._pressed_at is not None:
            return self._pressed_at + self._hold
        return None

    def poll(self, now: float) -> Recovery | None:
        """What time alone decided: an offer after a long enough hold, or its expiry."""
        if self._offer_until is not None and now >= self._offer_until:
            self._finish()
            return Recovery.KEPT
        if self._pressed_at is not None and now - self._pressed_at >= self._hold:
            self._pressed_at = None
            self._offer_until = now + self._confirm
            return Recovery.OFFERED
        return None

    def heard(self, at: float) -> None:
        """The offer is (expected to be) heard to its end at ``at``: the time to confirm runs
        from then."""
        if self._offer_until is not None:
            self._offer_until = at + self._confirm

    def answer(self, is_press: bool) -> Recovery:
        """A gesture while offering: a press clears the PIN, anything else keeps it."""
        self._finish()
        return Recovery.CLEARED if is_press else Recovery.KEPT

    def _finish(self) -> None:
        # One offer per start: a second chance needs another power cycle.
        self._offer_until = None
        self._pressed_at = None
        self._armed = False
