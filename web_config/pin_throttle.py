"""How fast wrong PINs may be tried: slowly for the whole device, never for long for its owner.

Counting per address is useless on a LAN where an address costs nothing to change, so
every browser Spotter does not know shares one device-wide allowance: a few tries, then
a wait that doubles with each wrong PIN, up to ``MAX_WAIT`` seconds. A browser that has
logged in before (it carries a mark tied to the current PIN) has an allowance of its
own, so a stranger's guessing never keeps the owner's phone waiting.

A try is counted as wrong the moment it starts and taken back if the PIN was right, so
forty guesses sent at once cannot all slip through before the first one is judged.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Wrong PINs strangers may try in a row without waiting.
FREE_TRIES = 3
FIRST_WAIT = 5.0
MAX_WAIT = 60.0
# After this long with no wrong PIN, strangers start again with their free tries.
QUIET_RESET = 600.0
# A known browser may get its own PIN wrong this often a minute.
KNOWN_LIMIT = 5
KNOWN_WINDOW = 60.0
_MAX_KNOWN = 64


class MustWait(Exception):
    """No PIN may be tried now; ``seconds`` says for how long."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"wait {seconds} s")
        self.seconds = seconds


@dataclass(slots=True)
class Ticket:
    """One PIN try in progress: counted as wrong until ``PinThrottle.right`` takes it back."""

    known: str | None
    at: float
    undo_wait: float = 0.0


def wait_after(strikes: int) -> float:
    """How long strangers wait after their ``strikes``-th wrong PIN in a row."""
    if strikes < FREE_TRIES:
        return 0.0
    return float(min(MAX_WAIT, FIRST_WAIT * 2 ** (strikes - FREE_TRIES)))


class PinThrottle:
    """The device's allowance of wrong PINs (thread-safe; time from ``clock``)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._strikes = 0
        self._last_strike = float("-inf")
        self._open_at = float("-inf")
        self._known: dict[str, deque[float]] = {}

    def retry_after(self, known: str | None = None) -> int:
        """Whole seconds before a try is allowed (0: now) for a stranger, or for the
        browser whose mark is ``known``."""
        with self._lock:
            return _whole(self._wait(known, self._clock()))

    def start(self, known: str | None = None) -> Ticket:
        """Begin one try, or raise ``MustWait``."""
        with self._lock:
            now = self._clock()
            wait = self._wait(known, now)
            if wait > 0:
                raise MustWait(_whole(wait))
            ticket = Ticket(known, now)
            if known is not None:
                self._known.setdefault(known, deque()).append(now)
                while len(self._known) > _MAX_KNOWN:
                    del self._known[next(iter(self._known))]
            else:
                ticket.undo_wait = self._open_at
                self._strikes += 1
                self._last_strike = now
                self._open_at = now + wait_after(self._strikes)
            return ticket

    def right(self, ticket: Ticket) -> None:
        """The PIN of ``ticket`` was right: it does not count against anyone."""
        with self._lock:
            if ticket.known is not None:
                tries = self._known.get(ticket.known)
                if tries is not None and ticket.at in tries:
                    tries.remove(ticket.at)
                return
            if self._strikes > 0 and ticket.at >= self._last_strike - QUIET_RESET:
                self._strikes -= 1
                self._open_at = ticket.undo_wait

    def _wait(self, known: str | None, now: float) -> float:
        if known is not None:
            tries = self._known.get(known)
            if tries is None:
                return 0.0
            while tries and tries[0] <= now - KNOWN_WINDOW:
                tries.popleft()
            if len(tries) < KNOWN_LIMIT:
                return 0.0
            return tries[0] + KNOWN_WINDOW - now
        if now - self._last_strike >= QUIET_RESET:
            self._strikes = 0
            self._open_at = float("-inf")
        return max(0.0, self._open_at - now)


def _whole(seconds: float) -> int:
    return 0 if seconds <= 0 else max(1, int(seconds + 0.999))
