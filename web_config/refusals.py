"""Logging refused requests without letting an attacker write the log: each kind of
refusal is logged at most once a ``period``, with how many were left unsaid."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("web_config.refused")

PERIOD = 60.0


class RefusalLog:
    """Says each kind of refusal once a period (thread-safe; time from ``clock``)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        period: float = PERIOD,
        logger: logging.Logger = log,
    ) -> None:
        self._clock = clock
        self._period = period
        self._logger = logger
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._unsaid: dict[str, int] = {}

    def refused(self, kind: str, detail: str = "") -> None:
        """One refusal of ``kind`` (a short fixed phrase such as "body too large")."""
        now = self._clock()
        with self._lock:
            last = self._last.get(kind)
            if last is not None and now - last < self._period:
                self._unsaid[kind] = self._unsaid.get(kind, 0) + 1
                return
            self._last[kind] = now
            unsaid = self._unsaid.pop(kind, 0)
        more = f" ({unsaid} more since the last report)" if unsaid else ""
        self._logger.warning("refused: %s%s%s", kind, f": {detail}" if detail else "", more)


class OncePerPeriod(logging.Filter):
    """A log filter that lets through one record per message text each period, for
    loggers of libraries that report every single event (waitress's queue depth)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, period: float = PERIOD) -> None:
        super().__init__()
        self._clock = clock
        self._period = period
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._period:
                return False
            self._last[key] = now
            return True
