"""Settings changes: accepted values, and the key each bad one is reported under."""

from __future__ import annotations

from typing import Any

import pytest

from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture
from routines.errors import SettingsError
from routines.settings import Settings, parse_settings_changes

BASE = Settings()


def errors_of(changes: object, base: Settings = BASE) -> dict[str, str]:
    with pytest.raises(SettingsError) as info:
        parse_settings_changes(changes, base)
    return info.value.errors


def test_defaults_match_the_design() -> None:
    assert Settings().to_dict() == {
        "voice_id": "",
        "voice_rate": 165,
        "voice_volume": 1.0,
        "voice_engine": "classic",
        "cue_sounds": "words",
        "double_press_ms": 400,
        "hold_ms": 1000,
        "long_hold_ms": 3000,
        "debounce_ms": 20,
        "gesture_actions": {
            "press": "next",
            "double": "back",
            "hold": "repeat",
            "long_hold": "pause",
        },
        "default_rest_seconds": 30,
        "pace": 1.0,
        "verbosity": "auto",
        "idle_reminder_seconds": 120,
        "idle_pause_seconds": 600,
        "abandon_after_minutes": 180,
        "choice_step_ms": 1000,
        "weekly_goal": None,
        "pin_hash": "",
        "open_session_buttons": True,
        "members_start_workouts": False,
        "progression": True,
    }


def test_parsed_gesture_actions_are_the_engine_vocabulary() -> None:
    # Settings hand the engine typed values, so a mapping read from the store is used
    # as it is, with no second list of names to keep in step.
    parsed = parse_settings_changes({"gesture_actions": {"double": "pause"}}, Settings())
    assert {type(g) for g in parsed.gesture_actions} == {Gesture}
    assert {type(a) for a in parsed.gesture_actions.values()} == {Action}
    assert parsed.gesture_actions[Gesture.DOUBLE] is Action.PAUSE
    assert Settings().gesture_actions == DEFAULT_GESTURE_ACTIONS


def test_every_setting_can_change_at_once() -> None:
    changes: dict[str, Any] = {
        "voice_id": "en-gb",
        "voice_rate": 200,
        "voice_engine": "natural",
        "voice_volume": 2.5,
        "cue_sounds": "both",
        "double_press_ms": 300,
        "hold_ms": 800,
        "long_hold_ms": 2500,
        "debounce_ms": 0,
        "gesture_actions": {"double": "repeat", "hold": "skip"},
        "choice_step_ms": 1500,
        "default_rest_seconds": 45,
        "pace": 0.75,
        "verbosity": "brief",
        "idle_reminder_seconds": 60,
        "idle_pause_seconds": 300,
        "abandon_after_minutes": 60,
        "weekly_goal": 4,
        "pin_hash": "pbkdf2:sha256$abc",
        "open_session_buttons": False,
        "members_start_workouts": True,
        "progression": False,
    }
    settings = parse_settings_changes(changes, BASE)
    expected = dict(changes)
    expected["gesture_actions"] = {
        "press": "next",
        "double": "repeat",
        "hold": "skip",
        "long_hold": "pause",
    }
    assert settings.to_dict() == expected


def test_changes_apply_on_top_of_the_base_and_leave_it_alone() -> None:
    base = parse_settings_changes({"voice_rate": 120, "weekly_goal": 2}, BASE)
    changed = parse_settings_changes({"weekly_goal": None}, base)
    assert (changed.voice_rate, changed.weekly_goal) == (120, None)
    assert base.weekly_goal == 2
    assert parse_settings_changes({}, base) == base


def test_volume_accepts_whole_numbers_at_the_ends() -> None:
    assert parse_settings_changes({"voice_volume": 0}, BASE).voice_volume == 0.0
    assert parse_settings_changes({"voice_volume": 1}, BASE).voice_volume == 1.0
    # Over 100 %: the limiter adds up to +9 dB.
    assert parse_settings_changes({"voice_volume": 2.8}, BASE).voice_volume == 2.8


