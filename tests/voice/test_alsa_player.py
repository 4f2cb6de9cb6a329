"""The persistent ALSA output: real ALSA PCMs (``file`` into a file here), opened once.

The device is ALSA's ``file`` plugin writing raw samples into a temporary file,
so what the player wrote can be read back. A real sound card takes only as many
frames as its buffer holds; ``Socket`` gives the real PCM that limit, and can pull
the plug (writes and opens then fail as a vanished USB card's do).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from device.testing import FakeClock
from device.voice import audio_format as fmt
from device.voice.alsa_player import PERIOD_FRAMES, PERIODS, AlsaPlayer, Pcm, open_alsa_pcm
from device.voice.player import AplayPlayer, PlayerError

pytest.importorskip("alsaaudio")

WAIT = 5.0
BUFFER = PERIOD_FRAMES * PERIODS


def tone(path: Path, seconds: float, level: int) -> bytes:
    """Write a WAV of one constant sample value; return its frames."""
    frames = level.to_bytes(2, "little", signed=True) * int(fmt.RATE * seconds)
    fmt.write_wav(path, fmt.Pcm(frames))
    return frames


class Socket:
    """Where the real PCM plugs in: a card-sized buffer, and a plug that can be pulled."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.plugged = True
        self.capacity = BUFFER + PERIOD_FRAMES  # frames the "card" takes before it is full
        self.opens = 0

    def open(self, device: str) -> Pcm:
        self.opens += 1
        if not self.plugged:
            raise OSError("No such device [usb]")
        return SocketPcm(self, open_alsa_pcm(f"file:FILE={self.out},FORMAT=raw"))


class SocketPcm:
    def __init__(self, socket: Socket, pcm: Pcm) -> None:
        self._socket = socket
        self._pcm = pcm

    def _check(self) -> None:
        if not self._socket.plugged:
            raise OSError("No such device [usb]")

    def write(self, data: bytes) -> int:
        self._check()
        frames = min(len(data) // fmt.FRAME_BYTES, self._socket.capacity)
        if frames == 0:
            return 0
        written = self._pcm.write(data[: frames * fmt.FRAME_BYTES])
        self._socket.capacity -= written
        return written

    def drop(self) -> None:
        self._check()
        self._pcm.drop()
        self._socket.capacity = BUFFER + PERIOD_FRAMES

    def avail(self) -> int:
        self._check()
        return self._pcm.avail()

    def close(self) -> None:
        self._pcm.close()


def test_a_line_reaches_the_device_whole_and_in_order(tmp_path):
    out = tmp_path / "device.raw"
    first = tone(tmp_path / "a.wav", 0.2, 1000)
    second = tone(tmp_path / "b.wav", 0.1, -1000)
    player = AlsaPlayer(f"file:FILE={out},FORMAT=raw")
    try:
        assert player.start(str(tmp_path / "a.wav")).wait() is None
        assert player.start(str(tmp_path / "b.wav")).wait() is None
    finally:
        player.close()  # the file plugin writes its last buffer on close
    assert out.read_bytes() == first + second


def test_a_press_cuts_a_playing_line_and_the_rest_of_it_is_never_written(tmp_path):
    socket = Socket(tmp_path / "device.raw")
    long_line = tone(tmp_path / "long.wav", 30.0, 1000)
    answer = tone(tmp_path / "answer.wav", 0.05, -1000)
    player = AlsaPlayer("usb", opener=socket.open)
    try:
        playing = player.start(str(tmp_path / "long.wav"))
        ended = threading.Event()
        threading.Thread(target=lambda: (playing.wait(), ended.set()), daemon=True).start()
        assert not ended.wait(0.2), "a 30-second line ended early"
        answered = player.start(str(tmp_path / "answer.wav"))
        assert ended.wait(WAIT), "the cut line kept playing"
        assert playing.wait() is None  # cut on purpose: not a problem
        assert answered.wait() is None
    finally:
        player.close()
    # What the card took of the long line before the cut, then the whole answer.
    assert socket.out.read_bytes() == long_line[: (BUFFER + PERIOD_FRAMES) * 2] + answer


def test_a_device_that_vanishes_mid_line_is_reopened_when_it_returns(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="device.voice.alsa_player")
    socket = Socket(tmp_path / "device.raw")
    clock = FakeClock()
    tone(tmp_path / "long.wav", 30.0, 1000)
    answer = tone(tmp_path / "answer.wav", 0.05, -1000)
    player = AlsaPlayer("usb", opener=socket.open, clock=clock)
    try:
        playing = player.start(str(tmp_path / "long.wav"))
        socket.plugged = False  # mid-line: the feeder's next write fails
        problem = playing.wait()
        assert problem is not None and "No such device" in problem
        with pytest.raises(PlayerError, match="unavailable"):
            player.start(str(tmp_path / "answer.wav"))
        opens = socket.opens
        with pytest.raises(PlayerError, match="unavailable"):
            player.start(str(tmp_path / "answer.wav"))
        assert socket.opens == opens, "retried at once instead of backing off"
        socket.plugged = True
        clock.advance(5)
        socket.out.write_bytes(b"")
        played = player.start(str(tmp_path / "answer.wav"))
        clock.advance(1)  # the line's length, on the player's clock
        assert played.wait() is None
    finally:
        player.close()
    assert socket.out.read_bytes().endswith(answer)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "back" not in w]) == 1, warnings  # logged once
    assert warnings[-1] == "the sound device usb is back"


