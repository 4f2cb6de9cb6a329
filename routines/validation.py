"""Turning untrusted routine documents (YAML files, web forms) into valid ``Routine`` objects.

Rules worth knowing when writing a routine file:
- Numbers are whole numbers written as such: ``10``, never ``10.0``, ``"10"`` or ``yes``.
- ``equipment``, ``setup`` and ``cues`` are lists, even with one item (``[yoga mat]``):
  a bare string is refused because ``yoga mat, wall`` would silently become one item.
- ``first_side``, ``side_order`` and ``side_cues`` only go with ``sides: both``;
  ``count`` only goes with ``reps``.
- ``count: paced`` needs a ``tempo``: the phases of one rep, each ``{say: Up, seconds: 2}``;
  a tempo goes with nothing else.
- ``checkin: pain`` asks about the back; ``checkin: {kind: pain, area: knee}`` names
  the body part, which every question and answer of the check-in then uses.
- ``progression`` says how a person's dose may grow (``routines.progression_rules``).
- Unknown fields are errors, so a typo never silently drops a setting.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Final, cast

from routines.checkin_rules import parse_checkin
from routines.errors import RoutineError
from routines.fields import Problems, at
from routines.model import (
    CheckinMode,
    CountMode,
    DoseField,
    Exercise,
    Routine,
    Side,
    SideOrder,
    SidesMode,
    TempoPhase,
)
from routines.progression_rules import parse_progression
from routines.yaml_io import dump_document, load_document

ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MAX_NAME = 80
MAX_DESCRIPTION = 2000
MAX_EXERCISES = 40
# What the store already holds was checked against the limits of its day (50 exercises,
# no size caps): it always loads, so an upgrade never hides a routine someone made.
MAX_STORED_EXERCISES = 50
# A routine as saved (its JSON) may take this much: a hundred of them stay a few MB.
MAX_ROUTINE_BYTES = 32 * 1024
# Reps counted in a whole workout (reps x sets x sides, summed): a long session holds a
# few hundred. Each is a spoken line to preview and a press to wait for.
MAX_COUNTED_REPS = 3000
MAX_LIST_ITEMS = 20
MAX_LIST_ITEM = 300

ROUTINE_FIELDS: Final = (
    "id",
    "name",
    "description",
    "sessions_per_week",
    "checkin",
    "exercises",
)
EXERCISE_FIELDS: Final = (
    "name",
    "sets",
    "reps",
    "hold_seconds",
    "sides",
    "first_side",
    "rest_seconds",
    "rest_after_seconds",
    "equipment",
    "setup",
    "cues",
    "count",
    "tempo",
    "side_cues",
    "side_order",
    "progression",
)
TEMPO_FIELDS: Final = ("say", "seconds")
SIDES: Final = ("none", "both")
SIDE_ORDERS: Final = ("alternate", "one_side_first")
FIRST_SIDES: Final[tuple[Side, ...]] = ("left", "right")
COUNT_MODES: Final = ("per_rep", "per_set", "paced")
MAX_TEMPO_PHASES = 6
MAX_PHASE_WORDS = 40
PHASE_SECONDS: Final = (0.5, 10)


def slugify(name: str) -> str:
    """A routine id made from a name: lower-case ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:64].rstrip("-")
    # A name in another script leaves nothing behind; the store makes it unique.
    return slug or "routine"


def parse_routine(data: object, *, source: str | None = None, caps: bool = True) -> Routine:
    """Check a routine document (plain data) and build the routine; ``RoutineError`` lists
    every problem found, keyed by field path. ``caps=False`` reads a routine already stored:
    the limits on size that new routines meet are not applied to it again."""
    problems = Problems()
    if not isinstance(data, Mapping):
        problems.add("routine", "must be a mapping of fields such as name and exercises")
        raise RoutineError(problems.errors, source=source)
    data = cast(Mapping[object, object], data)
    problems.unknown_fields("", data, ROUTINE_FIELDS)

    name = _required(problems, data, "", "name")
    name = None if name is None else problems.text("name", name, MAX_NAME)
    routine_id = _routine_id(problems, data.get("id"), name)
    description = data.get("description")
    if description is not None:
        description = problems.text("description", description, MAX_DESCRIPTION, one_line=False)
    goal = data.get("sessions_per_week")
    if goal is not None:
        goal = problems.whole_number("sessions_per_week", goal, 1, 14)
    checkin, area = parse_checkin(problems, data.get("checkin", "none"))
    exercises = _exercises(problems, data, MAX_EXERCISES if caps else MAX_STORED_EXERCISES)

    if problems.errors:
        raise RoutineError(problems.errors, source=source)
    assert routine_id is not None and name is not None and exercises is not None
    routine = Routine(
        id=routine_id,
        name=name,
        exercises=exercises,
        description=description or "",
        sessions_per_week=goal,
        checkin=cast(CheckinMode, checkin),
        checkin_area=area,
    )
    counted = sum(e.sets * (e.reps or 0) * len(e.side_sequence) for e in exercises)
    if caps and counted > MAX_COUNTED_REPS:
        problems.add(
            "exercises",
            f"together may count at most {MAX_COUNTED_REPS} reps (reps x sets x sides); "
            f"these count {counted}",
        )
        raise RoutineError(problems.errors, source=source)
    size = len(json.dumps(routine.to_dict(), ensure_ascii=False).encode())
    if caps and size > MAX_ROUTINE_BYTES:
        problems.add(
            "exercises",
            f"make the routine shorter: it may take at most {MAX_ROUTINE_BYTES // 1024} KB "
            f"once saved and takes {(size + 1023) // 1024} KB (shorten setup and cues, "
            f"or use fewer exercises)",
        )
        raise RoutineError(problems.errors, source=source)
    return routine


