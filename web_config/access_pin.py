"""The access PIN: its rule, its salted scrypt hash, and the slow-down that makes
guessing one take longer than it is worth."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable

from werkzeug.exceptions import TooManyRequests

PIN_RULE = "must be 4 to 12 digits"
_PIN = re.compile(r"[0-9]{4,12}")
# scrypt at 16 MiB: slow enough to make a stolen hash costly, quick enough for a Pi Zero.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def pin_problem(pin: object) -> str | None:
    """Why ``pin`` cannot be a PIN, or None when it can."""
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        return PIN_RULE
    return None


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of ``pin`` in the form kept in the settings."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, pin_hash: str) -> bool:
    """Whether ``pin`` matches ``pin_hash``; a damaged hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = pin_hash.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


class PinGuard:
    """Checks PINs, counting wrong ones per client: after ``limit`` in ``window`` seconds
    that client must wait. Remembers PINs already proven right, so a script sending its
    PIN with every request does not pay for scrypt each time."""

    def __init__(
        self, clock: Callable[[], float], secret: bytes, *, limit: int = 5, window: float = 60.0
    ) -> None:
        self._clock = clock
        self._secret = secret
        self._limit = limit
        self._window = window
        self._failures: dict[str, deque[float]] = {}
        self._proven: set[bytes] = set()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            failures = self._failures.get(client)
            if failures is None or len(failures) < self._limit:
                return 0
            return max(1, int(failures[0] + self._window - now + 0.999))

    def tries_left(self, client: str) -> int:
        """Wrong PINs ``client`` may still enter in this window."""
        with self._lock:
            self._forget_old(self._clock())
            return max(0, self._limit - len(self._failures.get(client, ())))

    def check(self, client: str, pin: str, pin_hash: str) -> bool:
        """Whether ``pin`` is right; raises ``TooManyRequests`` while ``client`` must wait."""
        wait = self.retry_after(client)
        if wait:
            raise TooManyRequests(retry_after=wait)
        mark = hmac.digest(self._secret, f"{pin_hash}\n{pin}".encode(), "sha256")
        with self._lock:
            if mark in self._proven:
                return True
        if verify_pin(pin, pin_hash):
            with self._lock:
                if len(self._proven) > 16:
                    self._proven.clear()
                self._proven.add(mark)
            return True
        with self._lock:
            self._failures.setdefault(client, deque()).append(self._clock())
        return False

    def _forget_old(self, now: float) -> None:
        for client in list(self._failures):
            failures = self._failures[client]
            while failures and failures[0] <= now - self._window:
                failures.popleft()
            if not failures:
                del self._failures[client]
