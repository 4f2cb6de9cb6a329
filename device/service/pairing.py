"""Pairing a clicker from the running Spotter (a 10 s hold while idle, or the phone page):
the same BlueZ steps as ``spotter clicker pair``, each said aloud instead of printed."""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections.abc import Callable
from typing import Final

from device.engine import phrases
from device.service.bluetooth_pair import Run, pair_first_clicker
from device.service.errors import CommandError

log = logging.getLogger(__name__)

# The steps that are always worded the same, so the voice can render them ahead.
FIXED_STEPS: Final = ("Turning Bluetooth on.", "Paired.", "Trusted.", "Connected.")
# A Bluetooth address read out is twelve syllables of noise: the logs keep it.
_ADDRESS: Final = re.compile(r"\s*\((?:[0-9A-F]{2}:){5}[0-9A-F]{2}\)", re.I)


class ClickerPairing:
    """Runs one pairing at a time on a thread of its own; ``say`` speaks each step."""

    def __init__(
        self, say: Callable[[str], None], *, run: Run = subprocess.run, scan_seconds: int = 20
    ) -> None:
        self._say = say
        self._run = run
        self._scan_seconds = scan_seconds
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Begin pairing; False (and nothing else) while one is already under way."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return False
            self._thread = threading.Thread(target=self._pair, name="spotter-pairing", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the pairing under way, if any (for shutdown and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _pair(self) -> None:
        try:
            address, _ = pair_first_clicker(
                scan_seconds=self._scan_seconds, run=self._run, say=self._step
            )
        except CommandError as err:
            log.warning("pairing a clicker failed: %s", err)
            self._say(phrases.pairing_failed())
            return
        log.info("paired the clicker %s", address)
        self._say(phrases.pairing_done())

    def _step(self, text: str) -> None:
        log.info("pairing: %s", text)
        self._say(_ADDRESS.sub("", text))
