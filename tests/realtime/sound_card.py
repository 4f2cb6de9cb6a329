"""A sound device that plays at real-time speed, and an ear that says which line it heard when.

The device is ALSA's own ``file`` plugin (slave ``null``, raw S16_LE, 22050 Hz mono: the
voice cache's format) defined in an ALSA configuration written for the test and added to
the system's through ``ALSA_CONFIG_PATH``, so the player opens it by name through the real
alsa-lib, as it opens a card. The plugin writes every sample into a FIFO, which a separate
process (``tests.realtime.listener``) reads no faster than the samples play.

What a card's hardware does and this plugin does not: take samples only as fast as it
plays them. Over ``null`` the plugin takes any amount at once and then blocks the writer on
the full FIFO (in ``write``, holding the player's lock for a whole line). So the player
opens the device through ``CardPcm``: the real alsaaudio PCM on the plugin, opened with a
tiny buffer (so the plugin holds back at most 128 frames, 6 ms), behind a ring of the size
the player asks for (4 periods of 256 frames) drained at 22050 frames a second from the
first write after silence. ``write`` takes only what fits in that ring and ``avail`` says
how much has drained, as on a card; ``drop`` empties it.

Which line was heard, and when, is exact: the player writes a cached WAV's frames byte for
byte, so a line is found in the captured stream by its own bytes. A place where the stream
holds the line's file from its first byte to 0.2 s past its first sample louder than
``THRESHOLD`` (or to its end, if shorter) is a hearing of that line, extended as far as the
stream goes on matching the file (less when it was cut). Less would not do: espeak-ng
makes some sounds from stored samples, so "six" and "seven" share their first 0.1 s, and
"Seven" is found inside "your side". Where hearings overlap, the one that began first is
the line played, and a later one inside it is a word of it.

A line's heard ``start`` is when its first loud sample played, its ``end`` when its last
loud sample played, on ``time.monotonic()`` (CLOCK_MONOTONIC, the same in every process).
When a byte played is the listener's word: when its read played, plus the byte's place in
that read at 44100 bytes a second.
"""

from __future__ import annotations

import bisect
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from device.voice import audio_format as fmt
from device.voice.alsa_player import PERIOD_FRAMES, PERIODS, Pcm
from tests.realtime.fifo_reader import FifoReader

RATE_BYTES = fmt.RATE * fmt.FRAME_BYTES
DEVICE = "spotter_realtime"
SYSTEM_CONFIG = "/usr/share/alsa/alsa.conf"
# About -54 dBFS, the cache's own silence threshold: quieter is silence before a word.
THRESHOLD = fmt.SILENCE_THRESHOLD
FINGERPRINT_AFTER_ONSET = 1024
CONFIRMED_AFTER_ONSET = int(0.2 * RATE_BYTES)
RING_FRAMES = PERIOD_FRAMES * PERIODS


@dataclass(frozen=True, slots=True)
class Heard:
    """One line as it reached the ear: its text, where its bytes begin in the stream, how
    many of them played, when its first and last loud samples played."""

    text: str
    offset: int
    played: int
    length: int  # of its file's frames, in bytes
    start: float
    end: float
    cut: bool  # a loud sample of it never played


