"""Tones for the workout's moments: made here, cached and levelled like speech, and played
instead of or before the words as the setting says."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from device.events import Line, Moment
from device.voice import loudness
from device.voice.cache import WavCache, is_playable_wav
from device.voice.earcons import RATE, SHAPES, moment_of, moment_text, synthesise
from device.voice.speaker import Voice, cached_renderer
from device.voice.tts import CueSounds, VoiceSettings
from device.voice.wav_samples import read_wav
from tests.dummy_voice import ToneRenderer

WAIT = 10.0


class RecordingPlayer:
    """Every file the voice starts, each ending at once."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self._lock = threading.Lock()

    def start(self, path: str) -> RecordingPlayer:
        with self._lock:
            self.paths.append(path)
        return self

    def wait(self) -> str | None:
        return None

    def stop(self) -> None:
        pass


def make_voice(tmp_path: Path, style: CueSounds) -> tuple[Voice, RecordingPlayer, list[str]]:
    player = RecordingPlayer()
    echoed: list[str] = []
    voice = Voice(
        tmp_path / "cache",
        settings=VoiceSettings(cue_sounds=style),
        renderer=ToneRenderer(),
        player=player,
        echo=echoed.append,
    )
    return voice, player, echoed


def played(
    voice: Voice, player: RecordingPlayer, lines: list[Line], cache_dir: Path, style: CueSounds
) -> list[str]:
    """What was played for ``lines``: tones by their cue, speech as 'speech'."""
    voice.speak(lines)
    assert voice.wait_until_quiet(WAIT)
    settings = VoiceSettings(cue_sounds=style)
    tones = {str(cached(cache_dir, moment_text(cue), settings)): cue.value for cue in Moment}
    return [tones.get(path, "speech") for path in player.paths]


def cached(cache_dir: Path, text: str, settings: VoiceSettings) -> Path:
    """Where the voice's cache keeps the audio of ``text``."""
    version = cached_renderer(ToneRenderer()).version
    return WavCache(cache_dir).path_for(text, settings, version)


def test_every_moment_has_a_short_tone_of_its_own():
    tones = {cue: synthesise(cue) for cue in Moment}
    assert set(SHAPES) == set(Moment)
    assert len({tuple(shape) for shape in SHAPES.values()}) == len(Moment)
    for cue, samples in tones.items():
        assert 0.04 < len(samples) / RATE < 1.0, cue
        # It fades in and out: no click at either end.
        assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-3, cue
        assert loudness.peak([samples]) > 0.05, cue


def test_a_tone_text_is_one_no_line_can_be():
    assert moment_of(moment_text(Moment.SET_DONE)) is Moment.SET_DONE
    assert moment_of("Set done.") is None
    assert not moment_text(Moment.REP).isprintable()


@pytest.mark.parametrize("style", ["tones", "both"])
def test_preparing_caches_every_tone_at_the_speech_loudness(tmp_path, style):
    voice, _, _ = make_voice(tmp_path, style)
    try:
        voice.prepare(["Set done."])
        assert voice.wait_until_prepared(WAIT)
        for cue in Moment:
            path = cached(tmp_path / "cache", moment_text(cue), VoiceSettings(cue_sounds=style))
            assert is_playable_wav(path)
            audio = read_wav(path)
            assert loudness.integrated_loudness(audio.channels, audio.rate) == pytest.approx(
                loudness.TARGET_LUFS, abs=1.0
            )
            assert loudness.peak_dbfs(audio.channels) <= loudness.CEILING_DBFS
    finally:
        voice.close()


def test_words_only_prepares_no_tones(tmp_path):
    voice, _, _ = make_voice(tmp_path, "words")
    try:
        voice.prepare(["Set done."])
        assert voice.wait_until_prepared(WAIT)
        settings = VoiceSettings(cue_sounds="words")
        # Only the tick that answers a press at once, which every style plays.
        tones = [c for c in Moment if c is not Moment.PRESS]
        assert not any(cached(tmp_path / "cache", moment_text(c), settings).exists() for c in tones)
        assert cached(tmp_path / "cache", moment_text(Moment.PRESS), settings).exists()
    finally:
        voice.close()


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("words", ["speech", "speech"]),
        ("tones", ["rep", "set_done"]),
        ("both", ["rep", "speech", "set_done", "speech"]),
    ],
)
def test_the_setting_chooses_words_tones_or_both(tmp_path, style, expected):
    voice, player, echoed = make_voice(tmp_path, style)
    try:
        lines = [
            Line("10", interrupt=True, moment=Moment.REP),
            Line("Set done.", moment=Moment.SET_DONE),
        ]
        assert played(voice, player, lines, tmp_path / "cache", style) == expected
        # Only words are echoed, and only words that were said.
        assert echoed == ([] if style == "tones" else ["10", "Set done."])
    finally:
        voice.close()


def test_the_end_of_a_rest_keeps_its_words_with_tones(tmp_path):
    voice, player, _ = make_voice(tmp_path, "tones")
    try:
        lines = [Line("Set 2 of 3.", moment=Moment.REST_OVER), Line("Ten reps.")]
        assert played(voice, player, lines, tmp_path / "cache", "tones") == [
            "rest_over",
            "speech",
            "speech",
        ]
    finally:
        voice.close()


def test_a_paced_phase_word_can_be_a_tone(tmp_path):
    voice, player, _ = make_voice(tmp_path, "tones")
    try:
        lines = [Line("Up.", moment=Moment.PHASE)]
        assert played(voice, player, lines, tmp_path / "cache", "tones") == ["phase"]
    finally:
        voice.close()
