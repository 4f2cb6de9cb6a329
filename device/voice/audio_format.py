"""The one sample format of every cached line, and the step that brings a render to it.

Every file in the speech cache is 16-bit little-endian mono PCM at 22050 Hz
(espeak-ng's own output), so the sound device is set up once and never
reconfigured between lines. ``finish_render`` is the hook between a renderer
and the cache: it takes what the renderer wrote and returns the PCM to store.
Loudness is levelled just before, in this format, by ``device.voice.levelling``,
which wraps the renderer: it needs the line's volume setting, which a step
does not see.
"""

from __future__ import annotations

import array
import sys
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

RATE = 22050
CHANNELS = 1
SAMPLE_BYTES = 2
FRAME_BYTES = CHANNELS * SAMPLE_BYTES
# Part of every cache key: a change here re-renders instead of playing old files.
FORMAT_TAG = f"s16le-{CHANNELS}ch-{RATE}"
# Quieter than this (about -54 dBFS) counts as silence before the first word.
SILENCE_THRESHOLD = 64
# A short lead-in is kept so the first consonant is not clipped on a device that
# starts a stream with a click or a ramp.
KEEP_LEAD_FRAMES = RATE // 200  # 5 ms
WAV_HEADER_BYTES = 44


class FormatError(Exception):
    """A render cannot be turned into the cache's format."""


@dataclass(frozen=True, slots=True)
class Pcm:
    """Interleaved 16-bit little-endian samples and how to read them."""

    frames: bytes
    rate: int = RATE
    channels: int = CHANNELS


PcmStep = Callable[[Pcm], Pcm]


def read_wav(path: Path) -> Pcm:
    """The samples of a PCM WAV file as 16-bit; FormatError if it is not one."""
    try:
        with wave.open(str(path), "rb") as wav:
            width = wav.getsampwidth()
            pcm = Pcm(wav.readframes(wav.getnframes()), wav.getframerate(), wav.getnchannels())
    except (OSError, EOFError, wave.Error) as err:
        raise FormatError(f"the render is not a readable WAV ({err})") from err
    if width == SAMPLE_BYTES:
        return pcm
    if width == 1:  # unsigned 8-bit
        samples = array.array("h", ((b - 128) << 8 for b in pcm.frames))
        return Pcm(_little_endian(samples), pcm.rate, pcm.channels)
    raise FormatError(f"the render has {width * 8}-bit samples; 8 or 16 are supported")


def _samples(pcm: Pcm) -> array.array[int]:
    samples = array.array("h")
    samples.frombytes(pcm.frames[: len(pcm.frames) - len(pcm.frames) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _little_endian(samples: array.array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def to_mono(pcm: Pcm) -> Pcm:
    """Average the channels into one."""
    if pcm.channels == CHANNELS:
        return pcm
    samples = _samples(pcm)
    n = pcm.channels
    mixed = array.array(
        "h", (sum(samples[i : i + n]) // n for i in range(0, len(samples) - n + 1, n))
    )
    return Pcm(_little_endian(mixed), pcm.rate, CHANNELS)


def to_rate(pcm: Pcm) -> Pcm:
    """Resample mono PCM to ``RATE`` by linear interpolation (speech survives it well)."""
    if pcm.rate == RATE:
        return pcm
    if pcm.channels != 1:
        raise FormatError("resample after mixing to mono")
    source = _samples(pcm)
    if not source:
        return Pcm(b"", RATE, 1)
    count = len(source) * RATE // pcm.rate
    step = pcm.rate / RATE
    last = len(source) - 1
    out = array.array("h", bytes(2 * count))
    for i in range(count):
        position = i * step
        left = int(position)
        right = min(left + 1, last)
        fraction = position - left
        out[i] = int(source[left] + (source[right] - source[left]) * fraction)
    return Pcm(_little_endian(out), RATE, 1)


def trim_leading_silence(pcm: Pcm) -> Pcm:
    """Drop the quiet frames before the first sound, keeping a few milliseconds of lead-in."""
    samples = _samples(pcm)
    first = next((i for i, s in enumerate(samples) if abs(s) > SILENCE_THRESHOLD), len(samples))
    start = max(0, first // pcm.channels - KEEP_LEAD_FRAMES) * pcm.channels
    if start == 0:
        return pcm
    return Pcm(pcm.frames[start * SAMPLE_BYTES :], pcm.rate, pcm.channels)


STANDARD_STEPS: tuple[PcmStep, ...] = (to_mono, to_rate, trim_leading_silence)


def finish_render(path: Path, steps: Sequence[PcmStep] = STANDARD_STEPS) -> Pcm:
    """Read what a renderer wrote to ``path`` and return the PCM the cache stores."""
    pcm = read_wav(path)
    for step in steps:
        pcm = step(pcm)
    if pcm.rate != RATE or pcm.channels != CHANNELS:
        raise FormatError(f"a render step left {pcm.channels} channels at {pcm.rate} Hz")
    if len(pcm.frames) < FRAME_BYTES:
        raise FormatError("the render holds no sound")
    return pcm


def write_wav(path: Path, pcm: Pcm) -> None:
    """Write ``pcm`` as a WAV file in the cache's format (a 44-byte header, then frames)."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(pcm.channels)
        wav.setsampwidth(SAMPLE_BYTES)
        wav.setframerate(pcm.rate)
        wav.writeframes(pcm.frames)


def header_matches(header: bytes) -> bool:
    """True if a 44-byte WAV header describes the cache's format (checked before playing)."""
    return (
        len(header) == WAV_HEADER_BYTES
        and header[:4] == b"RIFF"
        and header[8:16] == b"WAVEfmt "
        and int.from_bytes(header[20:22], "little") == 1
        and int.from_bytes(header[22:24], "little") == CHANNELS
        and int.from_bytes(header[24:28], "little") == RATE
        and int.from_bytes(header[34:36], "little") == SAMPLE_BYTES * 8
        and header[36:40] == b"data"
    )
