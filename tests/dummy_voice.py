"""Small stand-ins for the voice's two outside parts: the speech engine and the speaker."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

from device.voice.tts import VoiceSettings


class ToneRenderer:
    """Writes a short, valid WAV for any text, instantly; counts what it rendered."""

    version = "tone-1"

    def __init__(self) -> None:
        self.rendered: list[str] = []

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        self.rendered.append(text)
        with wave.open(str(target), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(b"\x10\x00" * 80)

    def voices(self) -> list[tuple[str, str]]:
        return [("gmw/en", "English")]


class HeldPlayback:
    """A line that plays until the test ends it or Spotter cuts it off."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.stopped = False
        self._ended = threading.Event()

    def wait(self) -> str | None:
        self._ended.wait()
        return None

    def stop(self) -> None:
        self.stopped = True
        self._ended.set()

    def finish(self) -> None:
        self._ended.set()


class HeldPlayer:
    """Records every playback; each keeps 'sounding' until finished or stopped."""

    def __init__(self) -> None:
        self.playbacks: list[HeldPlayback] = []
        self._started = threading.Condition()

    def start(self, path: str) -> HeldPlayback:
        playback = HeldPlayback(path)
        with self._started:
            self.playbacks.append(playback)
            self._started.notify_all()
        return playback

    def wait_for(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` playbacks have started (lines may be rendered off-thread)."""
        with self._started:
            return self._started.wait_for(lambda: len(self.playbacks) >= count, timeout)
