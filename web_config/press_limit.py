"""Web presses per address: a phone (or a script) can send hundreds of presses a second,
each a queued engine event and possibly a history row; a person cannot. The physical
button never passes here, so the limit cannot slow it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# A burst of quick taps is fine; a steady stream beyond a few a second is not a person.
BURST = 10
PER_SECOND = 5.0
# Addresses remembered at once; the least recently seen is forgotten first.
MAX_ADDRESSES = 256


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class PressLimit:
    """A token bucket per address on ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, address: str) -> float:
        """0 when ``address`` may press now (and counts the press), else the seconds until
        it may."""
        now = self._clock()
        bucket = self._buckets.pop(address, None) or _Bucket(float(BURST), now)
        bucket.tokens = min(float(BURST), bucket.tokens + max(0.0, now - bucket.at) * PER_SECOND)
        bucket.at = now
        self._buckets[address] = bucket
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / PER_SECOND
