"""Routine documents: what is accepted, and the exact error each bad field earns."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from routines.errors import RoutineError
from routines.model import Exercise, Routine
from routines.validation import parse_routine, routine_from_yaml, routine_to_yaml, slugify
from routines.yaml_io import MAX_DOCUMENT_BYTES

WHOLE_1_200 = "must be a whole number from 1 to 200"


def good() -> dict[str, Any]:
    return {
        "id": "test-routine",
        "name": "Test routine",
        "description": "Two moves.\nSecond line.",
        "sessions_per_week": 2,
        "exercises": [
            {
                "name": "Wall stretch",
                "sets": 2,
                "hold_seconds": 5,
                "sides": "both",
                "first_side": "right",
                "rest_seconds": 0,
                "rest_after_seconds": 10,
                "equipment": ["wall"],
                "setup": ["Stand near the wall."],
                "cues": ["Breathe.", "Relax."],
            },
            {"name": "Curls", "sets": 3, "reps": 10, "count": "per_set"},
        ],
    }


def errors_of(data: object) -> dict[str, str]:
    with pytest.raises(RoutineError) as info:
        parse_routine(data)
    return info.value.errors


def _parent(doc: dict[str, Any], path: tuple[str | int, ...]) -> Any:
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    return target


def with_change(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    doc = good()
    _parent(doc, path)[path[-1]] = value
    return doc


def without(path: tuple[str | int, ...]) -> dict[str, Any]:
    doc = good()
    del _parent(doc, path)[path[-1]]
    return doc


def test_good_document_builds_the_routine() -> None:
    routine = parse_routine(good())
    assert routine.id == "test-routine"
    assert routine.name == "Test routine"
    assert routine.description == "Two moves.\nSecond line."
    assert routine.sessions_per_week == 2
    stretch, curls = routine.exercises
    assert stretch == Exercise(
        name="Wall stretch",
        sets=2,
        hold_seconds=5,
        sides="both",
        first_side="right",
        rest_seconds=0,
        rest_after_seconds=10,
        equipment=("wall",),
        setup=("Stand near the wall.",),
        cues=("Breathe.", "Relax."),
    )
    assert curls == Exercise(name="Curls", sets=3, reps=10, count="per_set")


def test_minimal_document_takes_defaults_and_id_from_name() -> None:
    routine = parse_routine(
        {"name": "  Morning Mobility! ", "exercises": [{"name": "Squat", "sets": 1, "reps": 5}]}
    )
    assert routine.id == "morning-mobility"
    assert routine.name == "Morning Mobility!"
    assert routine.description == ""
    assert routine.sessions_per_week is None
    (squat,) = routine.exercises
    assert (squat.sides, squat.first_side, squat.count) == ("none", "left", "per_rep")
    assert (squat.rest_seconds, squat.rest_after_seconds) == (None, None)
    assert squat.equipment == squat.setup == squat.cues == ()


def test_null_optional_fields_mean_absent() -> None:
    doc = good()
    doc["id"] = None
    doc["sessions_per_week"] = None
    doc["description"] = None
    doc["exercises"][0]["rest_seconds"] = None
    doc["exercises"][0]["equipment"] = None
    routine = parse_routine(doc)
    assert routine.id == "test-routine"
    assert routine.sessions_per_week is None
    assert routine.description == ""
    assert routine.exercises[0].rest_seconds is None
    assert routine.exercises[0].equipment == ()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Lower-back relief", "lower-back-relief"),
        ("Crème brûlée  core", "creme-brulee-core"),
        ("--Hello__World--", "hello-world"),
        ("Übung 2", "ubung-2"),
        ("日本", "routine"),
        ("!!!", "routine"),
        ("a" * 100, "a" * 64),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert len(slug) <= 64


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (
            ("id",),
            "Lower Back",
            "id",
            "must be 1 to 64 lower-case letters, digits and dashes, not starting with a dash",
        ),
        (
            ("id",),
            "-back",
            "id",
            "must be 1 to 64 lower-case letters, digits and dashes, not starting with a dash",
        ),
        (
            ("id",),
            "a" * 65,
            "id",
            "must be 1 to 64 lower-case letters, digits and dashes, not starting with a dash",
        ),
        (
            ("id",),
            12,
            "id",
            "must be 1 to 64 lower-case letters, digits and dashes, not starting with a dash",
        ),
        (("name",), "   ", "name", "must not be blank"),
        (("name",), "x" * 81, "name", "must be at most 80 characters (it has 81)"),
        (("name",), 42, "name", "must be text (put it in quotes)"),
        (("name",), "two\nlines", "name", "must be a single line of text"),
        (
            ("description",),
            "d" * 2001,
            "description",
            "must be at most 2000 characters (it has 2001)",
        ),
        (("sessions_per_week",), 0, "sessions_per_week", "must be a whole number from 1 to 14"),
        (("sessions_per_week",), 15, "sessions_per_week", "must be a whole number from 1 to 14"),
        (("sessions_per_week",), True, "sessions_per_week", "must be a whole number from 1 to 14"),
        (("exercises",), [], "exercises", "must be a list of 1 to 40 exercises"),
        (("exercises",), {"name": "x"}, "exercises", "must be a list of 1 to 40 exercises"),
        (
            ("exercises", 1),
            "Curls",
            "exercises[1]",
            "must be a mapping of fields such as name, sets and reps",
        ),
        (("exercises", 1, "name"), "", "exercises[1].name", "must not be blank"),
        (("exercises", 1, "sets"), 0, "exercises[1].sets", "must be a whole number from 1 to 20"),
        (("exercises", 1, "sets"), 21, "exercises[1].sets", "must be a whole number from 1 to 20"),
        (("exercises", 1, "reps"), 201, "exercises[1].reps", WHOLE_1_200),
        (("exercises", 1, "reps"), 0, "exercises[1].reps", WHOLE_1_200),
        (("exercises", 1, "reps"), 10.0, "exercises[1].reps", WHOLE_1_200),
        (("exercises", 1, "reps"), "10", "exercises[1].reps", WHOLE_1_200),
        (("exercises", 1, "reps"), True, "exercises[1].reps", WHOLE_1_200),
        (
            ("exercises", 0, "hold_seconds"),
            601,
            "exercises[0].hold_seconds",
            "must be a whole number from 1 to 600",
        ),
        (("exercises", 0, "sides"), "left", "exercises[0].sides", "must be one of: none, both"),
        (
            ("exercises", 0, "first_side"),
            "up",
            "exercises[0].first_side",
            "must be one of: left, right",
        ),
        (
            ("exercises", 0, "rest_seconds"),
            -1,
            "exercises[0].rest_seconds",
            "must be a whole number from 0 to 600",
        ),
        (
            ("exercises", 0, "rest_after_seconds"),
            601,
            "exercises[0].rest_after_seconds",
            "must be a whole number from 0 to 600",
        ),
        (
            ("exercises", 0, "equipment"),
            "wall",
            "exercises[0].equipment",
            "must be a list, even with one item, e.g. [yoga mat, wall]",
        ),
        (
            ("exercises", 0, "setup"),
            ["ok"] * 21,
            "exercises[0].setup",
            "must have at most 20 items (it has 21)",
        ),
        (("exercises", 0, "cues", 1), " ", "exercises[0].cues[1]", "must not be blank"),
        (
            ("exercises", 0, "cues", 1),
            "c" * 301,
            "exercises[0].cues[1]",
            "must be at most 300 characters (it has 301)",
        ),
        (("exercises", 0, "setup", 0), ["nested"], "exercises[0].setup[0]", "must be text"),
        (
            ("exercises", 1, "count"),
            "per_minute",
            "exercises[1].count",
            "must be one of: per_rep, per_set, paced",
        ),
        (
            ("exercises", 0, "count"),
            "per_rep",
            "exercises[0].count",
            "only applies to exercises with reps",
        ),
        (
            ("exercises", 0, "reps"),
            5,
            "exercises[0].hold_seconds",
            "cannot be given together with reps: choose one",
        ),
        (
            ("exercises", 1, "first_side"),
            "left",
            "exercises[1].first_side",
            "only applies with sides: both",
        ),
        (
            ("exercises", 1, "rest_second"),
            3,
            "exercises[1].rest_second",
            "unknown field (did you mean rest_seconds?)",
        ),
        (
            ("sesions_per_week",),
            3,
            "sesions_per_week",
            "unknown field (did you mean sessions_per_week?)",
        ),
    ],
)
def test_each_bad_field_is_named_with_its_rule(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    assert errors_of(with_change(path, value)) == {field: message}


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        (("name",), "name", "is required"),
        (("exercises",), "exercises", "is required"),
        (("exercises", 0, "name"), "exercises[0].name", "is required"),
        (("exercises", 1, "sets"), "exercises[1].sets", "is required"),
        (
            ("exercises", 1, "reps"),
            "exercises[1].reps",
            "is required (or give hold_seconds for a timed hold)",
        ),
    ],
)
def test_missing_required_fields(path: tuple[str | int, ...], field: str, message: str) -> None:
    assert errors_of(without(path)) == {field: message}


def test_unknown_field_without_a_close_match_lists_the_known_ones() -> None:
    errors = errors_of(with_change(("colour",), "red"))
    assert errors == {
        "colour": "unknown field "
        "(known: id, name, description, sessions_per_week, checkin, exercises)"
    }


def test_checkin_is_none_or_pain() -> None:
    assert parse_routine(with_change(("checkin",), "pain")).checkin == "pain"
    assert errors_of(with_change(("checkin",), "mood")) == {"checkin": "must be one of: none, pain"}
    routine = parse_routine(with_change(("checkin",), "pain"))
    assert parse_routine(routine.to_dict()) == routine


def test_non_text_keys_are_unknown_fields() -> None:
    errors = errors_of(with_change(("exercises", 1, 7), "x"))
    assert list(errors) == ["exercises[1].7"]
    assert errors["exercises[1].7"].startswith("unknown field")


@pytest.mark.parametrize("data", [None, [], "name: x", 3])
def test_top_level_must_be_a_mapping(data: object) -> None:
    assert errors_of(data) == {"routine": "must be a mapping of fields such as name and exercises"}


def test_too_many_exercises() -> None:
    doc = good()
    doc["exercises"] = [copy.deepcopy(doc["exercises"][1]) for _ in range(41)]
    assert errors_of(doc) == {"exercises": "must be a list of 1 to 40 exercises"}
    doc["exercises"] = doc["exercises"][:40]
    assert len(parse_routine(doc).exercises) == 40


def test_all_errors_are_reported_at_once() -> None:
    doc = good()
    doc["name"] = ""
    doc["sessions_per_week"] = 99
    doc["exercises"][0]["sets"] = "three"
    doc["exercises"][0]["setup"] = ["fine", ""]
    doc["exercises"][1]["reps"] = 1.5
    doc["exercises"][1]["rest_second"] = 3
    doc["exercises"].append({"reps": 5})
    errors = errors_of(doc)
    assert errors == {
        "name": "must not be blank",
        "sessions_per_week": "must be a whole number from 1 to 14",
        "exercises[0].sets": "must be a whole number from 1 to 20",
        "exercises[0].setup[1]": "must not be blank",
        "exercises[1].rest_second": "unknown field (did you mean rest_seconds?)",
        "exercises[1].reps": WHOLE_1_200,
        "exercises[2].name": "is required",
        "exercises[2].sets": "is required",
    }


def test_error_message_names_source_and_every_field() -> None:
    doc = with_change(("exercises", 1, "reps"), 0)
    doc["name"] = ""
    with pytest.raises(RoutineError) as info:
        parse_routine(doc, source="mine.yaml")
    assert str(info.value).splitlines() == [
        "mine.yaml: name: must not be blank",
        f"mine.yaml: exercises[1].reps: {WHOLE_1_200}",
    ]
    assert isinstance(info.value, ValueError)


def test_yaml_round_trip_gives_an_equal_routine() -> None:
    routine = parse_routine(good())
    text = routine_to_yaml(routine)
    assert routine_from_yaml(text) == routine
    assert routine_from_yaml(text.encode()) == routine
    # The file is the documented shape, not a Python object dump.
    assert yaml.safe_load(text) == routine.to_dict()


def test_round_trip_keeps_text_that_yaml_would_otherwise_retype() -> None:
    routine = Routine(
        id="tricky",
        name="yes",
        description="null",
        exercises=(
            Exercise(
                name="10", sets=1, reps=1, equipment=("on", "1.5"), cues=("#not a comment", "a: b")
            ),
        ),
    )
    assert routine_from_yaml(routine_to_yaml(routine)) == routine


def test_yaml_example_from_the_routine_format() -> None:
    text = """
