"""Finding the card's playback volume control by what it can do, and setting it in decibels.

This machine has no sound card, so pyalsaaudio is stood in for by a small fake that
answers the same calls with the controls real cards report (a Raspberry Pi's jack has
only ``PCM``; USB cards have ``Speaker`` and a capture-only ``Mic``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from device.events import Line
from device.voice.mixer import AlsaVolume, control_device, find_playback_control
from device.voice.speaker import Voice
from device.voice.tts import VoiceSettings
from tests.dummy_voice import ToneRenderer

PLAYBACK = ["Volume", "Playback Volume"]
CAPTURE = ["Capture Volume"]


class FakeAlsa:
    """The part of pyalsaaudio the mixer uses, over a dict of control -> capabilities."""

    VOLUME_UNITS_DB = 2

    class ALSAAudioError(Exception):
        pass

    def __init__(self, controls: dict[str, list[str]], db_range: tuple[int, int] = (-10239, 400)):
        self.controls = controls
        self.db_range = db_range
        self.set_calls: list[tuple[str, int, dict[str, Any]]] = []

    def mixers(self, device: str = "default") -> list[str]:
        if device == "hw:9":
            raise self.ALSAAudioError("no such card")
        return list(self.controls)

    def Mixer(self, control: str, device: str = "default") -> Any:  # pyalsaaudio names it so
        alsa = self

        class _Mixer:
            def volumecap(self) -> list[str]:
                return alsa.controls[control]

            def getrange(self, units: int = 0) -> tuple[int, int]:
                return alsa.db_range

            def setvolume(self, volume: int, **kw: Any) -> None:
                alsa.set_calls.append((control, volume, kw))

        return _Mixer()


@pytest.mark.parametrize(
    ("controls", "chosen"),
    [
        ({"PCM": PLAYBACK}, "PCM"),  # a Raspberry Pi's headphone jack: no Master
        ({"Mic": CAPTURE, "Speaker": PLAYBACK}, "Speaker"),  # a USB card
        ({"PCM": PLAYBACK, "Master": PLAYBACK}, "Master"),
        ({"Boost": PLAYBACK}, "Boost"),  # unknown names count too, by capability
        ({"Mic": CAPTURE, "Capture": CAPTURE}, None),
        ({}, None),
    ],
)
def test_the_playback_control_is_found_by_capability(controls, chosen):
    assert find_playback_control(FakeAlsa(controls), "hw:0") == chosen


def test_a_missing_card_has_no_control():
    assert find_playback_control(FakeAlsa({"PCM": PLAYBACK}), "hw:9") is None


@pytest.mark.parametrize(
    ("pcm", "ctl"),
    [
        ("default", "default"),
        ("hw:1,0", "hw:1"),
        ("plughw:0", "hw:0"),
        ("plughw:CARD=Headphones,DEV=0", "hw:Headphones"),
        ("null", "default"),
    ],
)
def test_the_control_device_is_the_card_behind_the_pcm(pcm, ctl):
    assert control_device(pcm) == ctl


def test_the_volume_is_set_in_decibels_with_100_percent_at_0_db():
    alsa = FakeAlsa({"PCM": PLAYBACK})
    volume = AlsaVolume(alsa, "PCM", "hw:0")
    for level in (1.0, 0.5, 0.0):
        volume.set(level)
    assert [v for _, v, _ in alsa.set_calls] == [0, -602, -10239]
    assert all(kw == {"units": FakeAlsa.VOLUME_UNITS_DB} for _, _, kw in alsa.set_calls)


def test_a_card_without_a_db_scale_gets_a_percentage():
    alsa = FakeAlsa({"PCM": PLAYBACK}, db_range=(0, 0))
    AlsaVolume(alsa, "PCM", "hw:0").set(0.5)
    assert alsa.set_calls == [("PCM", 50, {})]


class RecordingVolume:
    def __init__(self) -> None:
        self.levels: list[float] = []

    def set(self, volume: float) -> None:
        self.levels.append(volume)


class BrokenVolume:
    def set(self, volume: float) -> None:
        raise OSError("the card went away")


def test_the_voice_sets_the_card_up_to_100_percent_and_the_render_does_the_rest(
    tmp_path: Path,
):
    card = RecordingVolume()
    renderer = ToneRenderer()
    voice = Voice(
        tmp_path, settings=VoiceSettings(volume=0.4), renderer=renderer, hardware_volume=card
    )
    try:
        voice.configure(VoiceSettings(volume=2.0))
        voice.configure(VoiceSettings(volume=2.0, rate=120))  # the volume did not change
        assert card.levels == [0.4, 1.0]
    finally:
        voice.close()


def test_with_a_card_turning_it_down_the_cached_audio_is_not_rendered_again(tmp_path: Path):
    renderer = ToneRenderer()
    voice = Voice(
        tmp_path,
        settings=VoiceSettings(volume=0.8),
        renderer=renderer,
        hardware_volume=RecordingVolume(),
    )
    try:
        voice.prepare(["Set 1 of 3.", "Rest."])
        assert voice.wait_until_prepared(10)
        assert sorted(renderer.rendered) == ["Rest.", "Set 1 of 3."]
        voice.configure(VoiceSettings(volume=0.3))  # the card does it
        voice.configure(VoiceSettings(volume=1.0))
        assert voice.wait_until_prepared(10)
        assert len(renderer.rendered) == 2
        voice.configure(VoiceSettings(volume=1.5))  # over 100 %: the render's limiter does it
        assert voice.wait_until_prepared(10)
        assert sorted(renderer.rendered[2:]) == ["Rest.", "Set 1 of 3."]
    finally:
        voice.close()


def test_a_card_that_fails_is_logged_and_the_voice_carries_on(tmp_path, caplog):
    spoken: list[str] = []
    voice = Voice(
        tmp_path,
        settings=VoiceSettings(volume=0.5),
        renderer=ToneRenderer(),
        hardware_volume=BrokenVolume(),
        echo=spoken.append,
    )
    try:
        voice.speak([Line("Go.", interrupt=True)])
        assert voice.wait_until_quiet(10)
    finally:
        voice.close()
    assert spoken == ["Go."]
    assert "cannot set the sound card's volume" in caplog.text
