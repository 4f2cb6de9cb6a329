"""The players: aplay really runs (on ALSA's null device) and a press can kill it mid-line."""

from __future__ import annotations

import os
import shutil
import threading
import wave
from pathlib import Path

import pytest

from device.voice.player import AplayPlayback, AplayPlayer, NullPlayer, PlayerError

needs_aplay = pytest.mark.skipif(shutil.which("aplay") is None, reason="aplay is not installed")

RATE = 22050


def wav_header_and_frames(frames: int, declared: int) -> bytes:
    """A WAV stream whose header promises ``declared`` frames, followed by ``frames`` of them."""
    header = bytearray(b"RIFF")
    data_bytes = declared * 2
    header += (36 + data_bytes).to_bytes(4, "little") + b"WAVEfmt "
    header += (16).to_bytes(4, "little") + (1).to_bytes(2, "little") + (1).to_bytes(2, "little")
    header += RATE.to_bytes(4, "little") + (RATE * 2).to_bytes(4, "little")
    header += (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    header += b"data" + data_bytes.to_bytes(4, "little")
    return bytes(header) + (1200).to_bytes(2, "little", signed=True) * frames


def process_state(pid: int) -> str:
    """The one-letter state Linux reports for a process (R running, S sleeping, Z zombie)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@needs_aplay
def test_aplay_plays_a_whole_file_on_the_null_device(tmp_path: Path) -> None:
    path = tmp_path / "line.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes((1200).to_bytes(2, "little", signed=True) * RATE)
    playback = AplayPlayer("null").start(str(path))
    assert playback.wait() is None


@needs_aplay
def test_aplay_is_killed_in_the_middle_of_a_line(tmp_path: Path) -> None:
    # aplay on the null device would finish any file at once, so it reads from a
    # pipe instead: it plays the first second, then waits for the rest, mid-line.
    fifo = tmp_path / "line.wav"
    os.mkfifo(fifo)
    playback = AplayPlayer("null").start(str(fifo))
    assert isinstance(playback, AplayPlayback)
    opened: list[int] = []
    opener = threading.Thread(target=lambda: opened.append(os.open(fifo, os.O_WRONLY)))
    opener.start()
    opener.join(timeout=5)
    assert opened, "aplay never opened the file"
    writer = opened[0]
    try:
        os.write(writer, wav_header_and_frames(RATE, declared=RATE * 30))
        ended = threading.Event()
        waiter = threading.Thread(target=lambda: (playback.wait(), ended.set()))
        waiter.start()
        assert process_state(playback.pid) in {"R", "S", "D"}  # alive, not a zombie
        assert not ended.is_set()
        playback.stop()
        assert ended.wait(timeout=5), "the killed playback did not end"
        assert playback.wait() is None  # stopped on purpose: not a problem
        with pytest.raises(BrokenPipeError):
            os.write(writer, b"\0" * 4096)  # nobody is reading any more
        playback.stop()  # a second stop is harmless
    finally:
        os.close(writer)


@needs_aplay
def test_a_missing_sound_device_is_reported_by_wait(tmp_path: Path) -> None:
    path = tmp_path / "line.wav"
    path.write_bytes(wav_header_and_frames(100, declared=100))
    problem = AplayPlayer("no-such-device-here").start(str(path)).wait()
    assert problem is not None
    assert problem.startswith("aplay failed (exit status 1)")


def test_a_missing_player_program_fails_to_start(tmp_path: Path) -> None:
    player = AplayPlayer(command=str(tmp_path / "no-aplay-here"))
    with pytest.raises(PlayerError, match="cannot run"):
        player.start(str(tmp_path / "line.wav"))


def test_the_null_player_ends_each_line_as_it_starts() -> None:
    playback = NullPlayer().start("/nowhere.wav")
    assert playback.wait() is None
    playback.stop()
