"""Short tones that mark a moment of the workout, made here from sine waves.

Each moment has its own shape, so it can be told apart without words through
gym noise: one high blip for a rep, a step up when a hold starts and down when
it ends, a double beep when the rest is over, a rising chord for a set and a
longer one for the workout. Notes carry a few harmonics, which small speakers
reproduce better than a pure tone. They are rendered into the same cache as
speech, under a text no line can have, and levelled like speech.
"""

from __future__ import annotations

import math
from pathlib import Path

from device.events import Moment
from device.voice.tts import Renderer, VoiceSettings
from device.voice.wav_samples import Audio, write_wav

RATE = 22050
# Starts the cache text of a tone: a control character, which no routine or sentence holds.
_MARK = "\x07"
_VERSION = "earcons 1"
_HARMONICS = ((1, 1.0), (2, 0.35), (3, 0.15))
_ATTACK = 0.005
_RELEASE = 0.012

# (frequency in Hz, seconds) per note; a frequency of 0 is a gap.
Note = tuple[float, float]
SHAPES: dict[Moment, tuple[Note, ...]] = {
    Moment.REP: ((1318.5, 0.07),),
    Moment.HOLD_STARTED: ((659.3, 0.09), (987.8, 0.14)),
    Moment.HOLD_ENDED: ((987.8, 0.09), (659.3, 0.14)),
    Moment.REST_OVER: ((1174.7, 0.08), (0.0, 0.06), (1174.7, 0.08)),
    Moment.SET_DONE: ((523.3, 0.08), (659.3, 0.08), (784.0, 0.16)),
    Moment.WORKOUT_DONE: ((523.3, 0.1), (659.3, 0.1), (784.0, 0.1), (1046.5, 0.4)),
    Moment.PHASE: ((880.0, 0.05),),
    Moment.PRESS: ((1568.0, 0.05),),
}


def moment_text(moment: Moment) -> str:
    """The text a tone is queued and cached under."""
    return _MARK + moment.value


def moment_of(text: str) -> Moment | None:
    """The tone a queued text stands for; None for speech."""
    return Moment(text[len(_MARK) :]) if text.startswith(_MARK) else None


def _note(freq: float, seconds: float, rate: int) -> list[float]:
    count = round(seconds * rate)
    if freq <= 0.0:
        return [0.0] * count
    attack = round(_ATTACK * rate)
    release = round(_RELEASE * rate)
    decay = 3.0 / count  # down about 26 dB by the end: a struck sound, not a buzz
    out = []
    for i in range(count):
        phase = 2.0 * math.pi * freq * i / rate
        wave = sum(level * math.sin(h * phase) for h, level in _HARMONICS)
        # Ramps in and out, so no note starts or stops with a click.
        envelope = min(1.0, i / attack, (count - 1 - i) / release) * math.exp(-decay * i)
        out.append(0.3 * wave * envelope)
    return out


def synthesise(moment: Moment, rate: int = RATE) -> list[float]:
    """The tone for ``moment`` as mono samples."""
    return [x for freq, seconds in SHAPES[moment] for x in _note(freq, seconds, rate)]


class EarconRenderer:
    """A renderer that writes tones for moment texts and hands everything else to speech."""

    def __init__(self, speech: Renderer) -> None:
        self.speech = speech

    @property
    def version(self) -> str:
        """The speech engine's version and the tones'."""
        return f"{self.speech.version}; {_VERSION}"

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Write the tone ``text`` stands for, or speak it."""
        moment = moment_of(text)
        if moment is None:
            self.speech.render(text, settings, target)
        else:
            write_wav(target, Audio([synthesise(moment)], RATE))

    def render_levelled(
        self, text: str, settings: VoiceSettings, target: Path, gain_db: float
    ) -> bool:
        """Speech rendered and levelled by the engine, where it can (see ``LevelledRenderer``);
        a tone is small enough to level where it is made, in the daemon."""
        elsewhere = getattr(self.speech, "render_levelled", None)
        if moment_of(text) is not None or elsewhere is None:
            return False
        return bool(elsewhere(text, settings, target, gain_db))

    def voices(self) -> list[tuple[str, str]]:
        """The speech engine's voices."""
        return self.speech.voices()

    def close(self) -> None:
        """End the speech engine's processes, for engines that have them."""
        close = getattr(self.speech, "close", None)
        if close is not None:
            close()

    def confirm_version(self) -> None:
        """Have the engine say its own version, where it may only presume it so far."""
        confirm = getattr(self.speech, "confirm_version", None)
        if confirm is not None:
            confirm()

    def abort(self) -> None:
        """Stop the speech engine's render in progress, where it can be stopped."""
        abort = getattr(self.speech, "abort", None)
        if abort is not None:
            abort()
