"""The voices the Settings page offers: English first, grouped by engine, the rest on request.

espeak-ng installs well over a hundred voices, nearly all for other languages;
the script Spotter reads is English, so those are what the list shows unless
the user asks to see them all. The voice already chosen always stays listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A voice id beginning "natural/" belongs to the natural engine; every other id is one
# of espeak-ng's (its ids look like "gmw/en-GB-x-rp" or "en-us").
ENGINES = (("natural/", "Natural"), ("", "Classic (espeak-ng)"))
LANGUAGE = "en"


@dataclass(frozen=True, slots=True)
class VoiceGroup:
    """One engine's voices, as (id, name) pairs in the order to show them."""

    engine: str
    voices: list[tuple[str, str]]


def engine_of(voice_id: str) -> str:
    """The name of the engine a voice id belongs to."""
    return next(name for prefix, name in ENGINES if voice_id.startswith(prefix))


def speaks_english(voice_id: str, name: str) -> bool:
    """True for a voice of the script's language, judged by its id ("gmw/en-US") or name."""
    code = voice_id.rsplit("/", 1)[-1].lower()
    return (
        code == LANGUAGE
        or code.startswith((f"{LANGUAGE}-", f"{LANGUAGE}_", f"{LANGUAGE}+"))
        or "english" in name.lower()
    )


def voice_groups(
    voices: Sequence[tuple[str, str]], *, show_all: bool, selected: str = ""
) -> list[VoiceGroup]:
    """The voices grouped by engine, English ones first (by name), then the others if
    ``show_all``; ``selected`` is kept whatever its language."""
    groups: list[VoiceGroup] = []
    for _, engine in ENGINES:
        mine = [(i, n) for i, n in voices if engine_of(i) == engine]
        english = sorted((v for v in mine if speaks_english(*v)), key=lambda v: v[1].lower())
        others = sorted((v for v in mine if not speaks_english(*v)), key=lambda v: v[1].lower())
        if not show_all:
            others = [v for v in others if v[0] == selected]
        if english or others:
            groups.append(VoiceGroup(engine, english + others))
    return groups


def hidden_count(voices: Sequence[tuple[str, str]]) -> int:
    """How many voices the English-only list leaves out."""
    return sum(1 for i, n in voices if not speaks_english(i, n))
