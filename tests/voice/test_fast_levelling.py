"""The numpy levelling gives the pure-Python levelling's output, sample for sample.

The pure-Python modules (``audio_format``, ``levelling``, ``loudness``) stay the
reference: each case is levelled both ways from the same file and compared.
"""

from __future__ import annotations

import math
import shutil
import wave
from array import array
from pathlib import Path

import numpy as np
import pytest

from device.voice import fast_levelling, levelling, loudness
from device.voice.audio_format import FormatError
from device.voice.tts import Pyttsx3Renderer, VoiceSettings
from device.voice.wav_samples import read_wav


def _write(path: Path, samples: list[int], rate: int, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        if width == 1:
            wav.writeframes(bytes((s >> 8) + 128 for s in samples))
        else:
            wav.writeframes(array("h", samples).tobytes())
    return path


def _both(source: Path, tmp_path: Path, gain_db: float = 0.0) -> tuple[bytes, bytes]:
    reference, fast = tmp_path / "reference.wav", tmp_path / "fast.wav"
    shutil.copy(source, reference)
    shutil.copy(source, fast)
    levelling.finish_and_level(reference, gain_db=gain_db)
    fast_levelling.finish_and_level(fast, gain_db=gain_db)
    return reference.read_bytes(), fast.read_bytes()


def _speech_like(seconds: float, rate: int, channels: int = 1, loud: float = 0.3) -> list[int]:
    """Bursts of a buzzy tone with pauses, a loud click in them: it needs the limiter."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    voiced = np.sin(2 * np.pi * 180 * t) + 0.4 * np.sin(2 * np.pi * 1370 * t)
    envelope = (np.sin(2 * np.pi * 1.3 * t) > -0.2) * loud
    x = voiced * envelope + rng.normal(0, 0.002, len(t))
    x[len(t) // 3 : len(t) // 3 + 40] = 0.99  # a peak far over the rest
    x = np.concatenate([np.zeros(rate // 5), x])  # silence before the first sound
    frames = np.round(np.clip(x, -1, 0.999) * 32767).astype(int)
    return [int(s) for s in np.repeat(frames, channels)]


@pytest.mark.parametrize(
    ("seconds", "rate", "channels", "width", "gain_db"),
    [
        (3.0, 22050, 1, 2, 0.0),  # espeak-ng's own format
        (2.5, 44100, 2, 2, 0.0),  # stereo at twice the rate
        (2.0, 16000, 1, 2, 6.0),  # upsampled, at 200 % volume
        (0.25, 22050, 1, 2, 0.0),  # shorter than one 400 ms block
        (1.5, 22050, 1, 1, -12.0),  # 8-bit, at a quarter volume
        (9.0, 24000, 1, 2, 0.0),  # a long line at the natural voice's rate
    ],
)
def test_same_samples_as_the_reference(tmp_path, seconds, rate, channels, width, gain_db):
    source = _write(
        tmp_path / "source.wav", _speech_like(seconds, rate, channels), rate, channels, width
    )
    reference, fast = _both(source, tmp_path, gain_db)
    assert fast == reference


def test_silence_at_zero_volume_and_a_silent_render_refused(tmp_path):
    source = _write(tmp_path / "source.wav", _speech_like(1.0, 22050), 22050)
    reference, fast = _both(source, tmp_path, -math.inf)
    assert fast == reference
    assert not any(read_wav(tmp_path / "fast.wav").channels[0])
    _write(tmp_path / "quiet.wav", [], 22050)
    with pytest.raises(FormatError, match="no sound"):
        fast_levelling.finish_and_level(tmp_path / "quiet.wav")


def test_the_meter_agrees_with_the_reference_meter():
    rate = 22050
    x = np.array(_speech_like(4.0, rate), dtype=np.float64) / 32768
    ours = fast_levelling.integrated_loudness(x, rate)
    assert ours == pytest.approx(loudness.integrated_loudness([list(x)], rate), abs=1e-9)


def test_real_lines_come_out_the_same_at_the_target(tmp_path):
    renderer = Pyttsx3Renderer()
    lines = ["Seven", "Breathe in slowly, and let your back sink into the mat."]
    for n, text in enumerate(lines):
        source = tmp_path / f"{n}.wav"
        renderer.render(text, VoiceSettings(), source)
        reference, fast = _both(source, tmp_path)
        assert fast == reference
        levelled = [read_wav(tmp_path / "fast.wav").channels[0]]
        assert abs(loudness.integrated_loudness(levelled, 22050) - loudness.TARGET_LUFS) <= 1.0
        assert loudness.peak_dbfs(levelled) <= loudness.CEILING_DBFS
