"""How fast wrong PINs may be tried: slowly for the whole device, never for long for its owner.

Counting per address is useless on a LAN where an address costs nothing to change, so
every browser Spotter does not know shares one device-wide allowance: a few tries, then
a wait that doubles with each wrong PIN, up to ``MAX_WAIT`` seconds. A browser that has
logged in before (it carries a mark tied to the current PIN) has an allowance of its
own, so a stranger's guessing never keeps the owner's phone waiting.

A try is counted as wrong the moment it starts and taken back if the PIN was right, so
forty guesses sent at once cannot all slip through before the first one is judged.

The daemon keeps this allowance and the page's process asks for it through the port
(``device.control.PinAllowance``): a page that dies, or is made to die, is started
again with the count where it was.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from device.control import MustWait

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
# Tickets kept for taking back: far more than the page's threads judge at once. A wrong
# PIN's ticket is never taken back, so the oldest is forgotten (and stays counted as
# wrong): no number of tries grows the memory.
MAX_OPEN = 64


@dataclass(slots=True)
class _Try:
    known: str | None
    at: float
    undo_wait: float = 0.0


def wait_after(strikes: int) -> float:
    """How long strangers wait after their ``strikes``-th wrong PIN in a row."""
    if strikes < FREE_TRIES:
        return 0.0
    return float(min(MAX_WAIT, FIRST_WAIT * 2 ** (strikes - FREE_TRIES)))


class PinThrottle:
    """The device's allowance of wrong PINs (thread-safe; time from ``clock``).

    Implements ``device.control.PinAllowance``: a try is a ticket number, so the
    page's process holds nothing that could change the count but that number."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._strikes = 0
        self._last_strike = float("-inf")
        self._open_at = float("-inf")
        self._known: dict[str, deque[float]] = {}
        self._open: OrderedDict[int, _Try] = OrderedDict()
        self._numbers = itertools.count(1)

    def retry_after(self, known: str | None = None) -> int:
        """Whole seconds before a try is allowed (0: now) for a stranger, or for the
        browser whose mark is ``known``."""
        with self._lock:
            return _whole(self._wait(known, self._clock()))

    def start(self, known: str | None = None) -> int:
        """Begin one try: its ticket, counted as a wrong PIN until ``right``; or raise
        ``MustWait``."""
        with self._lock:
            now = self._clock()
            wait = self._wait(known, now)
            if wait > 0:
                raise MustWait(_whole(wait))
            attempt = _Try(known, now)
            if known is not None:
                self._known.setdefault(known, deque()).append(now)
                while len(self._known) > _MAX_KNOWN:
                    del self._known[next(iter(self._known))]
            else:
                attempt.undo_wait = self._open_at
                self._strikes += 1
                self._last_strike = now
                self._open_at = now + wait_after(self._strikes)
            ticket = next(self._numbers)
            self._open[ticket] = attempt
            while len(self._open) > MAX_OPEN:
                self._open.popitem(last=False)
            return ticket

    def right(self, ticket: int) -> None:
        """The PIN of ``ticket`` was right: it does not count against anyone. A ticket
        already taken back, forgotten or never given changes nothing."""
        with self._lock:
            attempt = self._open.pop(ticket, None)
            if attempt is None:
                return
            if attempt.known is not None:
                tries = self._known.get(attempt.known)
                if tries is not None and attempt.at in tries:
                    tries.remove(attempt.at)
                return
            if self._strikes > 0 and attempt.at >= self._last_strike - QUIET_RESET:
                self._strikes -= 1
                self._open_at = attempt.undo_wait

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
