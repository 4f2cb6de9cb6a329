"""The pain check-in answered in real time: the trainee hears a number and presses."""

from __future__ import annotations

import time
from dataclasses import dataclass

from device.engine import phrases
from device.engine.core import CORRECT_SECONDS
from device.events import State
from routines.store import HistoryEntry
from tests.realtime.coach import Coach, seed_worse_last_time
from tests.realtime.routines import one_hold

SEPARATE = 1.0  # seconds between two presses meant as two


@dataclass(frozen=True, slots=True)
class Answer:
    """One check-in: the number the trainee pressed at, how late after hearing which line,
    and what the store kept."""

    moment: str
    meant: int
    stored: int | None
    heard: str  # the line the press followed
    reaction: float | None  # seconds from its heard start to the button going down; None:
    # the line was never heard (the question ended before it was read), so no press

    @property
    def right(self) -> bool:
        return self.stored == self.meant

    def row(self) -> str:
        if self.reaction is None:
            return f"{self.moment} {self.meant}: {self.heard!r} never heard; stored {self.stored}"
        return (
            f"{self.moment} {self.meant}: pressed {self.reaction:.2f} s after hearing "
            f"{self.heard!r}; stored {self.stored}"
        )


def count(n: int) -> str:
    return phrases.count(n)


def workout(
    coach: Coach,
    before: tuple[int, int, float],
    after: tuple[int, int, float],
) -> tuple[Answer, Answer]:
    """A whole workout of the one-hold routine with both check-ins answered: each of
    ``before`` and ``after`` is (the number meant, the number whose line the trainee reacts
    to, seconds after hearing it). Returns both answers with what the store kept."""
    presses = coach.trainee.presses
    # Not so soon after the last answer that the two would make a double-press.
    started = coach.trainee.press(at=presses[-1].up + SEPARATE if presses else None).down
    reaction_b = _answer(coach, before, after=started)
    coach.wait_for(lambda s: s.question is None and s.state is not State.IDLE, timeout=30)
    done = coach.run_to_the_end()
    reaction_a = _answer(coach, after, after=done)
    coach.wait_for(lambda s: s.question is None, timeout=30)
    # A score is kept once it can no longer be corrected (a few seconds after it was said
    # back), then goes onto the workout just written.
    entry = latest_workout(coach)
    deadline = time.monotonic() + CORRECT_SECONDS + 10
    while reaction_a is not None and entry.pain_after is None and time.monotonic() < deadline:
        time.sleep(0.1)
        entry = latest_workout(coach)
    return (
        Answer("before", before[0], entry.pain_before, count(before[1]), reaction_b),
        Answer("after", after[0], entry.pain_after, count(after[1]), reaction_a),
    )


def _answer(coach: Coach, plan: tuple[int, int, float], *, after: float) -> float | None:
    _, number, reaction = plan
    try:
        heard, press = coach.trainee.press_after(count(number), reaction, after=after, within=25)
    except TimeoutError:
        return None
    return press.down - heard.start


def latest_workout(coach: Coach) -> HistoryEntry:
    """The workout last written by Spotter (not one seeded by the test)."""
    entries = [e for e in coach.store.history() if e.id not in coach.seeded]
    return max(entries, key=lambda e: e.finished_at)


def warn_again(coach: Coach) -> None:
    """Make the next start say "worse last time" again: a seeded workout that left the back
    worse becomes the last one."""
    entry = seed_worse_last_time(coach.store, one_hold())
    assert entry.id is not None
    coach.seeded.add(entry.id)
    coach.reload()
    time.sleep(0.2)
