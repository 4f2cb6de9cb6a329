"""Every rendered line at one loudness before the cache keeps it, and the volume on top.

A renderer is wrapped, not changed: whatever engine wrote the WAV, the file is
read back, brought to -16 LUFS with peaks at most -1 dBFS and written again,
so a count, an instruction, a tone and a line from another engine all sound
equally loud. An engine that runs in a process of its own levels there
(``render_levelled``): the samples of a long line then never take up the
daemon's memory, nor its time on the CPU. The volume setting is applied here
too, in software, unless a hardware mixer takes care of everything up to
100 %: above that only the limiter can add loudness without clipping.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

from device.voice import audio_format
from device.voice.loudness import CEILING_DBFS, TARGET_LUFS, db_to_gain, normalise
from device.voice.tts import Renderer, VoiceSettings
from device.voice.wav_samples import Audio, read_wav, write_wav

# Part of every cache key: audio levelled some other way is never served as this.
LEVELLING = f"levelled to {TARGET_LUFS:g} LUFS, peaks {CEILING_DBFS:g} dBFS"
# The ceiling on the 16-bit step at or just under it, so rounding to 16 bits can't cross it.
_CEILING_16BIT_DBFS = 20.0 * math.log10(math.floor(db_to_gain(CEILING_DBFS) * 32768) / 32768)


def software_gain_db(volume: float, *, hardware_mixer: bool = False) -> float:
    """How far above (or below) the target a line is rendered for ``volume`` (1.0 = 100 %).

    With a hardware mixer the card turns the sound down, so only what is above
    100 % is left for the render; without one the render does it all.
    """
    if hardware_mixer:
        volume = max(volume, 1.0)
    return 20.0 * math.log10(volume) if volume > 0.0 else -math.inf


def finish_and_level(path: Path, *, gain_db: float = 0.0) -> None:
    """Bring a WAV just rendered into the cache's one format (mono, its rate, 16-bit, no
    leading silence), so what is measured is what the cache keeps, then level it."""
    audio_format.write_wav(path, audio_format.finish_render(path))
    level_wav(path, gain_db=gain_db)


def level_wav(path: Path, *, gain_db: float = 0.0) -> None:
    """Rewrite the 16-bit WAV at ``path`` at the target loudness plus ``gain_db``."""
    audio = read_wav(path)
    if gain_db == -math.inf:
        levelled: list[Sequence[float]] = [[0.0] * len(ch) for ch in audio.channels]
    else:
        levelled = list(
            normalise(
                audio.channels,
                audio.rate,
                target_lufs=TARGET_LUFS + gain_db,
                ceiling_dbfs=_CEILING_16BIT_DBFS,
            )
        )
    write_wav(path, Audio(levelled, audio.rate))


class LevelledRenderer:
    """A renderer whose every file comes out levelled, at the volume in its settings."""

    def __init__(self, inner: Renderer, *, hardware_mixer: bool = False) -> None:
        self.inner = inner
        self.hardware_mixer = hardware_mixer

    @property
    def version(self) -> str:
        """The engine's version and how its audio is levelled."""
        return f"{self.inner.version}; {LEVELLING}"

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Render at the engine's full volume, then level it (the volume is applied here),
        in the engine's own process when it has one."""
        full = dataclasses.replace(settings, volume=1.0)
        gain_db = software_gain_db(settings.volume, hardware_mixer=self.hardware_mixer)
        # ``render_levelled(text, settings, target, gain_db) -> bool``: True once the engine
        # has rendered and levelled the line itself, False if it leaves levelling to us.
        elsewhere = getattr(self.inner, "render_levelled", None)
        if elsewhere is not None and elsewhere(text, full, target, gain_db):
            return
        self.inner.render(text, full, target)
        finish_and_level(target, gain_db=gain_db)

    def voices(self) -> list[tuple[str, str]]:
        """The engine's voices."""
        return self.inner.voices()

    def confirm_version(self) -> None:
        """Have the engine say its own version, where it may only presume it so far."""
        confirm = getattr(self.inner, "confirm_version", None)
        if confirm is not None:
            confirm()

    def abort(self) -> None:
        """Stop the engine's render in progress, for engines that can (their own process):
        the render queue's watchdog and its shutdown reach the engine through this."""
        abort = getattr(self.inner, "abort", None)
        if abort is not None:
            abort()

    def close(self) -> None:
        """Stop the engine's worker, for engines that have one."""
        stop = getattr(self.inner, "close", None)
        if stop is not None:
            stop()
