"""Plays cached lines through one ALSA output that stays open for the life of the process.

Opening a sound device costs milliseconds (a process, libraries, configuration,
the device itself); writing samples to an open one costs microseconds. So the
device is opened once, in the cache's one format, and a line starts with
``drop`` (discard whatever is still playing) and a write of its first frames,
in the caller's own thread. A feeder thread writes the rest, one period at a
time, never holding the lock while it waits, so a press cuts a line within one
period.

When the device disappears (a USB card pulled, a Bluetooth speaker switched
off) or another program holds it, the player logs once, refuses lines quickly
while it waits (the voice then prints them), and tries again with a growing
pause; the first line after the device is back plays normally.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from device.voice import audio_format as fmt
from device.voice.player import Playback, PlayerError

log = logging.getLogger(__name__)

PERIOD_FRAMES = 256  # 11.6 ms at 22050 Hz: a press is heard within this
PERIODS = 4
# Never more than this ahead of real time: a device that takes whatever it is given (a
# Bluetooth sink, a pipe) would otherwise hold seconds of a line, so a cut line would go on
# sounding, and a line would be heard long after the player said it started.
MAX_LEAD = 0.1
FIRST_RETRY = 0.5
LONGEST_RETRY = 30.0


class Pcm(Protocol):
    """The part of ``alsaaudio.PCM`` the player uses."""

    def write(self, data: bytes) -> int: ...

    def drop(self) -> Any: ...

    def avail(self) -> int: ...

    def close(self) -> Any: ...


PcmOpener = Callable[[str], Pcm]


def open_alsa_pcm(device: str) -> Pcm:
    """Open ``device`` for non-blocking playback in the cache's format."""
    import alsaaudio

    try:
        pcm = alsaaudio.PCM(
            alsaaudio.PCM_PLAYBACK,
            alsaaudio.PCM_NONBLOCK,
            device=device,
            rate=fmt.RATE,
            channels=fmt.CHANNELS,
            format=alsaaudio.PCM_FORMAT_S16_LE,
            periodsize=PERIOD_FRAMES,
            periods=PERIODS,
        )
    except alsaaudio.ALSAAudioError as err:
        raise OSError(str(err)) from err
    info = pcm.info()
    if (info["rate"], info["channels"], info["format_name"]) != (fmt.RATE, fmt.CHANNELS, "S16_LE"):
        pcm.close()
        raise OSError(
            f"{device} cannot play {fmt.CHANNELS}-channel 16-bit audio at {fmt.RATE} Hz "
            "(use a device that converts, such as 'default' or 'plughw:CARD')"
        )
    return _AlsaPcm(pcm, alsaaudio.ALSAAudioError)


class _AlsaPcm:
    """``alsaaudio.PCM`` with its errors turned into OSError, so callers need not import it."""

    def __init__(self, pcm: Any, error: type[Exception]) -> None:
        self._pcm = pcm
        self._error = error

    def write(self, data: bytes) -> int:
        try:
            return int(self._pcm.write(data))
        except self._error as err:
            raise OSError(str(err)) from err

    def drop(self) -> None:
        try:
            self._pcm.drop()
        except self._error as err:
            raise OSError(str(err)) from err

    def avail(self) -> int:
        try:
            return int(self._pcm.avail())
        except self._error as err:
            raise OSError(str(err)) from err

    def close(self) -> None:
        # close() would drain what is queued first; a closing player wants silence now.
        with contextlib.suppress(self._error):
            self._pcm.drop()
        self._pcm.close()


class _Line:
    """One line being played: its file, how far it has been written, how it ended."""

    def __init__(self, source: IO[bytes], first: bytes) -> None:
        self.source = source
        self.pending = first  # read from the file, not yet accepted by the device
        self.frames = 0
        self.started = 0.0
        self.fed = False
        self.ended = threading.Event()
        self.problem: str | None = None

    def finish(self, problem: str | None = None) -> None:
        if self.ended.is_set():
            return
        self.problem = problem
        self.source.close()
        self.ended.set()


class AlsaPlayback:
    """A line on the shared output; ``stop`` cuts it, ``wait`` returns when it is over."""

    def __init__(self, player: AlsaPlayer, line: _Line) -> None:
        self._player = player
        self._line = line

    @property
    def started_at(self) -> float:
        """When its first frames went to the device (an idle device plays them at once)."""
        return self._line.started

    def wait(self) -> str | None:
        self._line.ended.wait()
        return self._line.problem

    def stop(self) -> None:
        self._player._stop(self._line)


