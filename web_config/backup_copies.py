"""The copy that backup downloads are served from, so that asking cannot wear the card.

Each download used to write a whole new copy of the store: three clients looping on it
wrote gigabytes a minute. Now one copy is kept beside the store and served again as long
as the data has not changed; a new one is made at most once a minute, and downloads are
limited per minute. Beyond either, the answer is 429 with the seconds to wait.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Final

from routines.backup import write_backup
from routines.changes import Data
from routines.store import Store

COPY_NAME: Final = ".spotter.db.download"
FRESH_EVERY: Final = 60.0  # seconds between two new copies, at the least
DOWNLOADS_PER_MINUTE: Final = 6


class TooSoon(Exception):
    """Another backup now would be too many; ``retry_after`` says when one will do."""

    def __init__(self, retry_after: float, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = max(1, int(retry_after + 0.999))
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Made:
    generation: int
    with_pin: bool
    at: float


class BackupCopies:
    """Hands out the current backup as an open file: the kept copy, or a fresh one."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.monotonic,
        per_minute: int = DOWNLOADS_PER_MINUTE,
    ) -> None:
        self._store = store
        self._clock = clock
        self._per_minute = per_minute
        self._path = store.path().with_name(COPY_NAME)
        self._lock = threading.Lock()
        self._generation = 0
        self._made: _Made | None = None
        self._asked: collections.deque[float] = collections.deque()
        store.subscribe(self._changed)

    def _changed(self, changes: frozenset[Data]) -> None:
        # Runs on the writer's thread with the store's lock held: only takes note.
        if changes - {Data.PROGRESS, Data.SECRETS}:
            self._generation += 1

    def open(self, *, with_pin: bool) -> BinaryIO:
        """The backup to send, opened for reading; ``TooSoon`` when past the limits."""
        with self._lock:
            now = self._clock()
            while self._asked and self._asked[0] <= now - 60.0:
                self._asked.popleft()
            if len(self._asked) >= self._per_minute:
                raise TooSoon(
                    self._asked[0] + 60.0 - now,
                    f"at most {self._per_minute} backups are sent a minute",
                )
            made = self._made
            current = (
                made is not None
                and made.generation == self._generation
                and made.with_pin == with_pin
                and self._path.exists()
            )
            if not current:
                if made is not None and now - made.at < FRESH_EVERY:
                    raise TooSoon(
                        made.at + FRESH_EVERY - now,
                        "the data changed since the last backup, and a new one is made at "
                        "most once a minute",
                    )
                generation = self._generation
                write_backup(self._store, self._path, with_pin=with_pin)
                self._made = _Made(generation, with_pin, now)
            self._asked.append(now)
            # Open before the lock goes: a newer copy renamed over it leaves this one whole.
            return self._path.open("rb")