def routine_from_yaml(text: str | bytes, *, source: str | None = None) -> Routine:
    """Parse and check a routine file; syntax errors name the line under field ``file``."""
    return parse_routine(load_document(text, error=RoutineError, source=source), source=source)


def routine_to_yaml(routine: Routine) -> str:
    """The routine as a routine file that ``routine_from_yaml`` reads back to an equal routine."""
    return dump_document(routine.to_dict())


def load_library() -> list[Routine]:
    """The routines shipped in ``routines/library/*.yaml``, ordered by file name."""
    from importlib import resources

    folder = resources.files("routines.library")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return [routine_from_yaml(f.read_bytes(), source=f"library/{f.name}") for f in files]


def _required(problems: Problems, data: Mapping[object, object], prefix: str, key: str) -> object:
    value = data.get(key)
    if value is None:
        problems.add(at(prefix, key), "is required")
    return value


def _routine_id(problems: Problems, value: object, name: str | None) -> str | None:
    if value is None:
        return None if name is None else slugify(name)
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        problems.add(
            "id",
            "must be 1 to 64 lower-case letters, digits and dashes, not starting with a dash",
        )
        return None
    return value


def _exercises(
    problems: Problems, data: Mapping[object, object], most: int
) -> tuple[Exercise, ...] | None:
    items = _required(problems, data, "", "exercises")
    if items is None:
        return None
    if not isinstance(items, list) or not 1 <= len(items) <= most:
        problems.add("exercises", f"must be a list of 1 to {most} exercises")
        return None
    names = [item.get("name") for item in items if isinstance(item, Mapping)]
    parsed = [_exercise(problems, f"exercises[{i}]", item, names) for i, item in enumerate(items)]
    if any(e is None for e in parsed):
        return None
    return tuple(e for e in parsed if e is not None)


def _exercise(problems: Problems, path: str, data: object, names: list[object]) -> Exercise | None:
    before = len(problems.errors)
    if not isinstance(data, Mapping):
        problems.add(path, "must be a mapping of fields such as name, sets and reps")
        return None
    data = cast(Mapping[object, object], data)
    problems.unknown_fields(path, data, EXERCISE_FIELDS)

    name = _required(problems, data, path, "name")
    name = None if name is None else problems.text(at(path, "name"), name, MAX_NAME)
    sets = _required(problems, data, path, "sets")
    sets = None if sets is None else problems.whole_number(at(path, "sets"), sets, 1, 20)

    reps, hold = data.get("reps"), data.get("hold_seconds")
    if reps is None and hold is None:
        problems.add(at(path, "reps"), "is required (or give hold_seconds for a timed hold)")
    elif reps is not None and hold is not None:
        problems.add(at(path, "hold_seconds"), "cannot be given together with reps: choose one")
    elif reps is not None:
        reps = problems.whole_number(at(path, "reps"), reps, 1, 200)
    else:
        hold = problems.whole_number(at(path, "hold_seconds"), hold, 1, 600)

    sides = _optional_choice(problems, data, path, "sides", SIDES, "none")
    first_side = data.get("first_side")
    if first_side is not None:
        if sides == "none":
            problems.add(at(path, "first_side"), "only applies with sides: both")
        first_side = problems.choice(at(path, "first_side"), first_side, FIRST_SIDES)
    side_order = data.get("side_order")
    if side_order is not None:
        if sides == "none":
            problems.add(at(path, "side_order"), "only applies with sides: both")
        side_order = problems.choice(at(path, "side_order"), side_order, SIDE_ORDERS)
    count = data.get("count")
    if count is not None:
        # Without reps or hold_seconds the missing reps already explain the problem.
        if data.get("reps") is None and data.get("hold_seconds") is not None:
            problems.add(at(path, "count"), "only applies to exercises with reps")
        count = problems.choice(at(path, "count"), count, COUNT_MODES)
    tempo = _tempo(problems, data, path, paced=count == "paced")
    side_cues = _side_cues(problems, data, path, both=sides == "both")

    rests = {
        key: _optional_whole(problems, data, path, key, 0, 600)
        for key in ("rest_seconds", "rest_after_seconds")
    }
    lists = {key: _text_list(problems, data, path, key) for key in ("equipment", "setup", "cues")}
    progression = None
    if data.get("progression") is not None and len(problems.errors) == before:
        start = {"sets": sets, "reps": reps, "hold_seconds": hold}
        progression = parse_progression(
            problems,
            at(path, "progression"),
            data["progression"],
            start=cast(dict[DoseField, int | None], start),
            name_shared=names.count(data.get("name")) > 1,
        )

    if len(problems.errors) > before:
        return None
    assert name is not None and sets is not None
    return Exercise(
        name=name,
        sets=sets,
        reps=cast(int | None, reps),
        hold_seconds=cast(int | None, hold),
        sides=cast(SidesMode, sides),
        first_side=cast(Side, first_side or "left"),
        side_order=cast(SideOrder, side_order or "alternate"),
        rest_seconds=rests["rest_seconds"],
        rest_after_seconds=rests["rest_after_seconds"],
        equipment=lists["equipment"],
        setup=lists["setup"],
        cues=lists["cues"],
        count=cast(CountMode, count or "per_rep"),
        tempo=tempo,
        side_cues=side_cues,
        progression=progression,
    )


