"""Checking an exercise's ``progression:`` block, the rules by which its dose may grow.

```yaml
progression:
  every: 3                  # good sessions in a row before a step up
  steps:                    # tried in order; each grows one thing, up to its ceiling
    - {hold_seconds: +5, up_to: 45}
    - {sets: +1, up_to: 4}
  pain:                     # optional; these are the defaults
    good_if_after_at_most: 3
    worse_by: 2
    step_back_after_bad: 2
```

Every step needs a ceiling above the exercise's starting value, and grows something the
exercise has (a hold grows ``hold_seconds``, a rep exercise ``reps``; both may grow
``sets``). A person's dose is kept by exercise name, so an exercise with rules needs a
name no other exercise of its routine has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, cast

from routines.fields import Problems, at
from routines.model import (
    DOSE_FIELDS,
    DoseField,
    PainRule,
    Progression,
    ProgressionStep,
)

PROGRESSION_FIELDS: Final = ("every", "steps", "pain")
STEP_KEYS: Final = (*DOSE_FIELDS, "up_to")
PAIN_FIELDS: Final = ("good_if_after_at_most", "worse_by", "step_back_after_bad")
MAX_EVERY = 20
MAX_STEPS = 6
# The most one step may add: a step is a small change a person can feel and judge.
MAX_STEP: Final[Mapping[DoseField, int]] = {"hold_seconds": 30, "reps": 10, "sets": 2}
# The same caps as the exercise's own fields (routines.validation).
CEILING: Final[Mapping[DoseField, int]] = {"hold_seconds": 600, "reps": 200, "sets": 20}
PAIN_RANGES: Final[Mapping[str, tuple[int, int]]] = {
    "good_if_after_at_most": (0, 10),
    "worse_by": (1, 10),
    "step_back_after_bad": (1, 10),
}


def parse_progression(
    problems: Problems,
    path: str,
    data: object,
    *,
    start: Mapping[DoseField, int | None],
    name_shared: bool,
) -> Progression | None:
    """The rules at ``path`` for an exercise whose starting dose is ``start`` (None for a
    field it does not have), or None with every problem recorded by its field path."""
    if not isinstance(data, Mapping):
        problems.add(path, "must be a mapping with every, steps and pain")
        return None
    data = cast(Mapping[object, object], data)
    before = len(problems.errors)
    problems.unknown_fields(path, data, PROGRESSION_FIELDS)
    if name_shared:
        problems.add(
            path,
            "needs an exercise name no other exercise of this routine has "
            "(each person's dose is kept by name)",
        )
    every = data.get("every")
    if every is None:
        problems.add(at(path, "every"), "is required: good sessions in a row before a step up")
    else:
        every = problems.whole_number(at(path, "every"), every, 1, MAX_EVERY)
    steps = _steps(problems, at(path, "steps"), data.get("steps"), start)
    pain = _pain(problems, at(path, "pain"), data.get("pain"))
    if len(problems.errors) > before or steps is None or pain is None:
        return None
    return Progression(every=cast(int, every), steps=steps, pain=pain)


def _steps(
    problems: Problems, path: str, items: object, start: Mapping[DoseField, int | None]
) -> tuple[ProgressionStep, ...] | None:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_STEPS:
        problems.add(
            path,
            f"must be a list of 1 to {MAX_STEPS} steps, e.g. [{{hold_seconds: 5, up_to: 45}}]",
        )
        return None
    steps: list[ProgressionStep] = []
    grown: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        step = _step(problems, where, item, start)
        if step is None:
            continue
        if step.field in grown:
            problems.add(at(where, step.field), f"already grows in {path}[{grown[step.field]}]")
            continue
        grown[step.field] = i
        steps.append(step)
    return tuple(steps) if len(steps) == len(items) else None


def _step(
    problems: Problems, where: str, item: object, start: Mapping[DoseField, int | None]
) -> ProgressionStep | None:
    if not isinstance(item, Mapping):
        problems.add(where, "must be a mapping such as {reps: 2, up_to: 15}")
        return None
    item = cast(Mapping[object, object], item)
    before = len(problems.errors)
    problems.unknown_fields(where, item, STEP_KEYS)
    fields = [f for f in DOSE_FIELDS if f in item]
    if len(fields) != 1:
        problems.add(
            where,
            "must grow exactly one of " + ", ".join(DOSE_FIELDS) + " (one step, one change)",
        )
        return None
    field = fields[0]
    value = start.get(field)
    if value is None:
        has = "a hold" if start.get("hold_seconds") is not None else "reps"
        problems.add(
            at(where, field),
            f"this exercise has {has}, so a step grows "
            + ("hold_seconds" if has == "a hold" else "reps")
            + " or sets",
        )
        return None
    by = problems.whole_number(at(where, field), item[field], 1, MAX_STEP[field])
    up_to = item.get("up_to")
    if up_to is None:
        problems.add(at(where, "up_to"), "is required: the most this step may reach")
    elif value >= CEILING[field]:
        problems.add(at(where, field), f"starts at its cap of {CEILING[field]} already")
    else:
        up_to = problems.whole_number(at(where, "up_to"), up_to, value + 1, CEILING[field])
    if len(problems.errors) > before or by is None or up_to is None:
        return None
    return ProgressionStep(field=field, by=by, up_to=cast(int, up_to))


def _pain(problems: Problems, path: str, data: object) -> PainRule | None:
    if data is None:
        return PainRule()
    if not isinstance(data, Mapping):
        problems.add(path, "must be a mapping such as {good_if_after_at_most: 3}")
        return None
    data = cast(Mapping[object, object], data)
    before = len(problems.errors)
    problems.unknown_fields(path, data, PAIN_FIELDS)
    defaults = PainRule()
    values: dict[str, int] = {}
    for key in PAIN_FIELDS:
        value = data.get(key)
        if value is None:
            values[key] = getattr(defaults, key)
            continue
        low, high = PAIN_RANGES[key]
        checked = problems.whole_number(at(path, key), value, low, high)
        if checked is not None:
            values[key] = checked
    if len(problems.errors) > before:
        return None
    return PainRule(**values)
