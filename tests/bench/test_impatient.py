"""The impatient trainee's ear: sounds found in the tap's reads, and what each press waited."""

from __future__ import annotations

import array
import sys

import pytest

from bench.impatient import LINE_OVER, NOTHING_CAME, Ear, Sound, heard, press_due, waits
from device.voice.audio_format import RATE

READ = 512  # bytes a read brings, as the tap's reads of the player's periods do


def reads_of(parts: list[tuple[float, int]], *, began: float = 100.0) -> list[tuple[float, bytes]]:
    """The tap's reads for ``parts`` played one after another from ``began``: (seconds,
    amplitude) each, 0 for digital silence; each read comes when its first sample plays."""
    samples = array.array("h")
    for seconds, amplitude in parts:
        samples.extend(amplitude if i % 2 else -amplitude for i in range(round(seconds * RATE)))
    if sys.byteorder == "big":
        samples.byteswap()
    data = samples.tobytes()
    return [(began + at / 2 / RATE, data[at : at + READ]) for at in range(0, len(data), READ)]


def test_a_loud_stretch_between_silences_is_one_sound_from_its_first_to_its_last_sample() -> None:
    sounds = heard(reads_of([(0.5, 0), (1.0, 8000), (0.5, 0)]))
    assert len(sounds) == 1
    assert sounds[0].start == pytest.approx(100.5, abs=0.011)
    assert sounds[0].end == pytest.approx(101.5, abs=0.011)
    assert sounds[0].words


def test_quiet_samples_are_silence_and_a_short_pause_does_not_split_a_line() -> None:
    sounds = heard(reads_of([(0.3, 30), (0.4, 8000), (0.1, 0), (0.4, 8000), (0.3, 0)]))
    assert [(round(s.start, 1), round(s.end, 1)) for s in sounds] == [(100.3, 101.2)]


def test_a_longer_pause_parts_two_sounds_and_a_50_ms_tone_is_a_tick() -> None:
    sounds = heard(reads_of([(0.05, 8000), (0.35, 0), (0.6, 8000)]))
    assert [s.words for s in sounds] == [False, True]
    assert sounds[1].start == pytest.approx(100.4, abs=0.011)


def test_reads_split_mid_sample_and_heard_bit_by_bit_make_the_same_sounds() -> None:
    reads = reads_of([(0.2, 0), (0.5, 8000), (0.2, 0)])
    data = b"".join(chunk for _, chunk in reads)
    odd = [(100.0 + at / 2 / RATE, data[at : at + 511]) for at in range(0, len(data), 511)]
    ear = Ear()
    for i in range(0, len(odd), 7):
        ear.hear(odd[i : i + 7])
    assert ear.reads == len(odd)
    [whole] = heard(reads)
    [split] = ear.sounds
    assert split.start == pytest.approx(whole.start, abs=0.011)
    assert split.end == pytest.approx(whole.end, abs=0.011)


def test_a_press_waits_until_words_and_a_tick_breaks_its_silence() -> None:
    sounds = [Sound(10.0, 12.0), Sound(12.31, 12.36), Sound(12.7, 14.0), Sound(20.0, 21.0)]
    tick_then_words, no_tick, nothing = waits([12.3, 15.0, 22.0], sounds)
    assert tick_then_words.words == pytest.approx(0.4)
    assert tick_then_words.silence == pytest.approx(0.34)
    assert no_tick.words == no_tick.silence == pytest.approx(5.0)
    assert nothing.words is None and nothing.silence is None


def test_the_trainee_presses_once_words_are_over_or_nothing_came() -> None:
    words = [Sound(10.2, 11.0)]
    assert not press_due(10.5, 10.0, words)  # still speaking
    assert not press_due(11.0 + LINE_OVER - 0.01, 10.0, words)
    assert press_due(11.0 + LINE_OVER, 10.0, words)
    # Only a tick since the press: the trainee waits for the words, then gives up.
    tick = [Sound(10.01, 10.06)]
    assert not press_due(10.06 + LINE_OVER, 10.0, tick)
    assert press_due(10.06 + NOTHING_CAME, 10.0, tick)
    # Words from before the press do not answer it.
    assert not press_due(12.0, 11.5, words)
    assert press_due(11.5 + NOTHING_CAME, 11.5, words)
