"""Players of cached lines: the persistent ALSA output, aplay as the fallback, and silence.

``device.voice.output.open_player`` picks the ALSA output (``alsa_player``) where the
``alsaaudio`` module is installed, and otherwise spawns ``aplay`` per line, which
is slower to start (a process, then the device, for every line) but needs nothing
beyond alsa-utils.
"""

from __future__ import annotations

import subprocess
import threading
from typing import Protocol


class PlayerError(Exception):
    """The player could not start."""


class Playback(Protocol):
    """One line being played."""

    def wait(self) -> str | None:
        """Block until the audio has ended; a description of the problem if it failed."""
        ...

    def stop(self) -> None:
        """Silence it now (idempotent); ``wait`` then returns without a problem."""
        ...


class Player(Protocol):
    """Starts playbacks; ``start`` returns as soon as the audio has started."""

    def start(self, path: str) -> Playback:
        """Start playing the WAV file at ``path``; PlayerError if it cannot start."""
        ...


class AplayPlayback:
    """One aplay process playing one line."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._stopped = False
        self._waiting = threading.Lock()  # never taken by stop(), which must not wait
        self._problem: str | None = None
        self._ended = False

    @property
    def pid(self) -> int:
        """The aplay process id."""
        return self._process.pid

    def wait(self) -> str | None:
        with self._waiting:
            if not self._ended:
                _, stderr = self._process.communicate()
                code = self._process.returncode
                if code != 0 and not self._stopped:
                    detail = stderr.decode("utf-8", "replace").strip().splitlines()
                    last = detail[-1] if detail else "no message"
                    self._problem = f"aplay failed (exit status {code}): {last}"
                self._ended = True
            return self._problem

    def stop(self) -> None:
        self._stopped = True
        # SIGKILL rather than SIGTERM: a press must silence the line now, and the
        # kernel closes the sound device of a killed process just as well.
        self._process.kill()


class AplayPlayer:
    """Plays through ALSA's ``aplay -q -D <device>``, one process per line."""

    def __init__(self, device: str = "default", *, command: str = "aplay") -> None:
        self._argv = [command, "-q", "-D", device]

    def start(self, path: str) -> Playback:
        """Spawn aplay on ``path`` (about a millisecond) and return its playback."""
        try:
            process = subprocess.Popen(
                [*self._argv, path],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as err:
            raise PlayerError(f"cannot run {self._argv[0]}: {err.strerror or err}") from err
        return AplayPlayback(process)


class _Ended:
    def wait(self) -> str | None:
        return None

    def stop(self) -> None:
        pass


class NullPlayer:
    """Plays nothing: every line ends as it starts (tests, machines without sound)."""

    def start(self, path: str) -> Playback:
        """Return a playback that has already ended."""
        return _Ended()
