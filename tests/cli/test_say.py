"""``spotter say --output`` and ``spotter voices``, run as a user would."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import pytest

from device.cli.main import main
from device.voice import loudness
from device.voice.cache import is_playable_wav
from device.voice.natural import natural_installed
from device.voice.wav_samples import read_wav


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_say_output_writes_a_levelled_wav(capsys, tmp_path):
    out = tmp_path / "set.wav"
    code, stdout, _ = run_cli(
        capsys, "say", "Set 2 of 3.", "--output", str(out), "--data-dir", str(tmp_path / "d")
    )
    assert code == 0
    assert str(out) in stdout
    assert is_playable_wav(out)
    with wave.open(str(out), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        assert wav.getnframes() > wav.getframerate() // 2
    audio = read_wav(out)
    assert loudness.integrated_loudness(audio.channels, audio.rate) == pytest.approx(
        loudness.TARGET_LUFS, abs=1.0
    )
    assert loudness.peak_dbfs(audio.channels) <= loudness.CEILING_DBFS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_say_output_into_a_missing_folder_says_which(capsys, tmp_path):
    out = tmp_path / "nowhere" / "set.wav"
    code, _, err = run_cli(
        capsys, "say", "Go.", "--output", str(out), "--data-dir", str(tmp_path / "d")
    )
    assert code == 1
    assert f"{out.parent} is not a folder" in err
    assert not out.parent.exists()


@pytest.mark.skipif(natural_installed(), reason="the natural voice is installed here")
def test_asking_for_a_voice_that_is_not_installed_says_how_to_get_it(capsys, tmp_path):
    code, _, err = run_cli(
        capsys, "say", "Go.", "--engine", "natural", "--output", str(tmp_path / "a.wav"),
        "--data-dir", str(tmp_path / "d"),
    )  # fmt: skip
    assert code == 1
    assert "natural voice is not installed" in err and "natural-voice" in err
    assert not (tmp_path / "a.wav").exists()


def test_voices_lists_each_engine_english_first(capsys):
    code, out, _ = run_cli(capsys, "voices")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("classic: pyttsx3")
    listed = [line.split()[0] for line in lines if line.startswith("  ")]
    assert "gmw/en-us" in listed
    assert all("en" in voice_id for voice_id in listed)
    assert any(line.startswith("natural:") for line in lines)


def test_voices_all_adds_the_other_languages_after_english(capsys):
    _, english_only, _ = run_cli(capsys, "voices")
    code, everything, _ = run_cli(capsys, "voices", "--all")
    assert code == 0
    listed = [line.split()[0] for line in everything.splitlines() if line.startswith("  ")]
    assert len(listed) > 50
    english = [line.split()[0] for line in english_only.splitlines() if line.startswith("  ")]
    assert listed[: len(english)] == english


def test_the_command_line_knows_every_engine():
    from device.cli.main import ENGINE_NAMES
    from device.voice.engines import ENGINES

    assert ENGINE_NAMES == ENGINES


@pytest.mark.skipif(not natural_installed(), reason="the natural-voice extra is not installed")
def test_say_writes_the_natural_voice_levelled_when_it_is_installed(capsys, tmp_path, monkeypatch):
    # The worker is started as ``python -m``: it must find this checkout.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    out = tmp_path / "natural.wav"
    code, _, err = run_cli(
        capsys, "say", "Set two of three.", "--engine", "natural", "--output", str(out),
        "--data-dir", str(tmp_path / "d"),
    )  # fmt: skip
    assert code == 0, err
    audio = read_wav(out)
    assert loudness.integrated_loudness(audio.channels, audio.rate) == pytest.approx(
        loudness.TARGET_LUFS, abs=1.0
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can write files another user owns")
def test_root_saying_a_line_on_the_services_data_leaves_it_all_the_services(capsys, tmp_path):
    # `sudo spotter say ...` on the device, where the service's user owns the data.
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 4321, 4321)
    code, _, _ = run_cli(
        capsys, "say", "Said by root.", "--data-dir", str(data), "--audio-device", "null"
    )
    assert code == 0
    made = list(data.rglob("*"))
    assert any(p.suffix == ".wav" for p in made)  # it went through the cache
    assert [str(p) for p in made if (p.stat().st_uid, p.stat().st_gid) != (4321, 4321)] == []
