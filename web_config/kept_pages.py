"""Pages worked out once and sent again while what they show stands.

History reads a year of workouts and draws its charts from them; on a Pi that is most of
a request's time, and the page is the same for every request until the store changes or
the clock moves it on (a new day). A page is kept under a key that names what it was
made from (the store's revision, the request's own parameters) and for a span of time
in which the clock cannot change it.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Kept:
    html: str
    made: float
    until: float


class KeptPages:
    """At most ``size`` pages; a full set is emptied rather than sorted by age, as the few
    pages kept are cheap to make again."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._pages: dict[Hashable, _Kept] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, now: float) -> str | None:
        """The page kept under ``key``, if the clock's ``now`` is in its span (a clock set
        back before it was made is not)."""
        with self._lock:
            kept = self._pages.get(key)
        if kept is None or not kept.made <= now < kept.until:
            return None
        return kept.html

    def keep(self, key: Hashable, html: str, made: float, until: float) -> None:
        """Keep ``html``, made at ``made``, for requests before ``until``."""
        if until <= made:
            return
        with self._lock:
            if len(self._pages) >= self._size and key not in self._pages:
                self._pages.clear()
            self._pages[key] = _Kept(html, made, until)
