"""The access PIN: its rule, its salted scrypt hash, and checking one within the
device's allowance of wrong PINs (``device.control.PinAllowance``, kept by the daemon)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading

from device.control import PinAllowance

log = logging.getLogger(__name__)

MIN_DIGITS = 6
PIN_RULE = f"must be {MIN_DIGITS} to 12 digits"
# New PINs need six digits; four- and five-digit PINs set before that rule still work.
_PIN = re.compile(rf"[0-9]{{{MIN_DIGITS},12}}")
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


class NoAllowance(ConnectionError):
    """This page was given no allowance of wrong PINs to ask, so it judges no PIN."""


class PinChecker:
    """Judges PINs within the device's allowance of wrong ones (``pins``).

    Remembers PINs already proven right, so a script sending its PIN with every request
    does not pay for scrypt each time, and whether the PIN in use is one of the shorter
    ones allowed before, so Settings can suggest a longer one."""

    def __init__(self, pins: PinAllowance | None, secret: bytes) -> None:
        self.pins = pins
        self._secret = secret
        self._proven: set[bytes] = set()
        self._short_hash = ""
        self._lock = threading.Lock()

    def check(self, pin: str, pin_hash: str, known: str | None = None) -> bool:
        """Whether ``pin`` is right; raises ``MustWait`` while no PIN may be tried, and
        whatever reaching the allowance raised when it cannot be asked (no PIN is judged
        then). ``known`` identifies a browser that has logged in before (its own allowance)."""
        if self.pins is None:
            raise NoAllowance("this page was given no allowance of wrong PINs")
        ticket = self.pins.start(known)
        mark = hmac.digest(self._secret, f"{pin_hash}\n{pin}".encode(), "sha256")
        with self._lock:
            right = mark in self._proven
        if not right and verify_pin(pin, pin_hash):
            right = True
            with self._lock:
                if len(self._proven) > 16:
                    self._proven.clear()
                self._proven.add(mark)
        if right:
            try:
                self.pins.right(ticket)
            except (ConnectionError, RuntimeError) as err:
                # The PIN was right all the same; its try just stays counted as wrong.
                log.warning("a right PIN's try could not be taken back: %s", err)
            if len(pin) < MIN_DIGITS:
                with self._lock:
                    self._short_hash = pin_hash
        return right

    def is_short(self, pin_hash: str) -> bool:
        """Whether ``pin_hash`` was proven to hold a PIN shorter than new ones may be."""
        with self._lock:
            return bool(pin_hash) and pin_hash == self._short_hash
