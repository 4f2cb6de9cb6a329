"""Which voices to offer first: the script's language (English), grouped by engine.

espeak-ng installs well over a hundred voices, nearly all for other languages;
the script Spotter reads is English, so lists show those first and the others
only when asked. The voice already chosen always stays listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A voice id beginning "natural/" belongs to the natural engine (its language code next:
# "natural/en-us-joe"); every other id is espeak-ng's ("gmw/en-gb-x-rp", "en-us").
ENGINES = (("natural/", "Natural"), ("", "Classic (espeak-ng)"))
LANGUAGE = "en"

Voice = tuple[str, str]  # (id, name)


@dataclass(frozen=True, slots=True)
class VoiceGroup:
    """One engine's voices, in the order to show them."""

    engine: str
    voices: list[Voice]


def engine_of(voice_id: str) -> str:
    """The name of the engine a voice id belongs to."""
    return next(name for prefix, name in ENGINES if voice_id.startswith(prefix))


def speaks_english(voice_id: str, name: str) -> bool:
    """True for a voice of the script's language, judged by its id ("gmw/en-us") or name."""
    code = voice_id.rsplit("/", 1)[-1].lower()
    return (
        code == LANGUAGE
        or code.startswith((f"{LANGUAGE}-", f"{LANGUAGE}_", f"{LANGUAGE}+"))
        or name.lower().startswith("english")
    )


def english_first(voices: Sequence[Voice], *, show_all: bool, selected: str = "") -> list[Voice]:
    """English voices by name, then (if ``show_all``) the others by name; ``selected``
    is kept whatever its language."""
    english = sorted((v for v in voices if speaks_english(*v)), key=lambda v: v[1].lower())
    others = sorted((v for v in voices if not speaks_english(*v)), key=lambda v: v[1].lower())
    if not show_all:
        others = [v for v in others if v[0] == selected]
    return english + others


def voice_groups(
    voices: Sequence[Voice], *, show_all: bool, selected: str = ""
) -> list[VoiceGroup]:
    """The voices grouped by engine, each group English first."""
    groups = []
    for _, engine in ENGINES:
        mine = [v for v in voices if engine_of(v[0]) == engine]
        shown = english_first(mine, show_all=show_all, selected=selected)
        if shown:
            groups.append(VoiceGroup(engine, shown))
    return groups


def hidden_count(voices: Sequence[Voice]) -> int:
    """How many voices the English-only list leaves out."""
    return sum(1 for v in voices if not speaks_english(*v))
