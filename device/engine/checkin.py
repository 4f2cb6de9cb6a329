"""The questions asked around a workout, one at a time: who is training (with two or more
profiles), and how much pain the user feels before the first exercise and after the last.

Each is a ``Choice`` read out by Spotter; this module knows what each question says and
what its answer means, and the feedback a pair of pain scores earns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from device.engine import phrases as script
from device.engine.choice import Answer, Choice, Outcome
from routines.model import DEFAULT_CHECKIN_AREA, ProgressionRecords, Routine

PAIN_SCORES = tuple(range(11))
# Rehab practice treats a change of two points on the 0-10 scale as one that matters.
MEANINGFUL_CHANGE = 2


class Question(StrEnum):
    """What the phone page shows while Spotter asks."""

    WHO = "who"
    PAIN_BEFORE = "pain_before"
    PAIN_AFTER = "pain_after"
    DOSE = "dose"  # a change of dose offered after the workout (``dose_talk``)


@dataclass(frozen=True, slots=True)
class Trainee:
    """A profile as the engine needs it to start their workout without asking the store."""

    id: int
    name: str
    routine: Routine | None
    sessions_this_week: int = 0
    weekly_goal: int | None = None
    # Their last workout's pain scores (before, after), when both were given, and its id.
    last_pain: tuple[int, int] | None = None
    last_workout: int | None = None
    # How often they finished this routine before: brief talk comes with practice.
    finished_before: int = 0
    # Their records in this routine, to judge a change of dose after the workout (None:
    # nothing is offered), and how far their times (wall clock) are from the engine's.
    progress: ProgressionRecords | None = None
    wall_offset: float = 0.0


@dataclass(frozen=True, slots=True)
class PainScore:
    """A pain check-in answered, for the history."""

    moment: str  # "before" or "after"
    score: int


def worse_last_time(trainee: Trainee) -> bool:
    """Whether their last workout left them in more pain than it found them."""
    if trainee.last_pain is None:
        return False
    before, after = trainee.last_pain
    return after - before >= MEANINGFUL_CHANGE


def pain_feedback(before: int | None, after: int, *, area: str = DEFAULT_CHECKIN_AREA) -> list[str]:
    """What Spotter adds once an after-score is confirmed (it was said back first, and not
    corrected): a word on a change that matters, never a diagnosis; nothing otherwise."""
    if before is None:
        return []
    change = after - before
    if change >= MEANINGFUL_CHANGE:
        return [script.pain_worse(area)]
    if change <= -MEANINGFUL_CHANGE:
        return [script.pain_better(-change)]
    return []


class Ask:
    """One question being asked: its ``Choice`` and what it is for."""

    def __init__(
        self, question: Question, choice: Choice, *, area: str = DEFAULT_CHECKIN_AREA
    ) -> None:
        self.question = question
        self.choice = choice
        # The body part a pain question asks about, for its feedback and the page.
        self.area = area

    @classmethod
    def who(cls, people: Sequence[Trainee], *, step: float) -> Ask:
        return cls(
            Question.WHO,
            Choice(script.who_is_training(), [p.name for p in people], step=step),
        )

    @classmethod
    def pain(cls, moment: str, *, step: float, area: str = DEFAULT_CHECKIN_AREA) -> Ask:
        question = Question.PAIN_BEFORE if moment == "before" else Question.PAIN_AFTER
        return cls(
            question,
            Choice(
                script.pain_question(before=moment == "before", area=area),
                [script.count(n) for n in PAIN_SCORES],
                step=step,
            ),
            area=area,
        )

    @property
    def moment(self) -> str:
        return "before" if self.question is Question.PAIN_BEFORE else "after"

    @property
    def answer(self) -> Answer:
        return self.choice.answer

    def closing(self) -> list[str]:
        """What to say as a pain question ends without a score (a picked one gets feedback)."""
        outcome = self.choice.answer.outcome
        if self.question in (Question.WHO, Question.DOSE) or outcome is Outcome.PICKED:
            return []
        return [script.pain_skipped()]


__all__ = [
    "Answer",
    "Ask",
    "Outcome",
    "PainScore",
    "Question",
    "Trainee",
    "pain_feedback",
    "worse_last_time",
]
