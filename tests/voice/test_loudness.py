"""The BS.1770 meter against tones of known level, and the normaliser and limiter on top."""

from __future__ import annotations

import cmath
import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.voice import loudness
from device.voice.loudness import integrated_loudness, limit, normalise, peak, peak_dbfs

# K-weighting at 48 kHz as BS.1770 tabulates it (b0, b1, b2, a1, a2).
STANDARD_SHELF = (1.53512485958697, -2.69169618940638, 1.19839281085285, -1.69065929318241,
                  0.73248077421585)  # fmt: skip
STANDARD_HIGH_PASS = (1.0, -2.0, 1.0, -1.99004745483398, 0.99007225036621)


def tone(freq: float, dbfs: float, seconds: float, rate: int) -> list[float]:
    """A sine whose peak is ``dbfs``."""
    amplitude = 10 ** (dbfs / 20)
    return [
        amplitude * math.sin(2 * math.pi * freq * i / rate) for i in range(round(seconds * rate))
    ]


def silence(seconds: float, rate: int) -> list[float]:
    return [0.0] * round(seconds * rate)


def response_db(biquads: tuple[tuple[float, ...], ...], freq: float, rate: int) -> float:
    z = cmath.exp(-2j * math.pi * freq / rate)
    gain = 1.0
    for b0, b1, b2, a1, a2 in biquads:
        gain *= abs((b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z))
    return 20 * math.log10(gain)


def speechlike(seconds: float, rate: int, seed: int = 1) -> list[float]:
    """Bursts of noisy harmonics with pauses: peaky, like a voice (crest factor near 20 dB)."""
    rng = random.Random(seed)
    out: list[float] = []
    while len(out) < seconds * rate:
        burst = rng.uniform(0.08, 0.3)
        f0 = rng.uniform(90, 220)
        level = rng.uniform(0.02, 0.9)
        n = round(burst * rate)
        out += [
            level
            * math.sin(math.pi * i / n) ** 4
            * sum(math.sin(2 * math.pi * f0 * h * i / rate) / h for h in (1, 2, 3, 5))
            * (0.7 + 0.3 * rng.random())
            for i in range(n)
        ]
        out += [0.0] * round(rng.uniform(0.02, 0.15) * rate)
    return out


def test_k_weighting_at_48k_is_the_standards_table():
    shelf, high_pass = loudness.k_weighting(48000)
    assert shelf == pytest.approx(STANDARD_SHELF, abs=1e-12)
    assert high_pass == pytest.approx(STANDARD_HIGH_PASS, abs=1e-12)


@pytest.mark.parametrize("rate", [48000, 22050, 16000])
def test_a_1khz_sine_at_minus_20_dbfs_reads_minus_23_lufs(rate):
    # BS.1770: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LUFS, so at -20 dBFS it
    # reads -23.01; at 1000 Hz the K-filter (the standard's table) gives 0.007 dB more.
    expected = (
        -0.691
        + 10 * math.log10(0.1**2 / 2)
        + response_db((STANDARD_SHELF, STANDARD_HIGH_PASS), 1000, 48000)
    )
    assert expected == pytest.approx(-23.004, abs=0.001)
    measured = integrated_loudness([tone(1000, -20, 5, rate)], rate)
    # Below 48 kHz the filters are mapped to the rate, which bends the shelf a little.
    assert measured == pytest.approx(expected, abs=0.01 if rate == 48000 else 0.05)


def test_stereo_sums_the_channels():
    rate = 48000
    left = tone(1000, -23, 5, rate)
    # Two channels each at -26 LUFS add up to -23 LUFS.
    assert integrated_loudness([left, left], rate) == pytest.approx(-23.0, abs=0.02)


def test_silence_around_a_tone_is_gated_out():
    # Without the gate, 50 s of silence around 10 s of tone would read 7.8 dB quieter;
    # with it only the few blocks straddling the tone's edges pull it down, a little.
    rate = 8000
    core = tone(1000, -20, 10, rate)
    padded = silence(20, rate) + core + silence(30, rate)
    assert integrated_loudness([padded], rate) == pytest.approx(
        integrated_loudness([core], rate), abs=0.15
    )