def test_a_device_that_is_busy_at_start_is_tried_again_later(tmp_path):
    socket = Socket(tmp_path / "device.raw")
    socket.plugged = False
    clock = FakeClock()
    answer = tone(tmp_path / "answer.wav", 0.05, 500)
    player = AlsaPlayer("usb", opener=socket.open, clock=clock)
    try:
        with pytest.raises(PlayerError):
            player.start(str(tmp_path / "answer.wav"))
        socket.plugged = True
        with pytest.raises(PlayerError):  # still waiting before the next try
            player.start(str(tmp_path / "answer.wav"))
        clock.advance(1)
        played = player.start(str(tmp_path / "answer.wav"))
        clock.advance(1)
        assert played.wait() is None
    finally:
        player.close()
    assert socket.out.read_bytes() == answer


def test_a_file_in_another_format_is_refused_not_played_as_noise(tmp_path):
    import wave

    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\1\0" * 4410)
    player = AlsaPlayer("null")
    try:
        with pytest.raises(PlayerError, match="format"):
            player.start(str(path))
    finally:
        player.close()


def test_aplay_is_the_fallback_where_alsaaudio_is_missing():
    code = (
        "import sys; sys.modules['alsaaudio'] = None\n"
        "from device.voice.output import open_player\n"
        "print(type(open_player('null')).__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == AplayPlayer.__name__
    assert "python3-alsaaudio" in done.stderr


# Debian bookworm's python3-alsaaudio 0.8.4: PCM has write and the set* methods only.
OLD_ALSAAUDIO = (
    "import sys, types\n"
    "old = types.ModuleType('alsaaudio')\n"
    "old.PCM = type('PCM', (), {'write': None, 'setrate': None, 'close': None})\n"
    "old.Mixer = type('Mixer', (), {})\n"
    "sys.modules['alsaaudio'] = old\n"
)


def test_aplay_is_the_fallback_where_alsaaudio_is_too_old():
    code = OLD_ALSAAUDIO + (
        "from device.voice.output import open_player\n"
        "from device.voice.mixer import open_hardware_volume\n"
        "print(type(open_player('null')).__name__, open_hardware_volume('default'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == [AplayPlayer.__name__, "None"]
    assert "too old to keep the sound device open (it lacks drop, avail, info" in done.stderr


def test_the_alsa_output_is_chosen_where_alsaaudio_is_installed():
    code = (
        "from device.voice.output import open_player\n"
        "p = open_player('null'); print(type(p).__name__); p.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == AlsaPlayer.__name__
