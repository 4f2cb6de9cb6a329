"""The routine editor's form: a routine as text fields and back again.

The editor works without JavaScript: adding, removing and moving an exercise posts the
whole form back with an ``op`` and the page comes back rearranged, nothing saved yet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from routines.model import Exercise, Progression, Routine
from routines.progression_rules import MAX_STEPS, PAIN_FIELDS
from routines.validation import MAX_EXERCISES
from web_config.errors import more_problems, short_fields
from web_config.parsing import is_whole_number

# One more than a routine may hold, so the editor can show the "too many" error.
MAX_FORM_EXERCISES = MAX_EXERCISES + 1
_WHOLE = re.compile(r"[+-]?[0-9]{1,9}")
_EXERCISE_KEY = re.compile(r"exercises\[(\d+)\]\.([a-z_]+)")
_DECIMAL = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3})?")
# Rows for the steps of a progression: one more than it has, so another can be added
# without a script, up to as many as a progression may have.
MAX_STEP_ROWS = MAX_STEPS
_PAIN_FIELDS = PAIN_FIELDS
# What the editor shows a new progression block (the pain rule's own defaults).
_NEW_PROGRESSION = {"every": "3", "good_if_after_at_most": "3", "worse_by": "2"}


@dataclass(slots=True)
class StepDraft:
    """One step of a progression as its three form fields: grow ``field`` by ``by``, never
    past ``up_to``."""

    field: str = ""
    by: str = ""
    up_to: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.by.strip() and not self.up_to.strip()

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {self.field or "hold_seconds": number_or_text(self.by)}
        up_to = number_or_text(self.up_to)
        if up_to is not None:
            data["up_to"] = up_to
        return data


@dataclass(slots=True)
class ExerciseDraft:
    """One exercise as the editor shows it: every value is the text of a form field."""

    name: str = ""
    sets: str = "3"
    kind: str = "reps"  # "reps" or "hold": which of the two the exercise counts
    reps: str = "10"
    hold_seconds: str = "30"
    count: str = "per_rep"
    # One phase of a paced rep per line: its word, then its seconds ("Up 2").
    tempo: str = ""
    sides: str = "none"
    first_side: str = "left"
    side_order: str = "alternate"
    side_cue_left: str = ""
    side_cue_right: str = ""
    rest_seconds: str = ""
    rest_after_seconds: str = ""
    equipment: str = ""
    setup: str = ""
    cues: str = ""
    # The progression block: "on" when the box is ticked; its fields stay on the page
    # (hidden) while it is not, so ticking it again brings them back.
    progression: str = ""
    every: str = _NEW_PROGRESSION["every"]
    good_if_after_at_most: str = _NEW_PROGRESSION["good_if_after_at_most"]
    worse_by: str = _NEW_PROGRESSION["worse_by"]
    step_back_after_bad: str = "2"
    steps: list[StepDraft] = field(default_factory=list)

    @classmethod
    def from_exercise(cls, e: Exercise) -> ExerciseDraft:
        """The editor's view of a stored exercise."""
        draft = cls(
            name=e.name,
            sets=str(e.sets),
            kind="hold" if e.is_hold else "reps",
            reps="" if e.reps is None else str(e.reps),
            hold_seconds="" if e.hold_seconds is None else str(e.hold_seconds),
            count=e.count,
            tempo="\n".join(f"{p.say} {p.to_dict()['seconds']}" for p in e.tempo),
            sides=e.sides,
            first_side=e.first_side,
            side_order=e.side_order,
            side_cue_left=e.side_cue("left") or "",
            side_cue_right=e.side_cue("right") or "",
            rest_seconds=_text(e.rest_seconds),
            rest_after_seconds=_text(e.rest_after_seconds),
            equipment="\n".join(e.equipment),
            setup="\n".join(e.setup),
            cues="\n".join(e.cues),
            progression="" if e.progression is None else json.dumps(e.progression.to_dict()),
        )
        if e.progression is not None:
            draft.set_progression(e.progression)
        return draft

    def set_progression(self, rules: Progression) -> None:
        """Fill the progression fields from a routine's rules."""
        self.progression = "on"
        self.every = str(rules.every)
        self.steps = [StepDraft(s.field, str(s.by), str(s.up_to)) for s in rules.steps]
        for name in _PAIN_FIELDS:
            setattr(self, name, str(getattr(rules.pain, name)))

    @property
    def step_rows(self) -> list[StepDraft]:
        """The steps, and one blank row to add another (while there is room)."""
        rows = list(self.steps)
        if len(rows) < MAX_STEP_ROWS:
            rows.append(StepDraft(field=self.steps[-1].field if self.steps else ""))
        return rows

    @classmethod
    def from_form(cls, form: Mapping[str, str], i: int) -> ExerciseDraft:
        """Exercise ``i`` of the posted editor (``ex-I-NAME`` fields; ``ex-I-step-K-...``
        for the steps); blank step rows are dropped."""
        values = {
            f.name: str(form.get(f"ex-{i}-{f.name}", f.default))
            for f in fields(cls)
            if f.name != "steps"
        }
        draft = cls(**values)  # type: ignore[arg-type]
        for k in range(MAX_STEP_ROWS):
            step = StepDraft(
                *(str(form.get(f"ex-{i}-step-{k}-{part}", "")) for part in ("field", "by", "up_to"))
            )
            if not step.is_blank:
                draft.steps.append(step)
        return draft

    @property
    def summary(self) -> str:
        """The exercise in a few words, for its folded heading: "3 x 10 reps, each side"
        (with a multiplication sign)."""
        dose = f"{self.hold_seconds} s hold" if self.kind == "hold" else f"{self.reps} reps"
        each = ", each side" if self.sides == "both" else ""
        return f"{self.sets} \u00d7 {dose}{each}"

    @property
    def is_new(self) -> bool:
        """Nothing typed yet: it opens unfolded."""
        return not self.name.strip()

    def to_data(self) -> dict[str, object]:
        """The exercise as a routine document, for ``parse_routine`` to judge."""
        data: dict[str, object] = {"name": self.name, "sets": number_or_text(self.sets)}
        if self.kind == "hold":
            data["hold_seconds"] = number_or_text(self.hold_seconds)
        else:
            data["reps"] = number_or_text(self.reps)
            data["count"] = self.count
            # Another count mode simply leaves the tempo unused: switching back to
            # pressing each rep must not need the tempo lines cleared first.
            phases = [_phase(line) for line in _lines(self.tempo)]
            if self.count == "paced" and phases:
                data["tempo"] = phases
        data["sides"] = self.sides
        if self.sides == "both":
            data["first_side"] = self.first_side
            data["side_order"] = self.side_order
        # Lines typed for each side go to validation whatever the sides, so a move done on
        # one side refuses them by name rather than dropping them unseen.
        cues = {"left": _one_line(self.side_cue_left), "right": _one_line(self.side_cue_right)}
        if any(cues.values()):
            data["side_cues"] = {side: text for side, text in cues.items() if text}
        for key in ("rest_seconds", "rest_after_seconds"):
            value = number_or_text(getattr(self, key))
            if value is not None:
                data[key] = value
        for key in ("equipment", "setup", "cues"):
            data[key] = _lines(getattr(self, key))
        if self.progression:
            data["progression"] = self.progression_data()
        return {k: v for k, v in data.items() if v is not None}

    def progression_data(self) -> dict[str, object]:
        """The progression block as a routine file writes it; blanks are left out, so that
        validation names what is missing."""
        pain = {name: number_or_text(getattr(self, name)) for name in _PAIN_FIELDS}
        block: dict[str, object] = {
            "every": number_or_text(self.every),
            "steps": [step.to_data() for step in self.steps],
            "pain": {k: v for k, v in pain.items() if v is not None},
        }
        return {k: v for k, v in block.items() if v is not None}