def test_quiet_passages_fall_below_the_relative_gate():
    # Ten seconds of -36 dBFS either side of a minute at -23: the quiet parts are more
    # than 10 LU under, so only the loud part counts.
    rate = 8000
    signal = tone(1000, -36, 10, rate) + tone(1000, -20, 60, rate) + tone(1000, -36, 10, rate)
    assert integrated_loudness([signal], rate) == pytest.approx(-23.0, abs=0.1)


def test_passages_within_the_relative_gate_all_count():
    rate = 8000
    # -26 and -20 dBFS (-29 and -23 LUFS) for equal times average in power, not in dB.
    signal = tone(1000, -26, 20, rate) + tone(1000, -20, 20, rate)
    mean_square = (10 ** (-2.6) / 2 + 10 ** (-2.0) / 2) / 2
    k_gain = response_db((STANDARD_SHELF, STANDARD_HIGH_PASS), 1000, 48000)
    expected = -0.691 + 10 * math.log10(mean_square) + k_gain
    assert integrated_loudness([signal], rate) == pytest.approx(expected, abs=0.1)


def test_silence_has_no_loudness():
    assert integrated_loudness([silence(2, 16000)], 16000) == -math.inf
    assert integrated_loudness([[]], 16000) == -math.inf


def test_a_sound_shorter_than_a_block_is_measured_over_its_length():
    rate = 22050
    blip = tone(1000, -20, 0.15, rate)
    assert integrated_loudness([blip], rate) == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_normalised_speech_reaches_the_target_with_peaks_under_the_ceiling(seed):
    rate = 22050
    quiet = [0.1 * x for x in speechlike(3, rate, seed)]
    assert integrated_loudness([quiet], rate) < -25
    out = normalise([quiet], rate)
    assert integrated_loudness(out, rate) == pytest.approx(-16.0, abs=0.5)
    assert peak_dbfs(out) <= -1.0


def test_normalising_lines_of_any_level_leaves_them_within_one_lu():
    rate = 22050
    lines = [
        [level * x for x in speechlike(seconds, rate, seed)]
        for seed, (level, seconds) in enumerate([(0.05, 0.5), (0.3, 1), (1.0, 2.5), (0.01, 4)])
    ]
    levels = [integrated_loudness(normalise([line], rate), rate) for line in lines]
    assert max(levels) - min(levels) <= 1.0


def test_silence_stays_silence():
    assert [list(ch) for ch in normalise([silence(1, 8000)], 8000)] == [silence(1, 8000)]


def test_the_limiter_leaves_audio_away_from_peaks_untouched():
    rate = 8000
    quiet = tone(200, -12, 1, rate)
    loud = tone(200, 3, 0.05, rate)
    out, limited = limit([quiet + loud + quiet], rate, loudness.db_to_gain(-1))
    assert limited
    assert list(out[0][: rate // 2]) == quiet[: rate // 2]
    assert list(out[0][-rate // 2 :]) == quiet[-rate // 2 :]
    assert peak(out) <= loudness.db_to_gain(-1)


def test_the_limiters_gain_moves_in_ramps_not_steps():
    rate = 8000
    ceiling = 0.5
    square = [1.0] * 400 + [0.25] * 2000  # a 6 dB cut, then none needed
    out, _ = limit([square], rate, ceiling)
    gains = [y / x for x, y in zip(square, out[0], strict=True)]
    steps = [abs(b - a) for a, b in itertools.pairwise(gains)]
    assert max(steps) <= 1 / round(rate * 0.002) + 1e-9
    assert gains[0] == pytest.approx(0.5)
    assert gains[-1] == 1.0


def test_nine_db_over_the_target_never_clips():
    rate = 22050
    line = speechlike(3, rate, seed=7)
    out = normalise([line], rate, target_lufs=-16 + 9)
    assert peak_dbfs(out) <= -1.0
    # Louder than at 100 %, even though the limiter had to work hard for it.
    assert integrated_loudness(out, rate) > integrated_loudness(normalise([line], rate), rate) + 3


@settings(max_examples=40, deadline=None)
@given(
    samples=st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=3000),
    boost_db=st.floats(0.0, 9.0),
)
def test_no_gain_up_to_nine_db_ever_clips(samples, boost_db):
    out = normalise([samples], 8000, target_lufs=-16 + boost_db)
    assert peak(out) <= loudness.db_to_gain(-1.0) + 1e-12
