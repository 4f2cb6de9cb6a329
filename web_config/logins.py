"""The logins this device has given out, kept on the device so that logging out ends one.

A session cookie only holds a random login id; the login itself lives here. Logging out
deletes it, so a copy of the cookie taken earlier opens nothing. A login left unused
for ``IDLE_LIMIT`` ends by itself, and every login ends after ``MAX_AGE``. Logins live
in memory: a restart asks every phone for the PIN again, which is the safe side.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

IDLE_LIMIT = 7 * 24 * 3600.0
MAX_AGE = 30 * 24 * 3600.0
# More phones than a household or a small gym has; the oldest login goes first.
MAX_LOGINS = 50


@dataclass(slots=True)
class _Login:
    started: float
    seen: float


class LoginBook:
    """Live logins by id (thread-safe; time from ``clock``)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._logins: dict[str, _Login] = {}

    def start(self) -> str:
        """A new login's id."""
        login_id = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._logins[login_id] = _Login(now, now)
            while len(self._logins) > MAX_LOGINS:
                del self._logins[next(iter(self._logins))]
        return login_id

    def is_live(self, login_id: object) -> bool:
        """Whether ``login_id`` is a login that has not ended; using it keeps it alive."""
        if not isinstance(login_id, str):
            return False
        now = self._clock()
        with self._lock:
            login = self._logins.get(login_id)
            if login is None:
                return False
            if now - login.seen > IDLE_LIMIT or now - login.started > MAX_AGE:
                del self._logins[login_id]
                return False
            login.seen = max(login.seen, now)
            return True

    def end(self, login_id: object) -> None:
        """End one login (logging out)."""
        with self._lock:
            if isinstance(login_id, str):
                self._logins.pop(login_id, None)

    def end_all(self) -> None:
        """End every login (the PIN changed or was removed)."""
        with self._lock:
            self._logins.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._logins)
