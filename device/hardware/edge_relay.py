"""Keeps the button's edges from the moment the pin is set up until the worker can take them.

``spotter run`` sets up the pin before it loads the store, the voice and the
engine (seconds on a Pi Zero), so that a press made meanwhile is not lost. Each
edge carries the time it happened, so edges handed over late are still read as
the presses, doubles and holds they were, in the order they came.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from device.engine.edges import Edge


class EdgeRelay:
    """A sink for ``ButtonInput`` that holds edges until ``connect`` names where they go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[Edge] = []
        self._target: Callable[[Edge], None] | None = None

    def __call__(self, edge: Edge) -> None:
        with self._lock:
            if self._target is None:
                self._held.append(edge)
                return
            target = self._target
        target(edge)

    def connect(self, target: Callable[[Edge], None]) -> int:
        """Pass the held edges to ``target``, in order, then every later one; how many were
        held."""
        with self._lock:
            # Under the lock, so an edge arriving now cannot overtake the held ones.
            held, self._held = self._held, []
            for edge in held:
                target(edge)
            self._target = target
        return len(held)
