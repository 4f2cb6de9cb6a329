"""Coaching as the trainee hears it: the knee routine worked through in real time, in full
and in brief mode, by a scripted trainee at a sound device read at real-time speed.

The harness is the real-time tests' own (``tests.realtime``): Spotter built as the daemon
builds it, the real espeak-ng voice and ``AlsaPlayer`` on an ALSA ``file`` device whose
FIFO a separate process reads no faster than a card, and every heard line known by its
cached audio. The trainee waits for Spotter to finish talking, takes a moment, and presses
(one press per rep of the clamshells, one per set of the squats, one to start each hold
and paced set); it answers both pain check-ins 0.35 s after hearing its number; in brief
mode it double-presses at each exercise's introduction, then carries on.

Figures: pain answers stored as the number heard; talk (heard speech) as a share of the
active time (from the before-answer to the end of the last set); the countdown in each
5 s rest (largest and smallest gap between heard numbers, numbers never heard); how much
of the single press's answer was heard before a double-press's answer cut it.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Figure
from device.engine import phrases
from device.engine.core import CORRECT_SECONDS
from device.events import State, Status
from routines.model import Routine
from tests.realtime.checkin import count
from tests.realtime.coach import Coach, Press, coaching
from tests.realtime.hog import cpu_hog
from tests.realtime.routines import knee
from tests.realtime.sound_card import Heard, SoundCard

REACTION = 0.35
SETTLE = 0.8  # a person's moment between Spotter falling quiet and pressing
REP = 2.0  # seconds a clamshell takes
SQUAT_SET = 3.0
DOUBLE_GAP = 0.15
COUNTDOWN = [phrases.count(n) for n in (3, 2, 1)]
TARGET_TALK_FULL = 40.0
TARGET_TALK_BRIEF = 25.0
TARGET_EVEN = 1.3
EVEN_SLACK = 0.2  # seconds either side of the 1 s a countdown number lasts
WORKOUT_TIMEOUT = 900.0  # largest gap / smallest gap


@dataclass
class Run:
    """What one scripted workout left behind."""

    mode: str
    answers: list[tuple[int, int | None]] = field(default_factory=list)  # meant, stored
    active: tuple[float, float] = (0.0, 0.0)
    rests: list[tuple[float, float]] = field(default_factory=list)  # 5 s rests: start, end
    doubles: list[tuple[Press, Press]] = field(default_factory=list)


class StatusLog:
    """Every status Spotter published, with when (a thread beside the trainee)."""

    def __init__(self, coach: Coach) -> None:
        self.entries: list[tuple[float, Status]] = []
        self._coach = coach
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        seen = -1
        while not self._stop.is_set():
            seen, status = self._coach.spotter.wait_for_change(seen, 0.2)
            if not self.entries or self.entries[-1][1] != status:
                self.entries.append((time.monotonic(), status))
                print(
                    f"  {status.state} {status.exercise_name or ''} set {status.set} "
                    f"{status.side or ''} rep {status.rep} {status.question or ''}",
                    file=sys.stderr,
                    flush=True,
                )

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)

    def rests(self, seconds: int, since: float) -> list[tuple[float, float]]:
        """Each rest of ``seconds`` begun after ``since``: when it began and ended."""
        found: list[tuple[float, float]] = []
        for (t, s), (t_next, _) in itertools.pairwise(self.entries):
            starts = s.state is State.REST and s.remaining_seconds == seconds
            if t >= since and starts and (not found or found[-1][1] <= t):
                end = next(
                    (u for u, x in self.entries if u > t and x.state is not State.REST), t_next
                )
                found.append((t, end))
        return found


def quiet_then(coach: Coach, seconds: float) -> None:
    coach.voice.wait_until_quiet(timeout=60)
    time.sleep(seconds)


def answer(coach: Coach, meant: int, after: float) -> None:
    # A number never read (the question ended first) is a question left unanswered.
    with contextlib.suppress(TimeoutError):
        coach.trainee.press_after(count(meant), REACTION, after=after, within=40)


def workout(coach: Coach, routine: Routine, mode: str, pain: tuple[int, int]) -> Run:
    """One whole workout, as described in the module's docstring."""
    run = Run(mode)
    log = StatusLog(coach)
    presses = coach.trainee.presses
    if presses:
        time.sleep(max(0.0, presses[-1].up + 1.0 - time.monotonic()))
    started = coach.trainee.press().down
    answer(coach, pain[0], started)
    coach.wait_for(lambda s: s.question is None and s.state is not State.IDLE, timeout=60)
    began = time.monotonic()
    counts = {ex.name: ex.count for ex in routine.exercises}
    paced_started: set[tuple[object, ...]] = set()
    doubled: set[str | None] = set()
    deadline = time.monotonic() + WORKOUT_TIMEOUT
    while (status := coach.spotter.status()).state is not State.DONE:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the {mode} workout did not end: {status}")
        state, name = status.state, status.exercise_name
        place = (name, status.set, status.side)
        if state in (State.HOLD, State.REST) or status.question is not None:
            coach.wait_for(lambda s, was=status: s != was, timeout=60)
            continue
        kind = counts.get(name or "")
        if state is State.SET and kind == "paced" and place in paced_started:
            coach.wait_for(lambda s, was=status: s != was, timeout=60)
            continue
        quiet_then(coach, SETTLE)
        if coach.spotter.status() != status:
            continue
        if state is State.INTRO and mode == "brief" and name not in doubled:
            doubled.add(name)
            first = coach.trainee.press()
            second = coach.trainee.press(first.up + DOUBLE_GAP)
            run.doubles.append((first, second))
            coach.wait_for(lambda s, was=status: s != was, timeout=5)
            paced_started.clear()  # a step back may reopen a paced set: start it again
            continue
        if state is State.SET and kind == "per_rep":
            coach.trainee.press()
            time.sleep(REP)
            continue
        if state is State.SET and kind == "per_set":
            time.sleep(SQUAT_SET)
        if state is State.SET and kind == "paced":
            paced_started.add(place)
        coach.trainee.press()
        coach.wait_for(lambda s, was=status: s != was, timeout=10)
    done = time.monotonic()
    answer(coach, pain[1], done)
    coach.wait_for(lambda s: s.question is None, timeout=60)
    log.close()
    # A score is kept once it can no longer be corrected, a few seconds after it was said.
    deadline = time.monotonic() + CORRECT_SECONDS + 10
    while True:
        entry = max(
            (e for e in coach.store.history() if e.id not in coach.seeded),
            key=lambda e: e.finished_at,
        )
        if entry.pain_after is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    run.answers = [(pain[0], entry.pain_before), (pain[1], entry.pain_after)]
    run.active = (began, done)
    run.rests = log.rests(5, began)
    return run


