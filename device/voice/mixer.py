"""The sound card's own volume control, where it has one.

Which control turns the sound down differs between cards: a Raspberry Pi's
headphone jack calls it ``PCM``, many USB cards ``Speaker`` or ``Headphone``,
a laptop ``Master``. So the control is found by what it can do (a playback
volume), well-known names first, never by a fixed name. Without one, or
without pyalsaaudio, Spotter sets the volume in software when it renders.
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any, Protocol

from device.voice.alsa_module import load_alsaaudio

log = logging.getLogger(__name__)

# Tried first, in this order, when a card has several playback controls.
PREFERRED_CONTROLS = ("Master", "PCM", "Speaker", "Headphone", "Digital", "Playback")
_PLAYBACK_CAPS = {"Volume", "Joined Volume", "Playback Volume", "Joined Playback Volume"}


class HardwareVolume(Protocol):
    """A volume control on the sound card."""

    def set(self, volume: float) -> None:
        """Set it to ``volume`` (0..1, 1.0 = the card's 0 dB)."""
        ...


def control_device(pcm_device: str) -> str:
    """The ALSA control device of the card behind a PCM name ("plughw:1,0" -> "hw:1")."""
    card = re.search(r"CARD=([^,]+)", pcm_device)
    if card:
        return f"hw:{card.group(1)}"
    numbered = re.fullmatch(r"(?:plug)?hw:(\w+)(?:,\d+)*", pcm_device)
    return f"hw:{numbered.group(1)}" if numbered else "default"


def find_playback_control(alsa: Any, device: str) -> str | None:
    """The name of the control that sets the playback volume of ``device``; None if none."""
    try:
        names = list(alsa.mixers(device=device))
    except alsa.ALSAAudioError:
        return None
    playable = []
    for name in names:
        try:
            caps = set(alsa.Mixer(control=name, device=device).volumecap())
        except alsa.ALSAAudioError:
            continue
        # Capture-only controls (a microphone's gain) say "Capture Volume" only.
        if caps & _PLAYBACK_CAPS:
            playable.append(name)
    for name in PREFERRED_CONTROLS:
        if name in playable:
            return name
    return playable[0] if playable else None


class AlsaVolume:
    """A card's playback control, set in decibels when the card says what its steps are."""

    def __init__(self, alsa: Any, control: str, device: str) -> None:
        self._alsa = alsa
        self.control = control
        self.device = device

    def set(self, volume: float) -> None:
        """Set the control: 100 % is 0 dB (or the card's top, if lower), 50 % is -6 dB."""
        alsa = self._alsa
        mixer = alsa.Mixer(control=self.control, device=self.device)
        low, high = mixer.getrange(units=alsa.VOLUME_UNITS_DB)  # hundredths of a dB
        if low < high:
            wanted = 2000.0 * math.log10(volume) if volume > 0.0 else -math.inf
            mixer.setvolume(round(max(low, min(high, 0, wanted))), units=alsa.VOLUME_UNITS_DB)
        else:  # no dB scale: the card's own percentage is all there is
            mixer.setvolume(round(100 * max(0.0, min(1.0, volume))))


def open_hardware_volume(pcm_device: str) -> AlsaVolume | None:
    """The playback control of the card ``pcm_device`` plays on; None where there is none."""
    alsaaudio, _ = load_alsaaudio()
    if alsaaudio is None:
        return None
    device = control_device(pcm_device)
    control = find_playback_control(alsaaudio, device)
    if control is None:
        log.info("no volume control on %s: the volume is set in software", device)
        return None
    log.info("the volume is set with the %r control of %s", control, device)
    return AlsaVolume(alsaaudio, control, device)
