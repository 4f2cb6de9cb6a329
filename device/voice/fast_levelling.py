"""The levelling step on numpy arrays, for the processes that render lines.

The same steps as ``audio_format.finish_render`` and ``levelling.level_wav`` (mix to
mono, resample, trim the lead-in, measure, gain, limit, round to 16 bits), with the
same arithmetic, but in compiled loops: on a Pi Zero 2 W the pure-Python steps take
about two seconds for an eight-second line, more than espeak-ng takes to say it.
Only a render process imports this module: numpy would cost the daemon some 12 MB
of its 55 MB.

The K-weighting filters are recursive, which numpy cannot run sample by sample at
speed; they run in blocks instead: within a block the filters' response to the
block's samples is a product with their (finite, block-long) impulse response, and
what each block hands the next is carried by the filters' state, whose influence
dies out after a few blocks. That is the same linear filter, exact but for rounding
(1e-12 of a sample), which moves the loudness by far less than the tolerances here.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from device.voice import audio_format, loudness
from device.voice.audio_format import FormatError
from device.voice.levelling import _CEILING_16BIT_DBFS
from device.voice.loudness import TARGET_LUFS, db_to_gain

Floats = npt.NDArray[np.float64]

_BLOCK = 128  # samples per block of the filters: a 128x128 product per block
_NEGLIGIBLE = 1e-18  # a block's state counts no more once its weight is below this


def finish_and_level(path: Path, *, gain_db: float = 0.0) -> None:
    """``levelling.finish_and_level``, at compiled speed: the render at ``path`` in the
    cache's format, at the target loudness plus ``gain_db``."""
    pcm = audio_format.read_wav(path)
    samples = _finished(pcm)
    x = samples * (1.0 / 32768.0)
    if gain_db == -math.inf:
        levelled = np.zeros_like(x)
    else:
        levelled = normalise(
            x,
            audio_format.RATE,
            target_lufs=TARGET_LUFS + gain_db,
            ceiling_dbfs=_CEILING_16BIT_DBFS,
        )
    audio_format.write_wav(path, audio_format.Pcm(to_pcm16(levelled)))


def _finished(pcm: audio_format.Pcm) -> Floats:
    """The render's samples mixed to mono, at the cache's rate, without the silence
    before the first sound (as 16-bit values in floats)."""
    raw = np.frombuffer(pcm.frames[: len(pcm.frames) - len(pcm.frames) % 2], dtype="<i2")
    n = pcm.channels
    if n != 1:
        frames = len(raw) // n
        raw = (raw[: frames * n].reshape(frames, n).astype(np.int64).sum(axis=1) // n).astype(
            np.int16
        )
    samples = raw.astype(np.float64)
    if pcm.rate != audio_format.RATE and len(samples):
        count = len(samples) * audio_format.RATE // pcm.rate
        position = np.arange(count, dtype=np.float64) * (pcm.rate / audio_format.RATE)
        left = position.astype(np.int64)
        right = np.minimum(left + 1, len(samples) - 1)
        fraction = position - left
        samples = np.trunc(samples[left] + (samples[right] - samples[left]) * fraction)
    loud = np.flatnonzero(np.abs(samples) > audio_format.SILENCE_THRESHOLD)
    first = int(loud[0]) if len(loud) else len(samples)
    samples = samples[max(0, first - audio_format.KEEP_LEAD_FRAMES) :]
    if not len(samples):
        raise FormatError("the render holds no sound")
    return samples


def to_pcm16(x: Floats) -> bytes:
    """Little-endian 16-bit samples, rounded as ``wav_samples.to_pcm16`` rounds them."""
    held = np.clip(x, -1.0, 32767 / 32768.0)
    offset = np.floor(held * 32768.0 + 32768.5).astype(np.int64)
    return (offset - 32768).astype("<i2").tobytes()


@functools.cache
def _filter_blocks(rate: int) -> tuple[Floats, Floats, Floats, Floats]:
    """For blocks of ``_BLOCK`` samples: the response to a block's samples from rest,
    its effect on the state, the response to a state, and the state a block later."""
    (b0, b1, b2, a1, a2), (_, _, _, e1, e2) = loudness.k_weighting(rate)
    # One sample of both biquads, as loudness._weighted_squares runs them, written as
    # matrices: state (s1, s2, t1, t2) and input x -> next state, output z.
    step = np.zeros((5, 5))  # rows: s1, s2, t1, t2, z; columns: s1, s2, t1, t2, x
    y = np.array([1.0, 0.0, 0.0, 0.0, b0])  # y = s1 + b0 * x
    step[0] = np.array([0.0, 1.0, 0.0, 0.0, b1]) - a1 * y
    step[1] = np.array([0.0, 0.0, 0.0, 0.0, b2]) - a2 * y
    z = y + np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    step[2] = np.array([0.0, 0.0, 0.0, 1.0, 0.0]) - e1 * z - 2.0 * y
    step[3] = y - e2 * z
    step[4] = z
    a, bx, c, d = step[:4, :4], step[:4, 4], step[4, :4], step[4, 4]
    powers = [np.eye(4)]
    for _ in range(_BLOCK):
        powers.append(a @ powers[-1])
    impulse = np.array([d] + [c @ powers[k] @ bx for k in range(_BLOCK - 1)])
    lag = np.arange(_BLOCK)[None, :] - np.arange(_BLOCK)[:, None]
    from_samples = np.where(lag >= 0, impulse[np.clip(lag, 0, None)], 0.0)
    into_state = np.stack([powers[_BLOCK - 1 - j] @ bx for j in range(_BLOCK)])
    from_state = np.stack([c @ powers[k] for k in range(_BLOCK)])
    return from_samples, into_state, from_state, powers[_BLOCK]


