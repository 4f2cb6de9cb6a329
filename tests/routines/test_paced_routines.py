"""Paced sets and per-side lines in routine documents, and the coaching settings."""

from __future__ import annotations

from typing import Any

import pytest

from routines.errors import RoutineError, SettingsError
from routines.model import TempoPhase
from routines.settings import Settings, parse_settings_changes
from routines.validation import load_library, parse_routine, routine_from_yaml, routine_to_yaml


def paced(**changes: Any) -> dict[str, Any]:
    squat: dict[str, Any] = {
        "name": "Squats",
        "sets": 2,
        "reps": 10,
        "count": "paced",
        "tempo": [
            {"say": "Down", "seconds": 2},
            {"say": "Up", "seconds": 1.5},
        ],
    }
    squat.update(changes)
    return {
        "name": "Legs",
        "exercises": [{"name": "Stretch", "sets": 1, "hold_seconds": 20}, squat],
    }


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(RoutineError) as info:
        parse_routine(data)
    return info.value.errors


def test_a_paced_exercise_keeps_its_tempo_and_round_trips() -> None:
    routine = parse_routine(paced())
    squat = routine.exercises[1]
    assert squat.is_paced
    assert squat.tempo == (TempoPhase("Down", 2.0), TempoPhase("Up", 1.5))
    assert squat.rep_seconds() == 3.5
    assert squat.rep_seconds(pace=1.5) == 5.25
    assert routine_from_yaml(routine_to_yaml(routine)) == routine


def test_the_tempo_error_names_the_phase_and_the_rule() -> None:
    doc = paced()
    doc["exercises"][1]["tempo"].append({"say": "Rest", "seconds": 11})
    assert errors_of(doc) == {"exercises[1].tempo[2].seconds": "must be a number from 0.5 to 10"}


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"tempo": None}, "exercises[1].tempo", "is required with count: paced"),
        ({"count": "per_rep"}, "exercises[1].tempo", "only applies with count: paced"),
        ({"tempo": []}, "exercises[1].tempo", "must be a list of 1 to 6 phases"),
        ({"tempo": [{"say": "Up"}]}, "exercises[1].tempo[0].seconds", "is required"),
        ({"tempo": [{"say": "", "seconds": 1}]}, "exercises[1].tempo[0].say", "must not be blank"),
        ({"tempo": [{"say": "Up", "seconds": True}]}, "exercises[1].tempo[0].seconds", "number"),
        ({"tempo": [{"say": "Up", "seconds": 0.4}]}, "exercises[1].tempo[0].seconds", "0.5"),
        ({"tempo": [{"say": "Up", "secs": 1}]}, "exercises[1].tempo[0].secs", "did you mean"),
        ({"tempo": ["Up"]}, "exercises[1].tempo[0]", "must be a mapping"),
    ],
)
def test_bad_tempos_are_named(changes: dict[str, Any], key: str, message: str) -> None:
    errors = errors_of(paced(**changes))
    assert key in errors, errors
    assert message in errors[key]


def test_side_cues_belong_to_two_sided_exercises() -> None:
    doc = paced(sides="both", side_cues={"left": "Left foot forward.", "right": "Now the right."})
    squat = parse_routine(doc).exercises[1]
    assert squat.side_cue("left") == "Left foot forward."
    assert squat.side_cue("right") == "Now the right."
    assert squat.side_cue(None) is None
    assert errors_of(paced(side_cues={"left": "x"})) == {
        "exercises[1].side_cues": "only applies with sides: both"
    }
    bad = errors_of(paced(sides="both", side_cues={"lefty": "x", "right": 3}))
    assert "did you mean left" in bad["exercises[1].side_cues.lefty"]
    assert bad["exercises[1].side_cues.right"].startswith("must be text")


def test_the_shipped_routine_paces_its_two_floor_moves() -> None:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    by_name = {e.name: e for e in routine.exercises}
    assert by_name["Glute hip thrusts"].is_paced
    assert [p.say for p in by_name["Glute hip thrusts"].tempo] == ["Up", "Squeeze", "Down"]
    assert by_name["Reverse ab curls"].is_paced
    stretch = by_name["Hip flexor wall stretch"]
    assert "left knee down" in (stretch.side_cue("left") or "").lower()
    assert "right knee down" in (stretch.side_cue("right") or "").lower()
    curls = by_name["Isometric banded hamstring curls"]
    assert "right heel" in (curls.side_cue("right") or "")


def test_coaching_settings_have_defaults_and_limits() -> None:
    s = Settings()
    assert (s.pace, s.verbosity) == (1.0, "auto")
    assert (s.idle_reminder_seconds, s.idle_pause_seconds, s.abandon_after_minutes) == (
        120,
        600,
        180,
    )
    changed = parse_settings_changes({"pace": 1.25, "verbosity": "brief"}, s)
    assert (changed.pace, changed.verbosity) == (1.25, "brief")
    with pytest.raises(SettingsError) as info:
        parse_settings_changes({"pace": 2, "verbosity": "chatty", "abandon_after_minutes": 5}, s)
    assert info.value.errors == {
        "pace": "must be a number from 0.75 to 1.5",
        "verbosity": "must be one of: auto, full, brief",
        "abandon_after_minutes": "must be a whole number from 10 to 1440",
    }
    with pytest.raises(SettingsError) as info:
        parse_settings_changes({"idle_pause_seconds": 100}, s)
    assert info.value.errors == {
        "idle_pause_seconds": "idle_pause_seconds (100) must be longer than "
        "idle_reminder_seconds (120)"
    }