def talk_share(heard: list[Heard], span: tuple[float, float]) -> float:
    """The share of ``span`` (in %) during which a line was sounding."""
    a, b = span
    total = 0.0
    last_end = a
    for h in sorted(heard, key=lambda h: h.start):
        start, end = max(h.start, last_end), min(h.end, b)
        if end > start:
            total += end - start
            last_end = end
    return 100 * total / (b - a)


def countdown(heard: list[Heard], rests: list[tuple[float, float]]) -> tuple[list[float], int]:
    """The gaps between heard countdown numbers within each rest, and how many numbers
    were never heard."""
    gaps: list[float] = []
    dropped = 0
    for a, b in rests:
        numbers = [h for h in heard if h.text in COUNTDOWN and a <= h.start <= b + 0.3]
        dropped += len(COUNTDOWN) - len({h.text for h in numbers})
        gaps += [y.start - x.start for x, y in itertools.pairwise(numbers)]
    return gaps, dropped


def fragments(heard: list[Heard], doubles: list[tuple[Press, Press]]) -> list[float]:
    """Milliseconds of sound heard between each double's first press and the start of its
    own answer (what the single press's answer got out before it was cut)."""
    out = []
    for first, second in doubles:
        after = [h for h in heard if h.start > first.down]
        answer = next((h for h in after if h.start > second.up), None)
        stop = answer.start if answer is not None else second.up + 1.0
        out.append(
            1000 * sum(max(0.0, min(h.end, stop) - h.start) for h in after if h.start < stop)
        )
    return out


def run(quick: bool = False, *, hog: bool = True) -> list[Figure]:
    """Both workouts of the knee routine, on a busy machine (``hog``)."""
    routine = knee()
    with (
        tempfile.TemporaryDirectory(prefix="spotter-coaching-") as tmp,
        SoundCard() as card,
        coaching(Path(tmp) / "data", card, routine, worse_last_time=True) as coach,
    ):
        runs = []
        with cpu_hog(None if hog else 0):
            for mode, pain in (("full", (2, 5)), ("brief", (7, 3))):
                coach.store.update_settings({"verbosity": mode})
                coach.reload()
                time.sleep(0.3)
                runs.append(workout(coach, routine, mode, pain))
        heard = coach.lines_heard()
    return figures(runs, heard)


def figures(runs: list[Run], heard: list[Heard]) -> list[Figure]:
    answers = [a for r in runs for a in r.answers]
    right = sum(meant == stored for meant, stored in answers)
    rows = [
        Figure(
            f"Pain answers stored as heard (pressed {REACTION} s into the number)",
            right,
            None,
            f"of {len(answers)}",
            target="all",
            passed=right == len(answers),
            note="; ".join(f"meant {m}, stored {s}" for m, s in answers),
        )
    ]
    for r in runs:
        share = talk_share(heard, r.active)
        target = TARGET_TALK_FULL if r.mode == "full" else TARGET_TALK_BRIEF
        rows.append(
            Figure(
                f"Talk, {r.mode} mode (% of active time)",
                share,
                None,
                "%",
                target=f"<= {target:g} %",
                passed=share <= target,
                note=f"{r.active[1] - r.active[0]:.0f} s active",
            )
        )
    gaps, dropped = countdown(heard, [rest for r in runs for rest in r.rests])
    rests = sum(len(r.rests) for r in runs)
    even = max(gaps) / min(gaps) if gaps and min(gaps) > 0 else None
    rows.append(
        Figure(
            f"Countdown in 5 s rests: largest / smallest gap ({rests} rests)",
            even,
            None,
            "x",
            target=f"<= {TARGET_EVEN:g}x, about 1 s apart, none dropped",
            passed=even is not None
            and even <= TARGET_EVEN
            and min(gaps) >= 1 - EVEN_SLACK
            and max(gaps) <= 1 + EVEN_SLACK
            and dropped == 0,
            baseline="the engine's schedule: 1.0 s apart",
            note=(
                f"gaps {min(gaps):.2f}-{max(gaps):.2f} s; {dropped} of {3 * rests} numbers "
                "never heard"
                if gaps
                else f"no two numbers heard in one rest; {dropped} of {3 * rests} never heard"
            ),
        )
    )
    frags = fragments(heard, [d for r in runs for d in r.doubles])
    rows.append(
        Figure(
            f"Double-press fragments: single press's answer heard first ({len(frags)} doubles)",
            max(frags) if frags else None,
            None,
            "ms",
            target="0 ms",
            passed=bool(frags) and max(frags) == 0,
            note="largest; each: " + ", ".join(f"{f:.0f}" for f in frags),
        )
    )
    return rows
