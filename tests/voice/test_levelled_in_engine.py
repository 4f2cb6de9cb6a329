"""A line is levelled in the speech engine's own process, so that its samples never take up
the daemon's memory or its time on the CPU; tones, being small, are levelled in the daemon.

Real espeak-ng in its process and, where the extra is installed, the real natural worker.
Levelling in this process is made to fail, so a line levelled here could not pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from device.events import Moment
from device.voice import levelling
from device.voice.earcons import moment_text
from device.voice.loudness import CEILING_DBFS, TARGET_LUFS, integrated_loudness, peak_dbfs
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.render_process import ProcessRenderer
from device.voice.speaker import cached_renderer
from device.voice.tts import VoiceSettings
from device.voice.wav_samples import read_wav

TEXT = "Drive your hips up until your knees are at ninety degrees."


def loudness_of(path: Path) -> tuple[float, float]:
    audio = read_wav(path)
    return integrated_loudness(audio.channels, audio.rate), peak_dbfs(audio.channels)


@pytest.fixture
def nothing_levelled_here(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Levelling in this process records the file and leaves it as it was."""
    levelled: list[Path] = []

    def record(path: Path, *, gain_db: float = 0.0) -> None:
        levelled.append(path)

    monkeypatch.setattr(levelling, "finish_and_level", record)
    return levelled


def engines() -> list[object]:
    natural = pytest.param(
        NaturalRenderer,
        marks=pytest.mark.skipif(
            not natural_installed(), reason="the natural-voice extra is not installed"
        ),
        id="natural",
    )
    return [pytest.param(ProcessRenderer, id="espeak-ng"), natural]


@pytest.fixture(params=engines())
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    renderer = request.param()
    yield renderer
    renderer.close()


@pytest.mark.parametrize(("volume", "gain_db"), [(1.0, 0.0), (0.5, -6.02)])
def test_a_line_is_levelled_in_the_engines_process_at_the_volume_asked(
    engine: Any, nothing_levelled_here: list[Path], tmp_path: Path, volume, gain_db
) -> None:
    target = tmp_path / "line.wav"
    cached_renderer(engine).render(TEXT, VoiceSettings(volume=volume), target)
    level, peak = loudness_of(target)
    assert level == pytest.approx(TARGET_LUFS + gain_db, abs=1.0)
    assert peak <= CEILING_DBFS
    assert nothing_levelled_here == []


def test_a_tone_is_levelled_in_the_daemon(
    nothing_levelled_here: list[Path], tmp_path: Path
) -> None:
    engine = ProcessRenderer()
    try:
        target = tmp_path / "tone.wav"
        cached_renderer(engine).render(moment_text(Moment.SET_DONE), VoiceSettings(), target)
    finally:
        engine.close()
    assert nothing_levelled_here == [target]
    assert engine.starts == 0  # no speech engine was needed for it
