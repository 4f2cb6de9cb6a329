"""A very long hold of the wall button while idle: pair a new clicker.

It must not take the hold that offers to clear the web PIN: while that offer could
still be made (a PIN is set and Spotter started under a minute ago) or is being made,
the hold is the PIN's, and pairing waits for the next one.
"""

from __future__ import annotations

HOLD_SECONDS = 10.0


class PairHold:
    """Watches the wall button's edges; ``poll`` says when a hold asks for pairing."""

    def __init__(self, hold: float = HOLD_SECONDS) -> None:
        self._hold = hold
        self._pressed_at: float | None = None

    def edge(self, pressed: bool, at: float, *, allowed: bool) -> None:
        """``allowed``: whether a hold starting now may pair (idle, nothing else claims it)."""
        self._pressed_at = at if pressed and allowed else None

    def next_deadline(self) -> float | None:
        return None if self._pressed_at is None else self._pressed_at + self._hold

    def poll(self, now: float) -> bool:
        """Whether the hold has just lasted long enough: once per hold."""
        if self._pressed_at is not None and now - self._pressed_at >= self._hold:
            self._pressed_at = None
            return True
        return False
