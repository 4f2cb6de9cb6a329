"""Stand-ins shared by the tests and the benchmarks: time that moves only when told to.

Shipped with the package because the benchmarks, like the tests, drive the real
engine on a clock of their own; nothing on the device's running path imports it.
"""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when the caller says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
