"""Offering a change of dose after a workout, with one button: what Spotter says and how
long the offer stays open.

The offer is a ``Choice`` with one option: the change is said first, then "Press to
agree, or hold to keep ..."; a press from the moment that line starts sounding until
``DOSE_WINDOW`` seconds later agrees (by what was heard, like every choice), a hold keeps
the dose, and silence keeps it too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from device.engine.checkin import Ask, Question
from device.engine.choice import Choice, Outcome
from device.engine.progression import Proposal
from routines.model import Dose, DoseField

# Agreeing takes a thought, not a reflex: longer than a number of the pain question.
DOSE_WINDOW = 4.0


@dataclass(frozen=True, slots=True)
class DoseOffer:
    """An offer made after a workout (``pending``), then how it was answered; the worker
    keeps both. ``made_at`` is wall-clock time, like the records."""

    profile_id: int
    routine_id: str
    proposal: Proposal
    made_at: float
    answer: Literal["pending", "accepted", "declined", "unanswered"] = "pending"

    def answered(self, outcome: Outcome) -> DoseOffer:
        """The offer answered: a press agrees, a hold declines, silence leaves it open."""
        if outcome is Outcome.PICKED:
            return replace(self, answer="accepted")
        if outcome is Outcome.PASSED:
            return replace(self, answer="declined")
        return replace(self, answer="unanswered")


def dose_ask(proposal: Proposal, *, area: str, step: float) -> Ask:
    """The question that offers ``proposal`` (``area``: the body part the routine asks
    about, named when easing off)."""
    return Ask(
        Question.DOSE,
        Choice(
            offer_text(proposal, area=area),
            [_option(proposal)],
            step=max(step, DOSE_WINDOW),
        ),
        area=area,
    )


def offer_lines(proposal: Proposal, *, area: str) -> list[str]:
    """Every line offering ``proposal`` can say, for the voice cache."""
    option = _option(proposal)
    endings = [closing(proposal, outcome) for outcome in Outcome if outcome is not Outcome.ASKING]
    return [offer_text(proposal, area=area), option, *endings]


def offer_text(proposal: Proposal, *, area: str) -> str:
    """The change, in a sentence or two; easing off is said gently, with the usual advice."""
    change = next_time(proposal)
    if proposal.direction == "up":
        return change
    if proposal.direction == "undo":
        return f"That last step up may have been too much. {change}"
    return (
        f"Your {area} has had a hard time lately, so let's ease off. {change} "
        "If it keeps happening, see a physiotherapist or doctor."
    )


def next_time(proposal: Proposal) -> str:
    name = spoken_name(proposal.exercise)
    value = proposal.to_dose.get(proposal.field)
    if proposal.field == "hold_seconds":
        return f"Next time: hold the {name} for {value} seconds."
    if proposal.field == "reps":
        return f"Next time: {value} reps in each set of {name}."
    return f"Next time: {value} sets of {name}."


def amount(field: DoseField, dose: Dose) -> str:
    """How much of ``field`` ``dose`` has, as said after "keep"."""
    value = dose.get(field)
    unit = {"hold_seconds": "seconds", "reps": "reps", "sets": "sets"}[field]
    return f"{value} {unit}"


def closing(proposal: Proposal, outcome: Outcome) -> str:
    """What follows the answer."""
    if outcome is Outcome.PICKED:
        return f"Agreed: {amount(proposal.field, proposal.to_dose)} from your next workout."
    kept = amount(proposal.field, proposal.from_dose)
    if outcome is Outcome.PASSED:
        return f"Staying at {kept}."
    return f"No answer, so it stays at {kept}. The phone page can still take it."


def _option(proposal: Proposal) -> str:
    return f"Press to agree, or hold to keep {amount(proposal.field, proposal.from_dose)}."


def spoken_name(name: str) -> str:
    """An exercise's name inside a sentence: "Hip flexor stretch" becomes "hip flexor
    stretch"; a name that starts with an abbreviation ("TRX row") stays as it is."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name