@dataclass(slots=True)
class RoutineDraft:
    """A routine as the editor shows it, with the version it was loaded at."""

    id: str = ""
    name: str = ""
    description: str = ""
    sessions_per_week: str = ""
    checkin: str = ""  # "pain" when the box is ticked
    checkin_area: str = ""  # the body part it asks about; blank: the back
    version: str = ""
    exercises: list[ExerciseDraft] = field(default_factory=lambda: [ExerciseDraft()])

    @classmethod
    def from_routine(cls, routine: Routine, version: int | None = None) -> RoutineDraft:
        """The editor's view of a stored routine."""
        return cls(
            id=routine.id,
            name=routine.name,
            description=routine.description,
            sessions_per_week=_text(routine.sessions_per_week),
            checkin="" if routine.checkin == "none" else routine.checkin,
            checkin_area="" if routine.checkin == "none" else routine.checkin_area,
            version="" if version is None else str(version),
            exercises=[ExerciseDraft.from_exercise(e) for e in routine.exercises],
        )

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> RoutineDraft:
        """Read the posted editor; missing fields take their defaults, nothing is judged."""
        count = number_or_text(form.get("exercise_count", "0"))
        count = min(count, MAX_FORM_EXERCISES) if isinstance(count, int) and count > 0 else 0
        exercises = [ExerciseDraft.from_form(form, i) for i in range(count)]
        return cls(
            id=form.get("id", "").strip(),
            name=form.get("name", ""),
            description=form.get("description", ""),
            sessions_per_week=form.get("sessions_per_week", ""),
            checkin=form.get("checkin", ""),
            checkin_area=form.get("checkin_area", ""),
            version=form.get("version", ""),
            exercises=exercises,
        )

    def to_data(self) -> dict[str, object]:
        """The routine as a routine document, for ``parse_routine`` to judge."""
        data: dict[str, object] = {"name": self.name}
        if self.id:
            data["id"] = self.id
        if self.description.strip():
            data["description"] = self.description
        goal = number_or_text(self.sessions_per_week)
        if goal is not None:
            data["sessions_per_week"] = goal
        if self.checkin and self.checkin_area.strip():
            data["checkin"] = {"kind": self.checkin, "area": self.checkin_area}
        elif self.checkin:
            data["checkin"] = self.checkin
        data["exercises"] = [e.to_data() for e in self.exercises]
        return data

    def apply(self, op: str) -> None:
        """Rearrange the exercises: ``add``, ``remove-N``, ``up-N`` or ``down-N``."""
        action, _, index_text = op.partition("-")
        if action == "add":
            if len(self.exercises) < MAX_FORM_EXERCISES:
                self.exercises.append(ExerciseDraft())
            return
        if not is_whole_number(index_text) or int(index_text) >= len(self.exercises):
            return
        i = int(index_text)
        if action == "remove":
            del self.exercises[i]
        elif action == "up" and i > 0:
            self.exercises[i - 1], self.exercises[i] = self.exercises[i], self.exercises[i - 1]
        elif action == "down" and i + 1 < len(self.exercises):
            self.exercises[i + 1], self.exercises[i] = self.exercises[i], self.exercises[i + 1]