def _side_cues(
    problems: Problems, data: Mapping[object, object], prefix: str, *, both: bool
) -> tuple[tuple[Side, str], ...]:
    path = at(prefix, "side_cues")
    items = data.get("side_cues")
    if items is None:
        return ()
    if not both:
        problems.add(path, "only applies with sides: both")
        return ()
    if not isinstance(items, Mapping):
        problems.add(path, "must map a side to its line, e.g. {left: Left knee down.}")
        return ()
    items = cast(Mapping[object, object], items)
    problems.unknown_fields(path, items, FIRST_SIDES)
    cues: list[tuple[Side, str]] = []
    for side in FIRST_SIDES:
        if side in items:
            text = problems.text(at(path, side), items[side], MAX_LIST_ITEM)
            if text is not None:
                cues.append((side, text))
    return tuple(cues)


def _tempo(
    problems: Problems, data: Mapping[object, object], prefix: str, *, paced: bool
) -> tuple[TempoPhase, ...]:
    path = at(prefix, "tempo")
    items = data.get("tempo")
    if items is None:
        if paced:
            problems.add(path, "is required with count: paced (the phases of one rep)")
        return ()
    if not paced:
        problems.add(path, "only applies with count: paced")
        return ()
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TEMPO_PHASES:
        problems.add(
            path,
            f"must be a list of 1 to {MAX_TEMPO_PHASES} phases, e.g. [{{say: Up, seconds: 2}}]",
        )
        return ()
    phases: list[TempoPhase] = []
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            problems.add(where, "must be a mapping with say and seconds")
            continue
        item = cast(Mapping[object, object], item)
        problems.unknown_fields(where, item, TEMPO_FIELDS)
        say = _required(problems, item, where, "say")
        say = None if say is None else problems.text(at(where, "say"), say, MAX_PHASE_WORDS)
        seconds = _required(problems, item, where, "seconds")
        low, high = PHASE_SECONDS
        seconds = (
            None if seconds is None else problems.number(at(where, "seconds"), seconds, low, high)
        )
        if say is not None and seconds is not None:
            phases.append(TempoPhase(say, seconds))
    return tuple(phases)


def _optional_choice(
    problems: Problems,
    data: Mapping[object, object],
    prefix: str,
    key: str,
    options: tuple[str, ...],
    default: str,
) -> str | None:
    value = data.get(key)
    return default if value is None else problems.choice(at(prefix, key), value, options)


def _optional_whole(
    problems: Problems, data: Mapping[object, object], prefix: str, key: str, low: int, high: int
) -> int | None:
    value = data.get(key)
    return None if value is None else problems.whole_number(at(prefix, key), value, low, high)


def _text_list(
    problems: Problems, data: Mapping[object, object], prefix: str, key: str
) -> tuple[str, ...]:
    path = at(prefix, key)
    items = data.get(key)
    if items is None:
        return ()
    if not isinstance(items, list):
        problems.add(path, "must be a list, even with one item, e.g. [yoga mat, wall]")
        return ()
    if len(items) > MAX_LIST_ITEMS:
        problems.add(path, f"must have at most {MAX_LIST_ITEMS} items (it has {len(items)})")
        return ()
    texts = [problems.text(f"{path}[{i}]", item, MAX_LIST_ITEM) for i, item in enumerate(items)]
    return tuple(t for t in texts if t is not None)
