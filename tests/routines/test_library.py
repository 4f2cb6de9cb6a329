"""The shipped library: the lower-back routine validates and carries the right doses."""

from __future__ import annotations

from importlib import resources

from routines.model import Routine
from routines.validation import load_library, routine_from_yaml, routine_to_yaml


def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    return routine


def test_library_holds_the_lower_back_routine() -> None:
    routines = load_library()
    assert [r.id for r in routines] == ["lower-back"]
    routine = routines[0]
    assert routine.name == "Lower-back relief"
    assert routine.sessions_per_week == 3
    assert routine.description
    # It exists to relieve back pain: it asks how the back feels before and after.
    assert routine.checkin == "pain"


def test_the_four_exercises_in_order_with_their_doses() -> None:
    doses = [
        (e.name, e.sets, e.reps, e.hold_seconds, e.sides, e.count) for e in lower_back().exercises
    ]
    assert doses == [
        ("Hip flexor wall stretch", 3, None, 30, "both", "per_rep"),
        ("Reverse ab curls", 3, 10, None, "none", "paced"),
        ("Glute hip thrusts", 3, 10, None, "none", "paced"),
        ("Isometric banded hamstring curls", 3, 10, None, "both", "per_rep"),
    ]


def test_sided_moves_start_on_the_left() -> None:
    stretch, _, _, hamstrings = lower_back().exercises
    assert stretch.side_sequence == ("left", "right")
    assert hamstrings.side_sequence == ("left", "right")


def test_every_exercise_has_equipment_setup_cues_and_rests() -> None:
    for exercise in lower_back().exercises:
        assert exercise.equipment, exercise.name
        assert exercise.setup, exercise.name
        assert exercise.cues, exercise.name
        assert exercise.rest_seconds is not None and 15 <= exercise.rest_seconds <= 30
    for exercise in lower_back().exercises[:-1]:
        assert exercise.rest_after(30) >= 45


def test_barbell_is_optional_for_hip_thrusts() -> None:
    thrusts = lower_back().exercises[2]
    assert "barbell (optional)" in thrusts.equipment
    assert any("barbell" in line for line in thrusts.setup)


def test_spoken_lines_are_short_sentences() -> None:
    for exercise in lower_back().exercises:
        for line in exercise.setup + exercise.cues + tuple(t for _, t in exercise.side_cues):
            assert line.endswith("."), line
            assert len(line) <= 120, line


def test_shipped_file_round_trips() -> None:
    text = resources.files("routines.library").joinpath("lower-back.yaml").read_text()
    routine = routine_from_yaml(text)
    assert routine_from_yaml(routine_to_yaml(routine)) == routine == lower_back()
