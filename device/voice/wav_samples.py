"""16-bit PCM WAV files as lists of float channels, and back."""

from __future__ import annotations

import sys
import wave
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_FULL_SCALE = 32768.0
_LARGEST = 32767 / _FULL_SCALE
# Samples are written offset by half the range (all positive, so int() rounds them down),
# then the top bit of each 16-bit word is flipped: that is the signed value, in C loops.
_OFFSET = _FULL_SCALE + 0.5
_FLIP_TOP_BIT = bytes(b ^ 0x80 for b in range(256))


class WavFormatError(Exception):
    """The file is not 16-bit PCM WAV, the one format Spotter writes."""


@dataclass(slots=True)
class Audio:
    """Samples in -1..1, one sequence per channel, at ``rate`` frames a second."""

    channels: list[Sequence[float]]
    rate: int

    @property
    def seconds(self) -> float:
        """How long it plays."""
        return len(self.channels[0]) / self.rate if self.channels else 0.0


def read_wav(path: Path) -> Audio:
    """The samples of a 16-bit PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, count, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (EOFError, wave.Error) as err:
        raise WavFormatError(f"{path.name} is not a WAV file ({err})") from err
    if width != 2:
        raise WavFormatError(f"{path.name} has {8 * width}-bit samples, not 16-bit")
    pcm = array("h")
    pcm.frombytes(raw[: len(raw) - len(raw) % 2])
    if sys.byteorder == "big":
        pcm.byteswap()
    scale = 1.0 / _FULL_SCALE
    return Audio([array("d", map(scale.__mul__, pcm[c::count])) for c in range(count)], rate)


def to_pcm16(channels: Sequence[Sequence[float]]) -> bytes:
    """Interleaved little-endian 16-bit frames, rounded and held inside full scale."""
    count = len(channels)
    frames = min((len(ch) for ch in channels), default=0)
    offset = array("H", bytes(2 * count * frames))
    for c, ch in enumerate(channels):
        samples = ch[:frames]
        if samples and (max(samples) > _LARGEST or min(samples) < -1.0):
            samples = [max(-1.0, min(_LARGEST, x)) for x in samples]
        offset[c::count] = array(
            "H", map(int, map(_OFFSET.__add__, map(_FULL_SCALE.__mul__, samples)))
        )
    if sys.byteorder == "big":
        offset.byteswap()
    raw = bytearray(offset.tobytes())
    raw[1::2] = raw[1::2].translate(_FLIP_TOP_BIT)
    return bytes(raw)


def write_wav(path: Path, audio: Audio) -> None:
    """Write ``audio`` as 16-bit PCM (replacing ``path``; give it a temporary name)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(len(audio.channels))
        wav.setsampwidth(2)
        wav.setframerate(audio.rate)
        wav.writeframes(to_pcm16(audio.channels))
