"""Choosing with one button: Spotter reads the options out one at a time and a press picks
the one it has just read. A hold passes on the question, and so does silence after the
last option. Switch-access interfaces call this scanning.

Pure, like the rest of the engine: time comes in as numbers, lines to speak go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# The question is spoken before the first option; a spoken word takes about this long,
# so the first option is read once the question has been heard (the voice queues lines,
# and an option read late would make a press pick the one before it).
SECONDS_PER_WORD = 0.4


class Outcome(StrEnum):
    ASKING = "asking"
    PICKED = "picked"
    PASSED = "passed"  # a hold
    UNANSWERED = "unanswered"  # silence after the last option


@dataclass(frozen=True, slots=True)
class Answer:
    """How a choice ended: ``index`` of the option picked (None unless PICKED)."""

    outcome: Outcome
    index: int | None = None


class Choice:
    """One question with spoken options, asked from clock time ``start``.

    Option ``k`` is read at ``first_at + k * step``; a press at or after that moment and
    before the next option is read picks ``k``. A press before the first option is read
    is ignored (nothing has been offered yet). ``step`` is the counting speed (a setting).
    """

    def __init__(
        self,
        question: str,
        options: Sequence[str],
        *,
        start: float,
        step: float,
        lead: float | None = None,
    ) -> None:
        if not options:
            raise ValueError("a choice needs at least one option")
        if step <= 0:
            raise ValueError("step: must be a positive number of seconds")
        self.question = question
        self.options = tuple(options)
        self.step = step
        lead = len(question.split()) * SECONDS_PER_WORD if lead is None else lead
        self.first_at = start + lead
        self._read = 0  # options read out so far
        self._answer: Answer = Answer(Outcome.ASKING)

    @property
    def answer(self) -> Answer:
        return self._answer

    @property
    def open(self) -> bool:
        return self._answer.outcome is Outcome.ASKING

    def opening(self) -> list[str]:
        """What to say as the question is asked."""
        return [self.question]

    def next_deadline(self) -> float | None:
        """When the next option is due to be read, or the silence runs out; None once ended."""
        if not self.open:
            return None
        return self.first_at + self._read * self.step

    def tick(self, now: float) -> list[str]:
        """The options whose time has come (normally one), and the end of the question when
        the last one went by unanswered."""
        said: list[str] = []
        while self.open and (due := self.next_deadline()) is not None and now >= due - 1e-6:
            if self._read < len(self.options):
                said.append(self.options[self._read])
                self._read += 1
            else:
                self._answer = Answer(Outcome.UNANSWERED)
        return said

    def press(self, now: float) -> Answer:
        """Pick the option read last (as of ``now``); nothing happens before the first."""
        self.tick(now)
        if self.open and self._read > 0:
            self._answer = Answer(Outcome.PICKED, self._read - 1)
        return self._answer

    def pick(self, index: int) -> Answer:
        """Answer from elsewhere (the phone): picks option ``index`` outright."""
        if not 0 <= index < len(self.options):
            raise ValueError(f"index: must be from 0 to {len(self.options) - 1}")
        if self.open:
            self._answer = Answer(Outcome.PICKED, index)
        return self._answer

    def hold(self) -> Answer:
        """Pass on the question."""
        if self.open:
            self._answer = Answer(Outcome.PASSED)
        return self._answer
