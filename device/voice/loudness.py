"""Loudness as ITU-R BS.1770 measures it, and a normaliser with a peak limiter.

Every line Spotter caches is brought to one integrated loudness with its peaks
held under a ceiling, so a short count is as loud as a long instruction, and a
tone as loud as a word. Pure Python on purpose: numpy alone would add about
14 MB to a daemon that must stay under 55 MB, and a tone is short enough that
two biquads in a plain loop keep up. Spoken lines are levelled in the render
processes by ``fast_levelling``, the same arithmetic on numpy arrays; this
module is its reference.

Signals are lists of channels, each a sequence of floats in -1..1; what this
module makes are ``array('d')``s, a quarter of the memory of a list of floats
(a six-second line would otherwise take the daemon's peak up by some 17 MB).
Channels are weighted 1.0 each, as BS.1770 does for left, right and centre;
Spotter's audio is mono.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from itertools import compress, count
from operator import add, mul

TARGET_LUFS = -16.0
CEILING_DBFS = -1.0
# How close a limited line must come to its target before the normaliser stops trying.
_TOLERANCE_LU = 0.2
_PASSES = 5
_BLOCK_SEGMENTS = 4  # a gating block is 400 ms made of four 100 ms steps (75 % overlap)
_ABSOLUTE_GATE_LUFS = -70.0
_RELATIVE_GATE_LU = -10.0
_OFFSET = -0.691  # puts a 997 Hz sine at 0 dBFS in one channel at -3.01 LUFS
# The limiter's gain falls to what a peak needs over this lead, and climbs back over
# the release (both for a full swing from 0 to 1: smaller cuts take less time).
_ATTACK_SECONDS = 0.002
_RELEASE_SECONDS = 0.08

Channels = Sequence[Sequence[float]]
Biquad = tuple[float, float, float, float, float]  # b0, b1, b2, a1, a2 (a0 = 1)


def db_to_gain(db: float) -> float:
    """The amplitude factor for ``db`` decibels."""
    return math.pow(10.0, db / 20.0)


def k_weighting(rate: int) -> tuple[Biquad, Biquad]:
    """The two K-weighting biquads (head-related shelf, then high-pass) at ``rate`` Hz.

    BS.1770 tabulates them for 48 kHz only; these are the same analogue filters
    mapped with the bilinear transform at any rate, which gives back the table's
    figures at 48 kHz.
    """
    shelf_hz, shelf_db, shelf_q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * shelf_hz / rate)
    vh = 10.0 ** (shelf_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / shelf_q + k * k
    shelf = (
        (vh + vb * k / shelf_q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / shelf_q + k * k) / a0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / shelf_q + k * k) / a0,
    )
    pass_hz, pass_q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * pass_hz / rate)
    a0 = 1.0 + k / pass_q + k * k
    high_pass = (1.0, -2.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / pass_q + k * k) / a0)
    return shelf, high_pass


def _weighted_squares(channels: Channels, rate: int, frames: int) -> array[float]:
    """The K-weighted square of every frame, summed over the channels."""
    (b0, b1, b2, a1, a2), (_, _, _, e1, e2) = k_weighting(rate)
    total = array("d")
    for channel in channels:
        s1 = s2 = t1 = t2 = 0.0
        squares = array("d")
        keep = squares.append
        # Both biquads in transposed direct form II, inline, the high-pass's numerator
        # (1, -2, 1) written out: this loop is most of what normalising a line costs.
        for x in channel[:frames]:
            y = b0 * x + s1
            s1 = b1 * x - a1 * y + s2
            s2 = b2 * x - a2 * y
            z = y + t1
            t1 = t2 - e1 * z - y - y
            t2 = y - e2 * z
            keep(z * z)
        total = squares if not total else array("d", map(add, total, squares))
    return total


def _step(rate: int) -> int:
    return max(1, round(rate / 10))


def _segments(squares: Sequence[float], step: int) -> list[float]:
    """Energy per 100 ms step."""
    return [sum(squares[i : i + step]) for i in range(0, len(squares), step)]


def _loudness(power: float) -> float:
    return _OFFSET + 10.0 * math.log10(power) if power > 0.0 else -math.inf


def _gated(segments: list[float], frames: int, step: int) -> float:
    """Integrated loudness from the energy of each 100 ms step (the last may be partial)."""
    if frames == 0:
        return -math.inf
    whole = frames // step
    if whole < _BLOCK_SEGMENTS:
        return _loudness(sum(segments) / frames)
    size = _BLOCK_SEGMENTS * step
    blocks = [
        sum(segments[i : i + _BLOCK_SEGMENTS]) / size for i in range(whole - _BLOCK_SEGMENTS + 1)
    ]
    audible = [p for p in blocks if _loudness(p) > _ABSOLUTE_GATE_LUFS]
    if not audible:
        return -math.inf
    relative_gate = _loudness(sum(audible) / len(audible)) + _RELATIVE_GATE_LU
    gated = [p for p in audible if _loudness(p) > relative_gate]
    return _loudness(sum(gated) / len(gated))


def _frames(channels: Channels) -> int:
    return min((len(ch) for ch in channels), default=0)


def integrated_loudness(channels: Channels, rate: int) -> float:
    """Gated integrated loudness in LUFS (BS.1770-4); -inf for silence.

    A signal shorter than one 400 ms block is measured as one block of its own
    length: a spoken "Seven" or a tone still gets a loudness.
    """
    frames = _frames(channels)
    step = _step(rate)
    return _gated(_segments(_weighted_squares(channels, rate, frames), step), frames, step)


def peak(channels: Channels) -> float:
    """The largest absolute sample value."""
    return max((max(max(ch), -min(ch)) for ch in channels if len(ch)), default=0.0)


def peak_dbfs(channels: Channels) -> float:
    """The sample peak in dBFS; -inf for silence."""
    top = peak(channels)
    return 20.0 * math.log10(top) if top > 0.0 else -math.inf


def _levels(channels: Channels, frames: int) -> array[float]:
    """The largest magnitude across the channels, frame by frame."""
    levels = array("d", map(abs, channels[0][:frames])) if channels else array("d")
    for ch in channels[1:]:
        levels = array("d", map(max, levels, map(abs, ch)))
    return levels


# Stretches of the signal where the limiter's gain is not 1.0: (first frame, gains).
GainPieces = list[tuple[int, "array[float]"]]


def _limiter_gains(levels: Sequence[float], ceiling: float, rate: int) -> GainPieces:
    """Gains that hold every level under ``ceiling``: none if nothing is over.

    The gain falls in a straight line to exactly what each peak needs, starting
    ahead of it, and climbs back more slowly after: never a step, so never a
    click, and only around the peaks, so the rest of the line is untouched.
    """
    # Aim a hair under the ceiling: x * (ceiling / x) can round one step above it.
    aim = ceiling * (1.0 - 1e-9)
    if not levels or max(levels) <= aim:
        return []
    over = list(compress(count(), map(aim.__lt__, levels)))
    attack = max(1, round(rate * _ATTACK_SECONDS))
    release = max(1, round(rate * _RELEASE_SECONDS))
    pieces: GainPieces = []
    for start, end in _windows(over, attack, release, len(levels)):
        needed = [aim / a if a > aim else 1.0 for a in levels[start:end]]
        pieces.append((start, array("d", _ramped(needed, 1.0 / attack, 1.0 / release))))
    return pieces


def _windows(over: list[int], attack: int, release: int, frames: int) -> list[tuple[int, int]]:
    """Stretches of the signal that the gain may leave 1.0 in: a lead before each peak
    and a release after it, stretches that touch merged into one."""
    windows: list[tuple[int, int]] = []
    for i in over:
        start, end = max(0, i - attack), min(frames, i + release + 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _ramped(gains: list[float], fall: float, rise: float) -> list[float]:
    """``gains`` lowered (in place) so that they fall by at most ``fall`` and rise by at
    most ``rise`` from one frame to the next."""
    # Backwards: each gain is at most a ramp above the next one, so the gain is
    # already down when a peak arrives. (Comparisons, not min(): twice as fast.)
    following = 1.0
    for i in range(len(gains) - 1, -1, -1):
        following += fall
        if gains[i] < following:
            following = gains[i]
        gains[i] = following
    # Forwards: after a peak the gain climbs back no faster than the release allows.
    previous = 1.0
    for i, g in enumerate(gains):
        previous += rise
        if g < previous:
            previous = g
        gains[i] = previous
    return gains


def _apply(channels: Channels, frames: int, gain: float, pieces: GainPieces) -> list[array[float]]:
    out = [array("d", map(gain.__mul__, ch[:frames])) for ch in channels]
    for start, gains in pieces:
        end = start + len(gains)
        for ch in out:
            ch[start:end] = array("d", map(mul, ch[start:end], gains))
    return out


def limit(channels: Channels, rate: int, ceiling: float) -> tuple[list[array[float]], bool]:
    """The signal with no sample above ``ceiling`` in magnitude, and whether anything was
    cut. One gain for all channels, so the image does not move."""
    frames = _frames(channels)
    pieces = _limiter_gains(_levels(channels, frames), ceiling, rate)
    return _apply(channels, frames, 1.0, pieces), bool(pieces)


def normalise(
    channels: Channels,
    rate: int,
    *,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbfs: float = CEILING_DBFS,
) -> list[array[float]]:
    """The signal brought to ``target_lufs`` with no peak above ``ceiling_dbfs``.

    Where reaching the target would push peaks over the ceiling the limiter
    holds them down, which costs a little loudness; the gain is then raised by
    what was lost and the line limited again, a few times at most. A target
    well above what the ceiling allows (a volume far over 100 %) ends as loud as
    the limiter can make it, and still never over the ceiling. Silence stays
    silence.

    The signal is K-weighted once: what the limiter costs is worked out from
    that, since its gain moves slowly next to the filters' memory (a
    millisecond or two), instead of filtering each attempt again.
    """
    frames = _frames(channels)
    step = _step(rate)
    squares = _weighted_squares(channels, rate, frames)
    measured = _gated(_segments(squares, step), frames, step)
    if measured == -math.inf:
        return [array("d", ch[:frames]) for ch in channels]
    levels = _levels(channels, frames)
    ceiling = db_to_gain(ceiling_dbfs)
    gain_db = target_lufs - measured
    best: tuple[float, float, GainPieces] | None = None  # (miss in LU, gain, limiter)
    for _ in range(_PASSES):
        pieces = _limiter_gains(levels, ceiling / db_to_gain(gain_db), rate)
        reached = gain_db + (
            _limited_loudness(squares, pieces, frames, step) if pieces else measured
        )
        miss = target_lufs - reached
        if best is None or abs(miss) < best[0]:
            best = (abs(miss), gain_db, pieces)
        if abs(miss) <= _TOLERANCE_LU:
            break
        # Gating can make loudness fall as gain rises on a short line (a block drops
        # under the relative gate), so every attempt is judged and the nearest one kept.
        gain_db += miss
    assert best is not None
    _, gain_db, pieces = best
    return _apply(channels, frames, db_to_gain(gain_db), pieces)


def _limited_loudness(squares: array[float], pieces: GainPieces, frames: int, step: int) -> float:
    """The loudness the limiter's gains would leave, worked out from the weighted squares."""
    limited = array("d", squares)
    for start, gains in pieces:
        end = start + len(gains)
        limited[start:end] = array("d", map(mul, map(mul, gains, gains), squares[start:end]))
    return _gated(_segments(limited, step), frames, step)