def weighted_squares(x: Floats, rate: int) -> Floats:
    """The K-weighted square of every sample of mono ``x``."""
    frames = len(x)
    if not frames:
        return np.zeros(0)
    from_samples, into_state, from_state, carry = _filter_blocks(rate)
    blocks = -(-frames // _BLOCK)
    padded = np.zeros(blocks * _BLOCK)
    padded[:frames] = x
    xb = padded.reshape(blocks, _BLOCK)
    left = xb @ into_state  # the state each block leaves, had it started from rest
    states = np.zeros((blocks, 4))  # the state each block starts with
    weight = np.eye(4)
    for lag in range(1, blocks):
        states[lag:] += left[: blocks - lag] @ weight.T
        weight = carry @ weight
        if np.abs(weight).max() < _NEGLIGIBLE:
            break
    z = xb @ from_samples + states @ from_state.T
    return (z * z).reshape(-1)[:frames]


def _segments(squares: Floats, step: int) -> list[float]:
    count = -(-len(squares) // step)
    padded = np.zeros(count * step)
    padded[: len(squares)] = squares
    return [float(s) for s in padded.reshape(count, step).sum(axis=1)]


def integrated_loudness(x: Floats, rate: int) -> float:
    """``loudness.integrated_loudness`` of mono ``x``."""
    step = loudness._step(rate)
    return loudness._gated(_segments(weighted_squares(x, rate), step), len(x), step)


GainPieces = list[tuple[int, Floats]]


def _limiter_gains(levels: Floats, ceiling: float, rate: int) -> GainPieces:
    """``loudness._limiter_gains``: the gain falls ahead of each peak to what it needs
    and climbs back over the release, only around the peaks."""
    aim = ceiling * (1.0 - 1e-9)
    if not len(levels) or levels.max() <= aim:
        return []
    over = np.flatnonzero(levels > aim)
    attack = max(1, round(rate * loudness._ATTACK_SECONDS))
    release = max(1, round(rate * loudness._RELEASE_SECONDS))
    starts = np.maximum(0, over - attack)
    ends = np.minimum(len(levels), over + release + 1)
    # A window starts where a peak's lead begins after the last one's release ended.
    first = np.flatnonzero(np.concatenate(([True], starts[1:] > ends[:-1])))
    last = np.concatenate((first[1:] - 1, [len(over) - 1]))
    pieces: GainPieces = []
    fall, rise = 1.0 / attack, 1.0 / release
    for start, end in zip(starts[first], ends[last], strict=True):
        part = levels[start:end]
        needed = np.where(part > aim, aim / np.where(part > aim, part, 1.0), 1.0)
        i = np.arange(len(needed), dtype=np.float64)
        # Each gain at most a ramp above every later one, then at most a ramp above
        # every earlier one: the two passes of loudness._ramped, as running minimums.
        ahead = np.minimum.accumulate((needed + i * fall)[::-1])[::-1] - i * fall
        pieces.append((int(start), np.minimum.accumulate(ahead - i * rise) + i * rise))
    return pieces


def _limited_loudness(squares: Floats, pieces: GainPieces, frames: int, step: int) -> float:
    limited = squares.copy()
    for start, gains in pieces:
        limited[start : start + len(gains)] *= gains * gains
    return loudness._gated(_segments(limited, step), frames, step)


def normalise(
    x: Floats,
    rate: int,
    *,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbfs: float = loudness.CEILING_DBFS,
) -> Floats:
    """``loudness.normalise`` of mono ``x``: at ``target_lufs``, no peak over the ceiling."""
    frames = len(x)
    step = loudness._step(rate)
    squares = weighted_squares(x, rate)
    measured = loudness._gated(_segments(squares, step), frames, step)
    if measured == -math.inf:
        return x.copy()
    levels = np.abs(x)
    ceiling = db_to_gain(ceiling_dbfs)
    gain_db = target_lufs - measured
    best: tuple[float, float, GainPieces] | None = None
    for _ in range(loudness._PASSES):
        pieces = _limiter_gains(levels, ceiling / db_to_gain(gain_db), rate)
        reached = gain_db + (
            _limited_loudness(squares, pieces, frames, step) if pieces else measured
        )
        miss = target_lufs - reached
        if best is None or abs(miss) < best[0]:
            best = (abs(miss), gain_db, pieces)
        if abs(miss) <= loudness._TOLERANCE_LU:
            break
        gain_db += miss
    assert best is not None
    _, gain_db, pieces = best
    out = db_to_gain(gain_db) * x
    for start, gains in pieces:
        out[start : start + len(gains)] *= gains
    return out
