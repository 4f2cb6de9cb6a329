"""Choosing with one button: Spotter reads the options out one at a time and a press picks
the one the trainee has just heard. A hold passes on the question, and so does silence
after the last option. Switch-access interfaces call this scanning.

Every window is timed by what was heard, never by when a line was handed to the voice
(a question often waits behind a long summary): the first option is read once the
question has been heard to its end, each next one ``step`` after the one before started
sounding, and option ``k`` is picked by a press from the moment it starts sounding until
``grace`` after the next one starts (people react late: a press just after "five" has
begun was meant for "four"). The first option's window opens when it starts sounding.

Pure, like the rest of the engine: reports and presses come in as numbers, lines go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# A press this soon after an option starts sounding still picks the option before it.
GRACE = 0.25
# A report that never comes (a voice that lost a line) holds a question up this long
# at most; then the option is taken as heard when it was due.
REPORT_TIMEOUT = 20.0
# Which line a report is about: the question itself, or option k (0, 1, ...).
QUESTION = -1
_EPSILON = 1e-6


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
    """One question with spoken options; ``step`` is the counting speed (a setting)."""

    def __init__(
        self, question: str, options: Sequence[str], *, step: float, grace: float = GRACE
    ) -> None:
        if not options:
            raise ValueError("a choice needs at least one option")
        if step <= 0:
            raise ValueError("step: must be a positive number of seconds")
        self.question = question
        self.options = tuple(options)
        self.step = step
        self.grace = grace
        self._starts: list[float] = []  # when each option read so far started sounding
        self._read = 0  # options handed to the voice
        # When the next option is read (or, after the last, the silence runs out); None
        # while waiting to hear a line, since ``_waiting_since``.
        self._next_at: float | None = None
        self._waiting_since: float | None = None
        self._last_ended: float | None = None
        self._pending: float | None = None  # a press waiting for a report to be judged
        self._answer = Answer(Outcome.ASKING)

    @property
    def answer(self) -> Answer:
        return self._answer

    @property
    def open(self) -> bool:
        return self._answer.outcome is Outcome.ASKING

    def opening(self) -> list[str]:
        """What to say as the question is asked."""
        return [self.question]

    def asked(self, now: float) -> None:
        """The question was handed to the voice at ``now``; options wait until it is heard."""
        self._waiting_since = now

    # -- what the voice reports -------------------------------------------------------------

    def started(self, line: int, at: float) -> None:
        """Line ``line`` (QUESTION or an option's index) started sounding at ``at``."""
        if not self.open or line == QUESTION or line != len(self._starts):
            return
        self._starts.append(at)
        if line + 1 < len(self.options):
            self._next_at, self._waiting_since = at + self.step, None
        if self._pending is not None and len(self._starts) == self._read:
            self._judge(self._pending)

    def ended(self, line: int, at: float) -> None:
        """Line ``line`` has been heard to its end (or was cut short) at ``at``."""
        if not self.open:
            return
        if line == QUESTION and self._read == 0:
            self._next_at, self._waiting_since = at, None
        elif line == len(self.options) - 1 and line < len(self._starts):
            # Silence after the last option: its full step, and never before it is heard.
            self._next_at = max(self._starts[line] + self.step, at) + self.grace
            self._waiting_since = None

    def dropped(self, line: int, at: float) -> None:
        """Line ``line`` never sounded (cut before its turn): read that option again."""
        if not self.open:
            return
        if line == QUESTION and self._read == 0:
            self._next_at, self._waiting_since = at, None
        elif line >= 0 and line == len(self._starts) and line < self._read:
            self._read = line
            self._next_at, self._waiting_since = at, None
            if self._pending is not None:
                self._judge(self._pending)

    # -- time and the button -----------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When ``tick`` next has something to do; None once the question has ended."""
        if not self.open:
            return None
        if self._next_at is not None:
            return self._next_at
        if self._waiting_since is not None:
            return self._waiting_since + REPORT_TIMEOUT
        return None

    def tick(self, now: float) -> list[tuple[int, str]]:
        """The option to read now, as (index, text), if its time has come; after the last
        option's silence, the end of the question."""
        if not self.open:
            return []
        if self._next_at is None:
            if self._waiting_since is None or now < self._waiting_since + REPORT_TIMEOUT:
                return []
            self._lost_report(now)
        if self._next_at is None or now < self._next_at - _EPSILON:
            return []
        if self._read < len(self.options):
            index = self._read
            self._read += 1
            self._next_at, self._waiting_since = None, now
            return [(index, self.options[index])]
        self._answer = Answer(Outcome.UNANSWERED)
        return []

    def press(self, at: float) -> Answer:
        """A press that went down at ``at``: picks the option heard then (see the module)."""
        if not self.open:
            return self._answer
        if len(self._starts) < self._read:
            # An option was handed over but is not yet reported as heard: whether the press
            # came before or after it began depends on that report.
            self._pending = at
            return self._answer
        self._judge(at)
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

    def _judge(self, at: float) -> None:
        self._pending = None
        picked = None
        for index, start in enumerate(self._starts):
            opens = start + (self.grace if index else 0.0)
            if at >= opens - _EPSILON:
                picked = index
        if picked is not None:
            self._answer = Answer(Outcome.PICKED, picked)

    def _lost_report(self, now: float) -> None:
        """No report came for the line in hand: take it as heard when it was handed over."""
        since = self._waiting_since if self._waiting_since is not None else now
        if self._read == 0:
            self.ended(QUESTION, since)
        elif len(self._starts) < self._read:
            self.started(len(self._starts), since)
            if len(self._starts) == len(self.options):
                self.ended(len(self.options) - 1, since)
        else:
            self.ended(len(self.options) - 1, since)
        self._next_at = now if self._next_at is None else self._next_at
