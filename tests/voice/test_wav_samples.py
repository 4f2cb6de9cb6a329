"""16-bit WAV files in and out as float samples."""

from __future__ import annotations

import wave

import pytest

from device.voice.wav_samples import Audio, WavFormatError, read_wav, write_wav


def test_samples_survive_a_round_trip_to_within_one_step(tmp_path):
    left = [0.0, 0.5, -0.5, 0.999, -1.0, 0.25]
    right = [0.1, -0.1, 0.2, -0.2, 0.3, -0.3]
    write_wav(tmp_path / "a.wav", Audio([left, right], 22050))
    back = read_wav(tmp_path / "a.wav")
    assert back.rate == 22050
    assert len(back.channels) == 2
    for written, read in zip([left, right], back.channels, strict=True):
        assert read == pytest.approx(written, abs=1 / 32768)
    assert back.seconds == pytest.approx(6 / 22050)


def test_samples_past_full_scale_are_held_at_it(tmp_path):
    write_wav(tmp_path / "a.wav", Audio([[1.5, -1.5]], 8000))
    with wave.open(str(tmp_path / "a.wav"), "rb") as wav:
        frames = wav.readframes(2)
    assert frames == (32767).to_bytes(2, "little", signed=True) + (-32768).to_bytes(
        2, "little", signed=True
    )


def test_other_sample_widths_are_refused_by_name(tmp_path):
    path = tmp_path / "eight-bit.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 100)
    with pytest.raises(WavFormatError, match=r"eight-bit\.wav has 8-bit samples"):
        read_wav(path)


def test_a_file_that_is_not_a_wav_is_refused(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(b"not a wav at all")
    with pytest.raises(WavFormatError, match=r"noise\.wav is not a WAV file"):
        read_wav(path)
