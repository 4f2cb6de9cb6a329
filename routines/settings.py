"""Device settings: one schema with defaults, and the checks every change goes through."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, cast

from routines.errors import SettingsError
from routines.fields import Problems, at
from routines.model import DEFAULT_GESTURE_ACTIONS, Action, Gesture

GESTURES: Final = tuple(str(g) for g in Gesture)
ACTIONS: Final = tuple(str(a) for a in Action)

# espeak-ng voice ids look like "en-us", "gmw/en-GB-x-rp" or "en+f3"; nothing else is
# passed on to the synthesiser.
VOICE_ID: Final = re.compile(r"[A-Za-z0-9_+/.-]{0,100}")
# "classic" is espeak-ng; "natural" is the optional neural voice, rendered ahead.
VOICE_ENGINES: Final = ("classic", "natural")

WHOLE_NUMBER_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "voice_rate": (80, 300),
    "double_press_ms": (150, 1500),
    "hold_ms": (300, 5000),
    "long_hold_ms": (1000, 10000),
    "debounce_ms": (0, 200),
    "default_rest_seconds": (0, 600),
    "idle_reminder_seconds": (30, 1800),
    "idle_pause_seconds": (60, 3600),
    "abandon_after_minutes": (10, 1440),
    "choice_step_ms": (500, 3000),
}
PACE_RANGE: Final = (0.75, 1.5)
VERBOSITIES: Final = ("auto", "full", "brief")
MAX_PIN_HASH = 512
# Above 100 % a limiter adds loudness without clipping, up to +9 dB (2.8 = +8.9 dB).
MAX_VOLUME: Final = 2.8
# How a rep, a hold, the end of a rest or of a set is marked: words, a tone, or both.
CUE_SOUNDS: Final = ("words", "tones", "both")


@dataclass(frozen=True, slots=True)
class Settings:
    """What the user can tune; every instance holds valid values."""

    voice_id: str = ""  # espeak-ng voice id; "" = the engine's default English
    voice_rate: int = 165  # words per minute
    voice_volume: float = 1.0  # 1.0 = 100 %
    cue_sounds: str = "words"
    voice_engine: str = "classic"
    double_press_ms: int = 400
    hold_ms: int = 1000
    long_hold_ms: int = 3000
    debounce_ms: int = 20
    gesture_actions: Mapping[Gesture, Action] = field(
        default_factory=lambda: DEFAULT_GESTURE_ACTIONS
    )
    default_rest_seconds: int = 30
    pace: float = 1.0  # stretches every paced rep's tempo: 1.5 is half as slow again
    verbosity: str = "auto"  # full, brief, or auto: full until a routine is finished twice
    # Mid-workout with nobody pressing: a reminder, then a pause; a pause this long ends it.
    idle_reminder_seconds: int = 120
    idle_pause_seconds: int = 600
    abandon_after_minutes: int = 180
    # When Spotter reads out choices (a pain score, who is training), the time each one
    # stays open to be picked by a press: the counting speed.
    choice_step_ms: int = 1000
    weekly_goal: int | None = None  # used when a routine sets no sessions_per_week
    pin_hash: str = ""  # web access PIN, hashed; "" = no PIN
    # With a PIN, the Now page's session buttons still work without it: members press,
    # the owner configures.
    open_session_buttons: bool = True
    # And, when the owner says so, start and end workouts without it too (off: a workout
    # is a member's record, started by someone who may read it back).
    members_start_workouts: bool = False
    # Doses offered to grow or shrink after workouts (routines/progression_rules.py);
    # off: everyone keeps the dose they have and nothing is offered.
    progression: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, in the shape ``parse_settings_changes`` accepts."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["gesture_actions"] = {str(g): str(a) for g, a in self.gesture_actions.items()}
        return out


SETTING_NAMES: Final = tuple(f.name for f in dataclasses.fields(Settings))


def parse_settings_changes(changes: object, base: Settings) -> Settings:
    """``base`` with ``changes`` applied; ``SettingsError`` names every bad key at once.

    ``gesture_actions`` may name only some gestures: the others keep their action.
    """
    problems = Problems()
    if not isinstance(changes, Mapping):
        problems.add("settings", "must be a mapping of setting names to values")
        raise SettingsError(problems.errors)
    changes = cast(Mapping[object, object], changes)
    problems.unknown_fields("", changes, SETTING_NAMES)

    values: dict[str, Any] = {}
    for name, value in changes.items():
        if not isinstance(name, str) or name not in SETTING_NAMES:
            continue
        before = len(problems.errors)
        checked = _check(problems, name, value, base)
        if len(problems.errors) == before:
            values[name] = checked

    if not problems.errors:
        hold = values.get("hold_ms", base.hold_ms)
        long_hold = values.get("long_hold_ms", base.long_hold_ms)
        if long_hold <= hold:
            key = "long_hold_ms" if "long_hold_ms" in changes else "hold_ms"
            problems.add(key, f"long_hold_ms ({long_hold}) must be longer than hold_ms ({hold})")
        reminder = values.get("idle_reminder_seconds", base.idle_reminder_seconds)
        pause = values.get("idle_pause_seconds", base.idle_pause_seconds)
        if pause <= reminder:
            key = (
                "idle_pause_seconds" if "idle_pause_seconds" in changes else "idle_reminder_seconds"
            )
            problems.add(
                key,
                f"idle_pause_seconds ({pause}) must be longer than "
                f"idle_reminder_seconds ({reminder})",
            )
    if problems.errors:
        raise SettingsError(problems.errors)
    return dataclasses.replace(base, **values)


def _check(problems: Problems, name: str, value: object, base: Settings) -> object:
    if name in WHOLE_NUMBER_RANGES:
        low, high = WHOLE_NUMBER_RANGES[name]
        return problems.whole_number(name, value, low, high)
    if name == "voice_volume":
        return problems.number(name, value, 0.0, MAX_VOLUME)
    if name == "cue_sounds":
        return problems.choice(name, value, CUE_SOUNDS)
    if name == "pace":
        return problems.number(name, value, *PACE_RANGE)
    if name == "verbosity":
        return problems.choice(name, value, VERBOSITIES)
    if name == "weekly_goal":
        return None if value is None else problems.whole_number(name, value, 1, 14)
    if name == "voice_id":
        if not isinstance(value, str) or not VOICE_ID.fullmatch(value):
            problems.add(name, "must be an espeak-ng voice id such as en-us, or empty")
        return value
    if name == "voice_engine":
        return problems.choice(name, value, VOICE_ENGINES)
    if name == "pin_hash":
        return value if value == "" else problems.text(name, value, MAX_PIN_HASH)
    if name in ("open_session_buttons", "members_start_workouts", "progression"):
        if not isinstance(value, bool):
            problems.add(name, "must be true or false")
        return value
    return _gesture_actions(problems, value, base.gesture_actions)


def _gesture_actions(
    problems: Problems, value: object, current: Mapping[Gesture, Action]
) -> Mapping[Gesture, Action] | None:
    if not isinstance(value, Mapping):
        problems.add("gesture_actions", "must map gestures to actions, e.g. {double: skip}")
        return None
    value = cast(Mapping[object, object], value)
    merged = dict(current)
    for gesture, action in value.items():
        path = at("gesture_actions", str(gesture))
        if gesture not in GESTURES:
            problems.add(path, "unknown gesture (known: " + ", ".join(GESTURES) + ")")
        elif problems.choice(path, action, ACTIONS) is not None:
            merged[Gesture(gesture)] = Action(cast(str, action))
    if Action.NEXT not in merged.values():
        # Without a gesture for "next" a workout could never move past its first set.
        problems.add("gesture_actions", "one gesture must do next")
    return MappingProxyType(merged)