def field_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """The validation errors that belong beside a form field, keyed by the field's name
    (``exercises[2].reps`` is shown at ``ex-2-reps``)."""
    known = {f.name for f in fields(ExerciseDraft)}
    by_field: dict[str, str] = {}
    for key, message in errors.items():
        rule = _PROGRESSION_KEY.fullmatch(key)
        if rule:
            by_field.setdefault(_progression_field(rule, message), message)
            continue
        match = _EXERCISE_KEY.match(key)
        side = re.fullmatch(r"exercises\[(\d+)\]\.side_cues(?:\.(left|right))?", key)
        if side and side.group(2) is None:
            by_field.setdefault(f"ex-{side.group(1)}-side_cue_left", _ONE_SIDE_CUES)
        elif side:
            by_field.setdefault(f"ex-{side.group(1)}-side_cue_{side.group(2)}", message)
        elif match and match.group(2) in known:
            line = re.fullmatch(r"\[(\d+)\](?:\.([a-z]+))?", key[match.end() :])
            name = f"ex-{match.group(1)}-{match.group(2)}"
            if line:
                part = f" {line.group(2)}" if line.group(2) else ""
                message = f"line {int(line.group(1)) + 1}{part} {message}"
            by_field.setdefault(name, message)
        elif key in ("id", "name", "description", "sessions_per_week", "checkin"):
            by_field.setdefault(key, message)
        elif key in ("checkin.kind", "checkin.area"):
            by_field.setdefault(key.replace(".kind", "").replace(".", "_"), message)
    return by_field