class CardPcm:
    """The PCM the player writes to: real alsa-lib on the test device, taking samples no
    faster than a card of ``RING_FRAMES`` frames plays them."""

    def __init__(self, device: str) -> None:
        import alsaaudio

        self._error = alsaaudio.ALSAAudioError
        try:
            self._pcm = alsaaudio.PCM(
                alsaaudio.PCM_PLAYBACK,
                alsaaudio.PCM_NONBLOCK,
                device=device,
                rate=fmt.RATE,
                channels=fmt.CHANNELS,
                format=alsaaudio.PCM_FORMAT_S16_LE,
                periodsize=64,
                periods=2,
            )
        except alsaaudio.ALSAAudioError as err:
            raise OSError(str(err)) from err
        self._empty_at = 0.0  # when the ring has played all it holds

    def _queued(self) -> int:
        return max(0, round((self._empty_at - time.monotonic()) * fmt.RATE))

    def write(self, data: bytes) -> int:
        frames = min(len(data) // fmt.FRAME_BYTES, RING_FRAMES - self._queued())
        if frames <= 0:
            return 0
        try:
            self._pcm.write(data[: frames * fmt.FRAME_BYTES])
        except self._error as err:
            raise OSError(str(err)) from err
        self._empty_at = max(self._empty_at, time.monotonic()) + frames / fmt.RATE
        return frames

    def avail(self) -> int:
        return RING_FRAMES - self._queued()

    def drop(self) -> None:
        self._empty_at = 0.0
        try:
            self._pcm.drop()
        except self._error as err:
            raise OSError(str(err)) from err

    def close(self) -> None:
        self._pcm.close()


class SoundCard:
    """The test's sound device and its ear; ``device`` is the name a player opens."""

    def __init__(self) -> None:
        self._ear = FifoReader("tests.realtime.listener", prefix="spotter-card-", name="card")
        self.fifo, self.capture = self._ear.fifo, self._ear.capture
        self.config = self._ear.folder / "asound.conf"
        self.config.write_text(
            f"pcm.{DEVICE} {{\n  type file\n  slave.pcm null\n"
            f'  file "{self.fifo}"\n  format raw\n}}\n'
        )
        self._saved_config = os.environ.get("ALSA_CONFIG_PATH")
        # alsa-lib reads this variable whenever it checks its configuration for changes.
        os.environ["ALSA_CONFIG_PATH"] = f"{SYSTEM_CONFIG}:{self.config}"
        self.device = DEVICE
        # What the ear has told so far, held under its lock.
        self._cond = self._ear.cond
        self._times = self._ear.times
        self._offsets = self._ear.offsets
        self._stream = self._ear.stream
        self._fingerprints: dict[str, tuple[bytes, int]] = {}

    def opener(self, device: str) -> Pcm:
        """What ``AlsaPlayer`` opens its device with (see the module's docstring)."""
        return CardPcm(device)

    # -- when a byte played ------------------------------------------------------------

    def time_at(self, offset: int) -> float:
        """When the byte at ``offset`` of the stream played."""
        with self._cond:
            i = bisect.bisect_right(self._offsets, offset) - 1
            return self._times[i] + (offset - self._offsets[i]) / RATE_BYTES

    def offset_at(self, when: float) -> int:
        """The first byte of the stream that played at or after ``when``."""
        with self._cond:
            i = bisect.bisect_left(self._times, when)
            return self._offsets[i] if i < len(self._offsets) else self._ear.bytes

    def now_offset(self) -> int:
        with self._cond:
            return self._ear.bytes

    def stream(self, start: int = 0, end: int | None = None) -> bytes:
        with self._cond:
            return bytes(self._stream[start:end])

    # -- which line ----------------------------------------------------------------------

    def learn(self, text: str, wav: str | Path) -> None:
        """Know ``text`` by the frames of ``wav`` (the cached file the voice plays for it)."""
        frames = Path(wav).read_bytes()[fmt.WAV_HEADER_BYTES :]
        onset = _first_loud(frames, 0)
        if onset is None:
            raise ValueError(f"{wav} holds no sound")
        self._fingerprints[text] = (frames, onset)

    def knows(self, text: str) -> bool:
        return text in self._fingerprints

    def wait_for(self, text: str, *, after: float, timeout: float = 30.0) -> Heard:
        """The first hearing of ``text`` that starts after ``after``; waits for it."""
        frames, onset = self._fingerprints[text]
        mark = self.offset_at(after) if after <= time.monotonic() else self.now_offset()
        fingerprint = frames[: onset + FINGERPRINT_AFTER_ONSET]
        confirmed = min(len(frames), onset + CONFIRMED_AFTER_ONSET)
        confirmed -= confirmed % fmt.FRAME_BYTES
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                at = self._stream.find(fingerprint, mark)
                while at >= 0:
                    heard = self._heard(text, at)
                    if heard.start > after and heard.played >= confirmed:
                        return heard
                    if heard.start > after and at + heard.played >= len(self._stream):
                        break  # still playing: not yet known to be this line
                    at = self._stream.find(fingerprint, at + 1)
                if at < 0:
                    mark = max(mark, len(self._stream) - len(fingerprint))
                left = deadline - time.monotonic()
                if left <= 0 or not self._cond.wait(left):
                    raise TimeoutError(f"{text!r} was not heard within {timeout:g} s")

    def heard(self, texts: Iterable[str] | None = None) -> list[Heard]:
        """Every hearing of the known lines (or of ``texts``) so far, in the order played;
        where two match at one place (a shared first word), the one that matches longer."""
        found: dict[int, Heard] = {}
        with self._cond:
            for text in self._fingerprints if texts is None else texts:
                frames, onset = self._fingerprints[text]
                fingerprint = frames[: onset + FINGERPRINT_AFTER_ONSET]
                confirmed = min(len(frames), onset + CONFIRMED_AFTER_ONSET)
                at = self._stream.find(fingerprint)
                while at >= 0:
                    heard = self._heard(text, at)
                    whole = heard.played >= confirmed - confirmed % fmt.FRAME_BYTES
                    if whole and (at not in found or heard.played > found[at].played):
                        found[at] = heard
                    at = self._stream.find(fingerprint, at + 1)
        lines: list[Heard] = []
        for at in sorted(found):
            if lines and at < lines[-1].offset + lines[-1].played:
                continue  # a word inside the line before
            lines.append(found[at])
        return lines

    def _heard(self, text: str, at: int) -> Heard:
        frames, onset = self._fingerprints[text]
        played = _matching(self._stream, at, frames)
        last = _last_loud(frames, played)
        end_offset = at + (last if last is not None else onset) + fmt.FRAME_BYTES
        return Heard(
            text,
            at,
            played,
            len(frames),
            self._time_locked(at + onset),
            self._time_locked(min(end_offset, at + played)),
            last is None or _last_loud(frames, len(frames)) != last,
        )

    def _time_locked(self, offset: int) -> float:
        i = max(0, bisect.bisect_right(self._offsets, offset) - 1)
        return self._times[i] + (offset - self._offsets[i]) / RATE_BYTES

    def close(self) -> None:
        """Stop the listener, put the ALSA configuration back, remove the FIFO."""
        self._ear.close()
        if self._saved_config is None:
            os.environ.pop("ALSA_CONFIG_PATH", None)
        else:
            os.environ["ALSA_CONFIG_PATH"] = self._saved_config

    def __enter__(self) -> SoundCard:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def loud_seconds(wav: str | Path) -> float:
    """How long ``wav`` sounds, from its first loud sample to its last."""
    frames = Path(wav).read_bytes()[fmt.WAV_HEADER_BYTES :]
    first, last = _first_loud(frames, 0), _last_loud(frames, len(frames))
    if first is None or last is None:
        return 0.0
    return (last - first) / RATE_BYTES


def _samples(frames: bytes | bytearray, start: int, end: int) -> Any:
    import array

    samples = array.array("h")
    samples.frombytes(bytes(frames[start - start % 2 : end - end % 2]))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _first_loud(frames: bytes, start: int) -> int | None:
    samples = _samples(frames, start, len(frames))
    for i, s in enumerate(samples):
        if abs(s) > THRESHOLD:
            return start + i * fmt.FRAME_BYTES
    return None


def _last_loud(frames: bytes, end: int) -> int | None:
    samples = _samples(frames, 0, end)
    for i in range(len(samples) - 1, -1, -1):
        if abs(samples[i]) > THRESHOLD:
            return i * fmt.FRAME_BYTES
    return None


def _matching(stream: bytearray, at: int, frames: bytes) -> int:
    """How many bytes of ``frames`` the stream holds from ``at`` on, unchanged."""
    size = min(len(frames), len(stream) - at)
    step = 4096
    done = 0
    while done < size:
        end = min(done + step, size)
        if stream[at + done : at + end] != frames[done:end]:
            while stream[at + done] == frames[done]:
                done += 1
            return done - done % fmt.FRAME_BYTES
        done = end
    return size - size % fmt.FRAME_BYTES