id: lower-back
name: Lower-back relief
sessions_per_week: 3
exercises:
  - name: Hip flexor wall stretch
    sets: 3
    hold_seconds: 30
    sides: both
    first_side: left
    rest_seconds: 15
    equipment: [yoga mat, wall]
    setup: ["Kneel.", "Stand tall."]
    cues: ["Breathe."]
  - name: Reverse ab curls
    sets: 3
    reps: 10
    count: per_rep
"""
    routine = routine_from_yaml(text)
    assert [e.name for e in routine.exercises] == ["Hip flexor wall stretch", "Reverse ab curls"]
    assert routine.exercises[0].equipment == ("yoga mat", "wall")


def yaml_errors(text: str | bytes) -> dict[str, str]:
    with pytest.raises(RoutineError) as info:
        routine_from_yaml(text, source="r.yaml")
    assert info.value.source == "r.yaml"
    return info.value.errors


def test_yaml_syntax_error_names_the_line() -> None:
    errors = yaml_errors("name: Fine\nexercises:\n  - name: [unclosed\n    sets: 3\n")
    assert list(errors) == ["file"]
    assert errors["file"].startswith("line 4, column")


def test_yaml_tab_indent_error_names_the_line() -> None:
    errors = yaml_errors("name: x\nexercises:\n\t- name: y\n")
    assert errors["file"].startswith("line 3, column 1:")


def test_a_key_given_twice_is_an_error_with_its_line() -> None:
    errors = yaml_errors(
        "name: A\nexercises:\n  - name: B\n    sets: 2\n    sets: 3\n    reps: 4\n"
    )
    assert errors == {"file": "line 5, column 5: the key 'sets' is given twice"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("# only a comment\n", "is empty"),
        (b"name: \xff\xfe", "is not UTF-8 text (bad byte at offset 6)"),
        ("[" * 50_000, "is nested too deeply"),
    ],
)
def test_unreadable_documents(text: str | bytes, message: str) -> None:
    assert yaml_errors(text) == {"file": message}


def test_top_level_list_in_yaml_is_rejected() -> None:
    assert yaml_errors("- name: x\n") == {
        "routine": "must be a mapping of fields such as name and exercises"
    }


def test_huge_documents_are_refused_before_parsing() -> None:
    body = "name: x\ndescription: " + "a" * MAX_DOCUMENT_BYTES + "\n"
    errors = yaml_errors(body)
    assert list(errors) == ["file"]
    assert errors["file"].startswith("is too large")


def test_python_tags_are_never_executed() -> None:
    errors = yaml_errors("name: !!python/object/apply:os.system ['echo hi']\nexercises: []\n")
    assert list(errors) == ["file"]
    assert "could not determine a constructor" in errors["file"]


def test_byte_order_mark_is_accepted() -> None:
    text = "\ufeffname: A\nexercises: [{name: B, sets: 1, reps: 1}]\n"
    assert routine_from_yaml(text.encode("utf-8")).name == "A"


def test_checkin_names_its_body_part_and_round_trips() -> None:
    routine = parse_routine(with_change(("checkin",), {"kind": "pain", "area": " lower  back "}))
    assert (routine.checkin, routine.checkin_area) == ("pain", "lower back")
    knee = parse_routine(with_change(("checkin",), {"kind": "pain", "area": "knee"}))
    assert routine_from_yaml(routine_to_yaml(knee)) == knee
    assert "area: knee" in routine_to_yaml(knee)
    # The plain form still means the back, and is written back the same way.
    plain = parse_routine(with_change(("checkin",), "pain"))
    assert plain.checkin_area == "back"
    assert plain.to_dict()["checkin"] == "pain"
    assert parse_routine(with_change(("checkin",), {"kind": "pain"})).checkin_area == "back"


@pytest.mark.parametrize(
    ("checkin", "field", "message"),
    [
        ({"kind": "pain", "area": ""}, "checkin.area", "must not be blank"),
        ({"kind": "pain", "area": "k" * 31}, "checkin.area", "at most 30 characters"),
        ({"kind": "pain", "area": "knee, hip"}, "checkin.area", "at most 4 words of letters"),
        ({"kind": "pain", "area": "a b c d e"}, "checkin.area", "at most 4 words of letters"),
        ({"kind": "pain", "area": "your knee"}, "checkin.area", "leave out 'your'"),
        ({"kind": "pain", "area": 3}, "checkin.area", "must be text"),
        ({"kind": "none", "area": "knee"}, "checkin.area", "only applies with kind: pain"),
        ({"kind": "ache", "area": "knee"}, "checkin.kind", "must be one of: none, pain"),
        ({"area": "knee"}, "checkin.kind", "is required"),
        ({"kind": "pain", "part": "knee"}, "checkin.part", "unknown field"),
    ],
)
def test_a_bad_checkin_names_its_field(checkin: object, field: str, message: str) -> None:
    errors = errors_of(with_change(("checkin",), checkin))
    assert list(errors) == [field]
    assert message in errors[field]
