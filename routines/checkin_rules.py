"""Checking a routine's ``checkin``: what Spotter asks before and after, about which body part."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, cast

from routines.fields import Problems
from routines.model import DEFAULT_CHECKIN_AREA

CHECKIN_MODES: Final = ("none", "pain")
CHECKIN_FIELDS: Final = ("kind", "area")
# The area is spoken inside sentences ("... in your knee"): a few words, no punctuation.
MAX_AREA = 30
MAX_AREA_WORDS = 4
AREA_PATTERN: Final = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")


def parse_checkin(problems: Problems, value: object) -> tuple[str | None, str]:
    """The check-in's kind and body part, from ``pain`` or ``{kind: pain, area: knee}``;
    problems are recorded under ``checkin``."""
    if not isinstance(value, Mapping):
        return problems.choice("checkin", value, CHECKIN_MODES), DEFAULT_CHECKIN_AREA
    value = cast(Mapping[object, object], value)
    problems.unknown_fields("checkin", value, CHECKIN_FIELDS)
    kind = value.get("kind")
    if kind is None:
        problems.add("checkin.kind", "is required")
    kind = None if kind is None else problems.choice("checkin.kind", kind, CHECKIN_MODES)
    area = value.get("area")
    if area is None:
        return kind, DEFAULT_CHECKIN_AREA
    if kind == "none":
        problems.add("checkin.area", "only applies with kind: pain")
        return kind, DEFAULT_CHECKIN_AREA
    return kind, _area(problems, area) or DEFAULT_CHECKIN_AREA


def _area(problems: Problems, value: object) -> str | None:
    text = problems.text("checkin.area", value, MAX_AREA)
    if text is None:
        return None
    words = text.split()
    if words[0].lower() in ("your", "my", "the"):
        problems.add("checkin.area", f'leave out {words[0]!r}: Spotter says "your knee" itself')
    elif len(words) > MAX_AREA_WORDS or not all(AREA_PATTERN.fullmatch(w) for w in words):
        problems.add(
            "checkin.area",
            f"must name a body part in at most {MAX_AREA_WORDS} words of letters, "
            "e.g. knee or lower back",
        )
    else:
        return " ".join(words)
    return None
