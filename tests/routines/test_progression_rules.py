"""A routine's ``progression`` blocks: what is accepted, each bad field's exact error, the
round trip, and a person's doses laid over the routine file."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from routines.errors import RoutineError
from routines.model import (
    Dose,
    PainRule,
    PersonalDose,
    Progression,
    ProgressionStep,
)
from routines.validation import parse_routine, routine_from_yaml, routine_to_yaml

RULES = """
id: small
name: Small
checkin: pain
exercises:
  - name: Stretch
    sets: 2
    hold_seconds: 30
    progression:
      every: 3
      steps:
        - {hold_seconds: +5, up_to: 45}
        - {sets: +1, up_to: 3}
      pain: {good_if_after_at_most: 3, step_back_after_bad: 2}
  - name: Curls
    sets: 3
    reps: 10
    progression:
      every: 2
      steps: [{reps: 2, up_to: 14}]
"""


def doc() -> dict[str, Any]:
    return {
        "name": "Small",
        "exercises": [
            {"name": "Stretch", "sets": 2, "hold_seconds": 30},
            {"name": "Curls", "sets": 3, "reps": 10},
            {
                "name": "Bridge",
                "sets": 3,
                "reps": 10,
                "progression": {"every": 3, "steps": [{"reps": 2, "up_to": 15}]},
            },
        ],
    }


def errors_with(progression: object, index: int = 2) -> dict[str, str]:
    data = copy.deepcopy(doc())
    data["exercises"][index]["progression"] = progression
    with pytest.raises(RoutineError) as info:
        parse_routine(data)
    return info.value.errors


def test_a_progression_block_is_read_with_its_defaults_and_written_back() -> None:
    routine = routine_from_yaml(RULES)
    stretch, curls = routine.exercises
    assert stretch.progression == Progression(
        every=3,
        steps=(ProgressionStep("hold_seconds", 5, 45), ProgressionStep("sets", 1, 3)),
        pain=PainRule(good_if_after_at_most=3, step_back_after_bad=2, worse_by=2),
    )
    assert curls.progression is not None and curls.progression.pain == PainRule()
    assert routine_from_yaml(routine_to_yaml(routine)) == routine


@pytest.mark.parametrize(
    ("progression", "field", "message"),
    [
        ({"steps": [{"reps": 2, "up_to": 15}]}, "every", "is required"),
        ({"every": 0, "steps": [{"reps": 2, "up_to": 15}]}, "every", "from 1 to 20"),
        ({"every": 3, "steps": []}, "steps", "list of 1 to 6 steps"),
        ({"every": 3, "steps": [{"reps": 2}]}, "steps[0].up_to", "is required"),
        ({"every": 3, "steps": [{"reps": 2, "up_to": 10}]}, "steps[0].up_to", "from 11 to 200"),
        ({"every": 3, "steps": [{"reps": 2, "up_to": 201}]}, "steps[0].up_to", "from 11 to 200"),
        ({"every": 3, "steps": [{"reps": 0, "up_to": 15}]}, "steps[0].reps", "from 1 to 10"),
        ({"every": 3, "steps": [{"reps": 11, "up_to": 30}]}, "steps[0].reps", "from 1 to 10"),
        (
            {"every": 3, "steps": [{"hold_seconds": 5, "up_to": 45}]},
            "steps[0].hold_seconds",
            "this exercise has reps",
        ),
        ({"every": 3, "steps": [{"up_to": 15}]}, "steps[0]", "exactly one of"),
        ({"every": 3, "steps": [{"reps": 1, "sets": 1, "up_to": 4}]}, "steps[0]", "exactly one"),
        (
            {"every": 3, "steps": [{"reps": 2, "up_to": 15}, {"reps": 1, "up_to": 20}]},
            "steps[1].reps",
            "already grows in",
        ),
        (
            {"every": 3, "steps": [{"reps": 2, "up_to": 15, "upto": 3}]},
            "steps[0].upto",
            "unknown field (did you mean up_to?)",
        ),
        (
            {"every": 3, "steps": [{"reps": 2, "up_to": 15}], "pain": {"worse_by": 0}},
            "pain.worse_by",
            "from 1 to 10",
        ),
        (
            {"every": 3, "steps": [{"reps": 2, "up_to": 15}], "pain": {"good": 1}},
            "pain.good",
            "unknown field",
        ),
        ({"every": 3, "steps": [{"reps": 2, "up_to": 15}], "often": 1}, "often", "unknown"),
        ("every third time", "", "must be a mapping"),
    ],
)
def test_each_bad_field_of_a_progression_is_named(
    progression: object, field: str, message: str
) -> None:
    path = "exercises[2].progression" + (f".{field}" if field else "")
    errors = errors_with(progression)
    assert path in errors, errors
    assert message in errors[path]


def test_a_hold_grows_its_hold_not_reps() -> None:
    errors = errors_with({"every": 2, "steps": [{"reps": 2, "up_to": 15}]}, index=0)
    assert "has a hold" in errors["exercises[0].progression.steps[0].reps"]


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_with({"every": 99, "steps": [{"sets": 1, "up_to": 2}, {"reps": 2}]})
    assert set(errors) == {
        "exercises[2].progression.every",
        "exercises[2].progression.steps[0].up_to",
        "exercises[2].progression.steps[1].up_to",
    }


def test_rules_need_a_name_no_other_exercise_has() -> None:
    data = doc()
    data["exercises"][1]["name"] = "Bridge"
    with pytest.raises(RoutineError) as info:
        parse_routine(data)
    assert "no other exercise" in info.value.errors["exercises[2].progression"]


def test_a_person_does_the_routine_at_their_dose_only_while_it_is_sane() -> None:
    routine = routine_from_yaml(RULES)
    stretch = routine.exercises[0]
    mine = {"Stretch": PersonalDose("Stretch", Dose(3, None, 40), stretch.dose)}
    at_dose = routine.at_doses(mine)
    assert (at_dose.exercises[0].sets, at_dose.exercises[0].hold_seconds) == (3, 40)
    assert at_dose.exercises[1] == routine.exercises[1]
    assert routine.exercises[0].hold_seconds == 30  # the file's routine is unchanged

    # The file's starting dose was edited: the person starts again from it.
    moved = {"Stretch": PersonalDose("Stretch", Dose(3, None, 40), Dose(2, None, 25))}
    assert routine.at_doses(moved) == routine
    # A dose of the wrong kind, or for an exercise gone, is ignored.
    wrong = {"Stretch": PersonalDose("Stretch", Dose(3, 12, None), stretch.dose)}
    gone = {"Lunge": PersonalDose("Lunge", Dose(3, 12, None), Dose(3, 10, None))}
    assert routine.at_doses(wrong) == routine
    assert routine.at_doses(gone) == routine
    # A lowered ceiling caps the dose.
    high = {"Stretch": PersonalDose("Stretch", Dose(9, None, 90), stretch.dose)}
    capped = routine.at_doses(high).exercises[0]
    assert (capped.sets, capped.hold_seconds) == (3, 45)