def test_gesture_actions_cannot_be_changed_through_the_result() -> None:
    settings = parse_settings_changes({"gesture_actions": {"press": "next"}}, BASE)
    with pytest.raises(TypeError):
        settings.gesture_actions["press"] = "end"  # type: ignore[index]
    assert Settings().gesture_actions["press"] == "next"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("voice_rate", 79, "must be a whole number from 80 to 300"),
        ("voice_rate", 301, "must be a whole number from 80 to 300"),
        ("voice_rate", 165.0, "must be a whole number from 80 to 300"),
        ("voice_rate", True, "must be a whole number from 80 to 300"),
        ("voice_volume", 2.9, "must be a number from 0.0 to 2.8"),
        ("voice_volume", -0.1, "must be a number from 0.0 to 2.8"),
        ("voice_volume", float("nan"), "must be a number from 0.0 to 2.8"),
        ("voice_volume", "1", "must be a number from 0.0 to 2.8"),
        ("voice_volume", False, "must be a number from 0.0 to 2.8"),
        ("cue_sounds", "beeps", "must be one of: words, tones, both"),
        ("cue_sounds", None, "must be one of: words, tones, both"),
        ("double_press_ms", 149, "must be a whole number from 150 to 1500"),
        ("hold_ms", 5001, "must be a whole number from 300 to 5000"),
        ("long_hold_ms", 999, "must be a whole number from 1000 to 10000"),
        ("debounce_ms", 201, "must be a whole number from 0 to 200"),
        ("debounce_ms", None, "must be a whole number from 0 to 200"),
        ("default_rest_seconds", 601, "must be a whole number from 0 to 600"),
        ("choice_step_ms", 499, "must be a whole number from 500 to 3000"),
        ("choice_step_ms", 3001, "must be a whole number from 500 to 3000"),
        ("weekly_goal", 0, "must be a whole number from 1 to 14"),
        ("weekly_goal", 15, "must be a whole number from 1 to 14"),
        ("voice_id", "en us", "must be an espeak-ng voice id such as en-us, or empty"),
        ("voice_id", "en;rm -rf", "must be an espeak-ng voice id such as en-us, or empty"),
        ("voice_id", None, "must be an espeak-ng voice id such as en-us, or empty"),
        ("pin_hash", "a\nb", "must be a single line of text"),
        ("pin_hash", 1234, "must be text (put it in quotes)"),
        ("pin_hash", "x" * 513, "must be at most 512 characters (it has 513)"),
        ("gesture_actions", "skip", "must map gestures to actions, e.g. {double: skip}"),
        ("voice_rat", 100, "unknown field (did you mean voice_rate?)"),
    ],
)
def test_each_bad_value_names_its_key(key: str, value: object, message: str) -> None:
    assert errors_of({key: value}) == {key: message}


def test_voice_ids_with_variants_and_families_are_accepted() -> None:
    for voice in ("", "en-us", "gmw/en-GB-x-rp", "en+f3", "mb-en1"):
        assert parse_settings_changes({"voice_id": voice}, BASE).voice_id == voice


def test_gesture_and_action_names_are_checked_per_entry() -> None:
    errors = errors_of({"gesture_actions": {"triple": "next", "hold": "jump", "double": "end"}})
    assert errors == {
        "gesture_actions.triple": "unknown gesture (known: press, double, hold, long_hold)",
        "gesture_actions.hold": "must be one of: "
        "next, back, skip, repeat, pause, resume, end, extend_rest",
    }


def test_some_gesture_must_move_the_workout_on() -> None:
    assert errors_of({"gesture_actions": {"press": "pause"}}) == {
        "gesture_actions": "one gesture must do next"
    }
    moved = parse_settings_changes({"gesture_actions": {"press": "pause", "hold": "next"}}, BASE)
    assert moved.gesture_actions["hold"] == "next"


def test_long_hold_must_be_longer_than_hold() -> None:
    assert errors_of({"long_hold_ms": 1000}) == {
        "long_hold_ms": "long_hold_ms (1000) must be longer than hold_ms (1000)"
    }
    # Raising hold past the stored long hold is reported against the key that was sent.
    assert errors_of({"hold_ms": 4000}) == {
        "hold_ms": "long_hold_ms (3000) must be longer than hold_ms (4000)"
    }
    both = parse_settings_changes({"hold_ms": 4000, "long_hold_ms": 6000}, BASE)
    assert (both.hold_ms, both.long_hold_ms) == (4000, 6000)


def test_all_bad_keys_are_reported_together() -> None:
    errors = errors_of(
        {"voice_rate": 10, "weekly_goal": "3", "colour": "blue", "gesture_actions": {"x": "next"}}
    )
    assert set(errors) == {"voice_rate", "weekly_goal", "colour", "gesture_actions.x"}
    assert errors["colour"].startswith("unknown field (known: voice_id, voice_rate")


@pytest.mark.parametrize("changes", [None, ["voice_rate", 100], "voice_rate=100"])
def test_changes_must_be_a_mapping(changes: object) -> None:
    assert errors_of(changes) == {"settings": "must be a mapping of setting names to values"}
