"""Real espeak-ng lines come out of the render at one loudness, and louder than 100 % without
clipping."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import pytest

from device.engine.preview import routine_lines
from device.voice import audio_format, loudness
from device.voice.levelling import LevelledRenderer, level_wav, software_gain_db
from device.voice.tts import Pyttsx3Renderer, VoiceSettings
from device.voice.wav_samples import Audio, read_wav, write_wav
from routines.validation import load_library

LINES = [
    "Seven",
    "Set 2 of 3.",
    "Switch to the right side.",
    "Drive your hips up until your knees are at ninety degrees.",
    "Workout complete. Well done.",
]


def measure(path: Path) -> tuple[float, float]:
    audio = read_wav(path)
    return loudness.integrated_loudness(audio.channels, audio.rate), loudness.peak_dbfs(
        audio.channels
    )


@pytest.fixture(scope="module")
def renderer() -> LevelledRenderer:
    return LevelledRenderer(Pyttsx3Renderer())


def render(renderer: LevelledRenderer, text: str, path: Path, volume: float = 1.0) -> Path:
    renderer.render(text, VoiceSettings(volume=volume), path)
    return path


def test_espeak_renders_quieter_than_the_target_on_its_own(tmp_path):
    # Why levelling exists: espeak-ng's own output sits some 4-6 LU under -16 LUFS.
    level, _ = measure(render(LevelledRenderer(Pyttsx3Renderer()).inner, "Set 2 of 3.",
                              tmp_path / "raw.wav"))  # fmt: skip
    assert level < loudness.TARGET_LUFS - 2


@pytest.mark.slow
def test_every_line_of_the_shipped_routine_is_within_one_lu_of_the_target(renderer, tmp_path):
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    levels = []
    for n, text in enumerate(sorted(routine_lines(routine))):
        level, peak = measure(render(renderer, text, tmp_path / f"{n}.wav"))
        assert level == pytest.approx(loudness.TARGET_LUFS, abs=1.0), text
        assert peak <= loudness.CEILING_DBFS, text
        levels.append(level)
    assert len(levels) > 50
    assert max(levels) - min(levels) <= 1.0


@pytest.mark.parametrize("text", LINES)
def test_nine_db_over_100_percent_is_louder_and_never_clips(renderer, tmp_path, text):
    normal, _ = measure(render(renderer, text, tmp_path / "normal.wav"))
    loud, peak = measure(render(renderer, text, tmp_path / "loud.wav", volume=2.8))
    assert peak <= loudness.CEILING_DBFS
    assert loud > normal + 3


def test_without_a_mixer_the_volume_is_set_in_the_render(renderer, tmp_path):
    half, _ = measure(render(renderer, "Set 2 of 3.", tmp_path / "half.wav", volume=0.5))
    assert half == pytest.approx(loudness.TARGET_LUFS - 6.02, abs=1.0)


def test_with_a_mixer_the_render_leaves_100_percent_and_below_to_it(tmp_path):
    renderer = LevelledRenderer(Pyttsx3Renderer(), hardware_mixer=True)
    half, _ = measure(render(renderer, "Set 2 of 3.", tmp_path / "half.wav", volume=0.5))
    assert half == pytest.approx(loudness.TARGET_LUFS, abs=1.0)
    assert software_gain_db(2.0, hardware_mixer=True) == pytest.approx(6.02, abs=0.01)
    assert software_gain_db(0.5, hardware_mixer=True) == 0.0
    assert software_gain_db(0.5) == pytest.approx(-6.02, abs=0.01)
    assert software_gain_db(0.0) == -math.inf


def test_no_volume_renders_silence(tmp_path):
    path = tmp_path / "a.wav"
    write_wav(path, Audio([[0.5 * math.sin(i / 5) for i in range(8000)]], 8000))
    level_wav(path, gain_db=software_gain_db(0.0))
    assert [list(ch) for ch in read_wav(path).channels] == [[0.0] * 8000]


def test_the_version_names_the_levelling_so_old_audio_is_not_served(renderer):
    assert renderer.version.startswith(renderer.inner.version)
    assert "-16 LUFS" in renderer.version


class ForeignEngine:
    """An engine that writes 8-bit stereo at 44.1 kHz, after a pause: not the cache's format."""

    version = "foreign 1"

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        rate = 44100
        tone = [0.0] * (rate // 5) + [
            0.05 * math.sin(2 * math.pi * 440 * i / rate) for i in range(rate)
        ]
        with wave.open(str(target), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(1)
            wav.setframerate(rate)
            wav.writeframes(bytes(round(128 + 127 * x) for x in tone for _ in range(2)))

    def voices(self) -> list[tuple[str, str]]:
        return []


def test_another_engines_format_is_converted_before_it_is_measured(tmp_path):
    path = tmp_path / "a.wav"
    LevelledRenderer(ForeignEngine()).render("Go.", VoiceSettings(), path)
    audio = read_wav(path)
    assert (len(audio.channels), audio.rate) == (1, audio_format.RATE)
    level, peak = measure(path)
    assert level == pytest.approx(loudness.TARGET_LUFS, abs=1.0)
    assert peak <= loudness.CEILING_DBFS
    # The pause before the sound is gone, as for every line in the cache.
    assert audio.seconds < 1.1