_PROGRESSION_KEY = re.compile(
    r"exercises\[(\d+)\]\.progression"
    r"(?:\.steps(?:\[(\d+)\](?:\.([a-z_]+))?)?|\.pain(?:\.([a-z_]+))?|\.([a-z_]+))?"
)


_ABOUT_THE_FIELD = ("already grows", "this exercise has", "starts at its cap")


def _progression_field(rule: re.Match[str], message: str) -> str:
    """The form field a problem of a progression block is shown at: each step's three
    fields, each pain figure, ``every``; the box itself for the block as a whole."""
    p = f"ex-{rule.group(1)}-"
    step, part, pain, other = rule.group(2, 3, 4, 5)
    if step is not None:
        if part == "up_to":
            return f"{p}step-{step}-up_to"
        # "steps[1].reps: must be ..." is about the amount; "steps[1]", or a field this
        # exercise cannot grow (or grows twice), about the choice of field.
        about_amount = part and not message.startswith(_ABOUT_THE_FIELD)
        return f"{p}step-{step}-{'by' if about_amount else 'field'}"
    if rule.group(0).endswith(".steps"):
        return f"{p}step-0-field"
    if pain in _PAIN_FIELDS:
        return f"{p}{pain}"
    if other == "every":
        return f"{p}every"
    return f"{p}progression"


_ONE_SIDE_CUES = (
    "these lines are said as each side starts, and this move is done on one side: "
    "choose \u201ceach side\u201d, or clear them"
)


def describe_errors(errors: Mapping[str, str]) -> list[str]:
    """Every validation error as a sentence that names its place in words (the first
    ``MAX_FIELDS_SHOWN``, each an excerpt)."""
    shown = [
        f"{_readable(key)}: {_ONE_SIDE_CUES if key.endswith('.side_cues') else message}"
        for key, message in short_fields(errors).items()
    ]
    if more := more_problems(errors):
        shown.append(f"and {more} more problems")
    return shown


def _readable(key: str) -> str:
    # "exercises[2].setup[1]" reads better for people as "exercise 3, setup line 2".
    if key.startswith("checkin."):
        return "pain check-in, " + ("body part" if key.endswith("area") else "kind")
    match = _EXERCISE_KEY.match(key)
    if match is None:
        return key
    rest = key[match.end() :]
    if match.group(2) == "progression":
        # "exercises[0].progression.steps[1].up_to": "exercise 1, progression step 2, up to"
        words = re.sub(r"\.?steps\[(\d+)\]", lambda m: f" step {int(m.group(1)) + 1}", rest)
        words = words.replace(".", ", ").replace("_", " ")
        return f"exercise {int(match.group(1)) + 1}, progression{words}"
    text = f"exercise {int(match.group(1)) + 1}, {match.group(2).replace('_', ' ')}"
    line = re.fullmatch(r"\[(\d+)\](?:\.([a-z]+))?", rest)
    if line is None:
        return f"{text} {rest.lstrip('.').replace('_', ' ')}".rstrip()
    part = f" {line.group(2)}" if line.group(2) else ""
    return f"{text} line {int(line.group(1)) + 1}{part}"


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def number_or_text(text: str) -> int | str | None:
    """A whole number when the text is one; blank is None; anything else stays text so
    that validation names the field."""
    text = text.strip()
    if not text:
        return None
    return int(text) if _WHOLE.fullmatch(text) else text


def _phase(line: str) -> dict[str, object]:
    """``Up 2`` as a tempo phase; a missing or odd number is left for validation to name."""
    say, _, seconds = line.rpartition(" ")
    if not say:
        return {"say": line, "seconds": None}
    if not _DECIMAL.fullmatch(seconds):
        return {"say": say.strip(), "seconds": seconds}
    value = float(seconds)
    return {"say": say.strip(), "seconds": int(value) if value.is_integer() else value}


def _one_line(text: str) -> str:
    """A side's line typed over several lines, as the one sentence group it is said as."""
    return " ".join(_lines(text))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]
