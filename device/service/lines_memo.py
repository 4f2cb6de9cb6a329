"""Every line a routine can say, remembered on disk between starts.

Finding them takes seconds of a Pi's CPU (``lines_ahead``), and a device restarts far more
often than its routines change: after a power cut, an upgrade, every morning in a gym
that switches its sockets off. So each search's result is kept in the data directory,
under a digest of what shapes it (the routine, the settings that change its lines, and
the engine's own code, so that an upgrade searches again), and a start that finds it
there renders the lines at once and searches nothing.

What is remembered only decides which lines are rendered ahead: a file that is damaged,
stale or gone costs a search, never a wrong word.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from device.events import Action, Gesture
from routines.model import Routine

log = logging.getLogger(__name__)

FILE_NAME = "lines-ahead.json"
# Scripts kept at most: a script per routine someone trains is what a start needs.
MAX_SCRIPTS = 64
_ENGINE = Path(__file__).resolve().parent.parent / "engine"


def engine_stamp() -> str:
    """What changes whenever the engine's code does (its files' names, sizes and times)."""
    entries = []
    with contextlib.suppress(OSError), os.scandir(_ENGINE) as found:
        for entry in found:
            if entry.name.endswith(".py"):
                stat = entry.stat()
                entries.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()[:16]


def script_digest(
    routine: Routine, default_rest: int, gesture_actions: Mapping[Gesture, Action], stamp: str
) -> str:
    """The name a routine's lines are kept under."""
    shape = {
        "routine": routine.to_dict(),
        "default_rest": default_rest,
        "gestures": sorted((g.value, a.value) for g, a in gesture_actions.items()),
        "engine": stamp,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()


class LinesMemo:
    """The file of remembered scripts: ``get`` and ``put`` by digest; never raises."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp = engine_stamp()
        self._scripts: dict[str, list[str]] | None = None
        # The worker reads while a search's thread writes.
        self._lock = threading.Lock()

    def get(self, digest: str) -> list[str] | None:
        """The lines kept under ``digest``, if any."""
        with self._lock:
            return self._load().get(digest)

    def put(self, found: Mapping[str, list[str]], keep: set[str]) -> None:
        """Remember ``found``; of what was there before, only the digests in ``keep``."""
        with self._lock:
            scripts = {d: lines for d, lines in self._load().items() if d in keep}
            scripts.update(found)
            while len(scripts) > MAX_SCRIPTS:
                del scripts[next(iter(scripts))]
            self._scripts = scripts
            self._write(scripts)

    def _write(self, scripts: dict[str, list[str]]) -> None:
        part = self.path.with_name(self.path.name + ".part")
        try:
            with part.open("w", encoding="utf-8") as out:
                json.dump(scripts, out)
                out.flush()
                os.fsync(out.fileno())
            part.replace(self.path)
            # The rename itself must reach the card too, or a power cut may undo it.
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as err:
            log.warning("cannot remember the lines ahead in %s (%s)", self.path, err)
            with contextlib.suppress(OSError):
                part.unlink()

    def _load(self) -> dict[str, list[str]]:
        if self._scripts is None:
            self._scripts = self._read()
        return self._scripts

    def _read(self) -> dict[str, list[str]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            log.info("the lines ahead kept in %s cannot be read (%s); searching", self.path, err)
            return {}
        if not isinstance(raw, dict):
            log.info("the lines ahead kept in %s are damaged; searching", self.path)
            return {}
        return {
            str(digest): lines
            for digest, lines in raw.items()
            if isinstance(lines, list) and all(isinstance(line, str) for line in lines)
        }
