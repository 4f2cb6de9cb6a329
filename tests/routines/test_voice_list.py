"""Which voices are offered first: English, grouped by engine, every voice on request."""

from __future__ import annotations

import pytest

from device.voice.tts import Pyttsx3Renderer
from routines.voice_list import engine_of, speaks_english, voice_groups

MIXED = [
    ("roa/fr", "French"),
    ("gmw/en-US", "English (America)"),
    ("art/qya", "Quenya"),
    ("gmw/en", "English (Great Britain)"),
    ("natural/en-us-joe", "Joe"),
]


@pytest.fixture(scope="module")
def installed() -> list[tuple[str, str]]:
    """The voices espeak-ng really has here."""
    return Pyttsx3Renderer().voices()


def test_the_installed_english_voices_come_first_and_alone(installed):
    (classic,) = voice_groups(installed, show_all=False)
    assert classic.engine == "Classic (espeak-ng)"
    assert len(installed) > 50  # espeak-ng ships voices for many languages
    assert 1 <= len(classic.voices) < 20
    assert all(speaks_english(*voice) for voice in classic.voices)
    assert ("gmw/en-us", "English (America)") in classic.voices


def test_showing_all_lists_every_voice_english_still_first(installed):
    (classic,) = voice_groups(installed, show_all=True)
    assert sorted(classic.voices) == sorted(installed)
    english = [speaks_english(*voice) for voice in classic.voices]
    assert english == sorted(english, reverse=True)


def test_voices_are_grouped_by_engine():
    groups = voice_groups(MIXED, show_all=True)
    assert [g.engine for g in groups] == ["Natural", "Classic (espeak-ng)"]
    assert groups[1].voices == [
        ("gmw/en-US", "English (America)"),
        ("gmw/en", "English (Great Britain)"),
        ("roa/fr", "French"),
        ("art/qya", "Quenya"),
    ]
    assert (
        engine_of("natural/en-us-joe") == "Natural" and engine_of("en-us") == "Classic (espeak-ng)"
    )


def test_the_chosen_voice_stays_listed_in_any_language():
    (_, classic) = voice_groups(MIXED, show_all=False, selected="roa/fr")
    assert ("roa/fr", "French") in classic.voices
    assert ("art/qya", "Quenya") not in classic.voices
