"""Whether a person's dose of an exercise should change, judged from their records.

A workout is *good* for an exercise when every set of it was done with every rep (a hold:
the workout was finished) and the after-score, if given, meets the rule; *bad* when the
after-score is over the rule or ``worse_by`` points above the before-score; else neutral.
Without scores only completion counts, so a session without them is never bad.

- ``every`` good sessions in a row since the dose last changed (or was last offered)
  earn a step up: the first step whose field is still under its ceiling, by ``by``. Never
  within 48 h of the last change.
- ``step_back_after_bad`` bad sessions in a row earn a step back: the last step that has
  grown gives back ``by``; at the starting dose, the first step may go one ``by`` below it,
  no lower (past that, a professional should look at it).
- A bad session right after a step up, with no good one between, offers to undo it first.

Nothing is offered for a locked dose, or when the owner has turned progression off. At
most one offer per workout (``offer``): an undo first, then a step back, then a step up,
in the routine's order; the others wait, since their sessions still count next time.

Pure: the store hands over the records, the clock hands over the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from routines.model import (
    DOSE_FIELDS,
    Direction,
    Dose,
    DoseChange,
    DoseField,
    Exercise,
    HistoryEntry,
    PainRule,
    ProgressionRecords,
    Routine,
    SetReps,
)

# No step up sooner than this after the last change: a body needs days to answer one.
REST_BETWEEN_STEPS = 48 * 3600.0
_ORDER: dict[Direction, int] = {"undo": 0, "down": 1, "up": 2}


class Verdict(StrEnum):
    GOOD = "good"
    BAD = "bad"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A change of one exercise's dose to offer: ``field`` goes from ``from_dose`` to
    ``to_dose``."""

    exercise: str
    direction: Direction
    field: DoseField
    from_dose: Dose
    to_dose: Dose


def judge(entry: HistoryEntry, exercise: Exercise, rule: PainRule) -> Verdict:
    """How the workout ``entry`` went for ``exercise``."""
    after, before = entry.pain_after, entry.pain_before
    if after is not None and (
        after > rule.good_if_after_at_most
        or (before is not None and after - before >= rule.worse_by)
    ):
        return Verdict.BAD
    if exercise.reps is not None:
        sets = [s for s in entry.set_reps if s.exercise == exercise.name]
        done = bool(sets) and entry.completed and all(s.done >= s.planned for s in sets)
    else:
        # Holds count no reps: a hold exercise was done when the workout was finished.
        done = entry.completed
    return Verdict.GOOD if done else Verdict.NEUTRAL


def proposals(
    routine: Routine, records: ProgressionRecords, now: float, *, current: HistoryEntry
) -> list[Proposal]:
    """Every change earned by the workout ``current`` (just done, of ``routine`` at the
    person's dose), most important first. ``records.workouts`` may hold ``current``
    itself already: only those finished before it started count as the past."""
    if not records.enabled:
        return []
    past = [w for w in records.workouts if w.finished_at <= current.started_at]
    sessions = [current, *sorted(past, key=lambda w: w.finished_at, reverse=True)]
    found = [
        p for ex in routine.exercises if (p := _proposal(ex, records, sessions, now)) is not None
    ]
    return sorted(found, key=lambda p: _ORDER[p.direction])


def offer(
    routine: Routine, records: ProgressionRecords, now: float, *, current: HistoryEntry
) -> Proposal | None:
    """The one change to offer after the workout ``current``, if any."""
    found = proposals(routine, records, now, current=current)
    return found[0] if found else None


def likely_offer(routine: Routine, records: ProgressionRecords, now: float) -> Proposal | None:
    """The offer one more good workout would earn, judged at ``now``: what to render into
    the voice cache before the workout, so the offer after it is said without a wait."""
    # It starts after every workout stored so far, the one just finished too.
    good = HistoryEntry(
        routine.id,
        routine.name,
        now,
        now + 1,
        len(routine.exercises),
        routine.total_sets,
        True,
        set_reps=tuple(
            SetReps(e.name, 1, e.reps, e.reps) for e in routine.exercises if e.reps is not None
        ),
    )
    return offer(routine, records, now, current=good)


def _proposal(
    ex: Exercise, records: ProgressionRecords, sessions: Sequence[HistoryEntry], now: float
) -> Proposal | None:
    rules = ex.progression
    mine = records.doses.get(ex.name)
    if rules is None or (mine is not None and mine.locked):
        return None
    dose = ex.dose  # the routine handed over is at the person's dose already
    # Their stored dose was applied when it is the one in hand; else they do the file's.
    start = mine.start if mine is not None and mine.dose == dose else dose
    changes = [c for c in records.changes if c.exercise == ex.name]
    last_change = changes[-1].at if changes else None
    since = [s for s in sessions if last_change is None or s.finished_at > last_change]
    verdicts = [judge(s, ex, rules.pain) for s in since]

    if changes and verdicts and verdicts[0] is Verdict.BAD and Verdict.GOOD not in verdicts:
        before = _dose_before(changes, start)
        if _grew(before, dose):
            field = next(f for f in DOSE_FIELDS if before.get(f) != dose.get(f))
            return Proposal(ex.name, "undo", field, dose, before)
    bad = _run(verdicts, Verdict.BAD)
    if bad >= rules.pain.step_back_after_bad:
        return _step_back(ex, dose, start)
    offered = [o.made_at for o in records.offers if o.exercise == ex.name]
    counted_from = max([*offered, last_change or float("-inf")])
    good = _run(
        [v for s, v in zip(since, verdicts, strict=True) if s.finished_at > counted_from],
        Verdict.GOOD,
    )
    if good < rules.every:
        return None
    if last_change is not None and now - last_change < REST_BETWEEN_STEPS:
        return None
    for step in rules.steps:
        value = dose.get(step.field)
        if value is not None and value < step.up_to:
            new = dose.with_value(step.field, min(value + step.by, step.up_to))
            return Proposal(ex.name, "up", step.field, dose, new)
    return None


def _step_back(ex: Exercise, dose: Dose, start: Dose) -> Proposal | None:
    rules = ex.progression
    assert rules is not None
    for step in reversed(rules.steps):
        value, floor = dose.get(step.field), start.get(step.field)
        if value is not None and floor is not None and value > floor:
            new = dose.with_value(step.field, max(value - step.by, floor))
            return Proposal(ex.name, "down", step.field, dose, new)
    first = rules.steps[0]
    value, floor = dose.get(first.field), start.get(first.field)
    if value is None or floor is None:
        return None
    lowest = max(1, floor - first.by)
    if value <= lowest:
        return None
    return Proposal(ex.name, "down", first.field, dose, dose.with_value(first.field, lowest))


def _dose_before(changes: Sequence[DoseChange], start: Dose) -> Dose:
    return changes[-2].dose if len(changes) > 1 else start


def _grew(before: Dose, now: Dose) -> bool:
    pairs = [(before.get(f), now.get(f)) for f in DOSE_FIELDS]
    diffs = [(a, b) for a, b in pairs if a is not None and b is not None and a != b]
    return bool(diffs) and all(b > a for a, b in diffs)


def _run(verdicts: Sequence[Verdict], kind: Verdict) -> int:
    """How many of ``kind`` in a row, newest first."""
    count = 0
    for verdict in verdicts:
        if verdict is not kind:
            break
        count += 1
    return count