class AlsaPlayer:
    """One ALSA PCM, opened on first use and kept; lines replace each other on it."""

    def __init__(
        self,
        device: str = "default",
        *,
        opener: PcmOpener = open_alsa_pcm,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.device = device
        self._opener = opener
        self._clock = clock
        self._cond = threading.Condition()
        self._pcm: Pcm | None = None
        self._line: _Line | None = None
        self._retry_at = 0.0
        self._retry_after = FIRST_RETRY
        self._outage: str | None = None
        self._closed = False
        self._period = PERIOD_FRAMES / fmt.RATE
        self._first_bytes = (PERIOD_FRAMES * (PERIODS + 1)) * fmt.FRAME_BYTES
        self._feeder = threading.Thread(target=self._feed, name="spotter-audio", daemon=True)
        self._feeder.start()

    def open(self) -> None:
        """Open the device now rather than at the first line; PlayerError if it cannot."""
        with self._cond:
            self._ensure_open_locked()

    def start(self, path: str) -> Playback:
        """Cut whatever is playing and start ``path`` (a WAV in the cache's format)."""
        with self._cond:
            if self._closed:
                raise PlayerError("the player is closed")
            self._cut_locked()
            pcm = self._ensure_open_locked()
            line = _Line(*_open_line(path, self._first_bytes))
            self._line = line
            try:
                pcm.drop()
                line.started = self._clock()
                self._write_locked(pcm, line)
            except OSError as err:
                self._lost_locked(err)
                raise PlayerError(f"the sound device {self.device} failed: {err}") from err
            self._cond.notify_all()
        return AlsaPlayback(self, line)

    def close(self) -> None:
        """Silence the output and release the device."""
        with self._cond:
            self._closed = True
            self._cut_locked()
            if self._pcm is not None:
                self._pcm.close()
                self._pcm = None
            self._cond.notify_all()
        self._feeder.join(timeout=1.0)

    def _stop(self, line: _Line) -> None:
        with self._cond:
            if line is self._line:
                self._cut_locked()
            line.finish()

    def _cut_locked(self) -> None:
        line, self._line = self._line, None
        if line is not None:
            line.finish()
            if self._pcm is not None:
                try:
                    self._pcm.drop()
                except OSError as err:
                    self._lost_locked(err)
        self._cond.notify_all()

    def _ensure_open_locked(self) -> Pcm:
        if self._pcm is not None:
            return self._pcm
        now = self._clock()
        if now < self._retry_at:
            raise PlayerError(f"the sound device {self.device} is unavailable ({self._outage})")
        try:
            self._pcm = self._opener(self.device)
        except OSError as err:
            self._retry_at = now + self._retry_after
            self._retry_after = min(self._retry_after * 2, LONGEST_RETRY)
            if self._outage is None:
                log.warning(
                    "the sound device %s is unavailable (%s); lines are printed meanwhile, "
                    "and it is tried again from time to time",
                    self.device,
                    err,
                )
            self._outage = str(err)
            raise PlayerError(f"the sound device {self.device} is unavailable ({err})") from err
        if self._outage is not None:
            log.warning("the sound device %s is back", self.device)
        self._outage = None
        self._retry_after = FIRST_RETRY
        return self._pcm

    def _lost_locked(self, err: OSError) -> None:
        """The device failed under an open handle: let it go and reopen later."""
        pcm, self._pcm = self._pcm, None
        if pcm is not None:
            try:
                pcm.close()
            except Exception:  # a vanished device may fail to close too
                log.debug("closing the failed sound device", exc_info=True)
        self._retry_at = self._clock()  # the next line tries again at once, then backs off
        if self._outage is None:
            log.warning(
                "the sound device %s failed (%s); it is reopened for the next line",
                self.device,
                err,
            )
        self._outage = str(err)
        line, self._line = self._line, None
        if line is not None:
            line.finish(f"the sound device {self.device} failed: {err}")

    def _write_locked(self, pcm: Pcm, line: _Line) -> None:
        """Write what the device accepts now, refilling from the file; never waits."""
        while True:
            ahead = line.frames / fmt.RATE - (self._clock() - line.started)
            if line.frames and ahead > MAX_LEAD:
                return
            if not line.pending:
                line.pending = line.source.read(PERIOD_FRAMES * fmt.FRAME_BYTES)
                if not line.pending:
                    line.fed = True
                    return
            written = pcm.write(line.pending)
            if written <= 0:  # full (or an underrun the library has just recovered)
                return
            line.frames += written
            line.pending = line.pending[written * fmt.FRAME_BYTES :]
            if line.pending:
                return

    def _feed(self) -> None:
        with self._cond:
            while not self._closed:
                line, pcm = self._line, self._pcm
                if line is None or pcm is None:
                    self._cond.wait()
                    continue
                if not line.fed:
                    try:
                        self._write_locked(pcm, line)
                    except OSError as err:
                        self._lost_locked(err)
                        continue
                    if not line.fed:
                        self._cond.wait(self._period)
                        continue
                self._wait_for_end_locked(pcm, line)

    def _wait_for_end_locked(self, pcm: Pcm, line: _Line) -> None:
        left = line.started + line.frames / fmt.RATE - self._clock()
        if left > 0:
            self._cond.wait(min(left, self._period * PERIODS))
            return
        try:
            drained = pcm.avail() >= PERIOD_FRAMES * PERIODS or pcm.avail() < 0
        except OSError as err:
            self._lost_locked(err)
            return
        if drained:
            if line is self._line:
                self._line = None
            line.finish()
        else:
            self._cond.wait(self._period)


def _open_line(path: str, first_bytes: int) -> tuple[IO[bytes], bytes]:
    try:
        source = Path(path).open("rb")  # noqa: SIM115 - closed when the line ends
    except OSError as err:
        raise PlayerError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        header = source.read(fmt.WAV_HEADER_BYTES)
        if not fmt.header_matches(header):
            raise PlayerError(f"{path} is not in the cache's format ({fmt.FORMAT_TAG})")
        return source, source.read(first_bytes)
    except BaseException:
        source.close()
        raise
