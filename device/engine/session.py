"""The session engine: button actions and the passing of time in, lines to speak out.

A pure state machine: no I/O, no threads, no sleeps, and time only from the
injected clock. A press is answered with a few lines whose texts the routine
always speaks the same way (see ``device.engine.preview.routine_lines``), so their
audio can be rendered before the press and played the moment it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, replace
from typing import Any

from device.engine import hints, phrases
from device.engine.speech_time import estimate_seconds
from device.engine.state import (
    EPSILON,
    TIMED,
    SavedPosition,
    SessionRecord,
    SessionState,
    SetReps,
    countdown_calls,
    hold_calls,
    paced_calls,
)
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, Moment, State, Status
from routines.model import Exercise, Routine

__all__ = ["Coaching", "SavedPosition", "SessionMark", "SessionRecord", "WorkoutSession"]


def _no_address() -> Sequence[str] | str | None:
    return None


# A double-press undoes only a press this recent: longer than the longest
# double-press window the settings allow (1.5 s), short enough that a double
# from the web page never undoes an old press.
UNDO_WINDOW = 2.0
# How many steps ``back`` can retrace: far more than one exercise takes.
MAX_STEPS = 500
# Silence left between what a rest's start says and its countdown's first number, so
# the number is heard on its own.
COUNTDOWN_GAP = 0.5
# While paused the button means something else: a press carries on, a double skips
# the exercise, a long hold (asked twice) ends.
_WHILE_PAUSED = {Action.NEXT: Action.RESUME, Action.BACK: Action.SKIP}
# With a voice that reports, a timed phase waits at most this long past the expected end
# of the line that announces it for the report that it has been heard; then it goes on.
ANCHOR_WAIT = 10.0
# What stays as it is when ``back`` returns to an earlier step: time goes on.
_KEPT_ON_BACK = (
    "started_at",
    "paused_total",
    "idle_total",
    "elapsed_before",
    "brief",
    "sessions_this_week",
    "weekly_goal",
    "record",
    "last_spoken",
)


@dataclass(frozen=True, slots=True)
class SessionMark:
    """The whole session as it stood at one moment, to go back to (``restore``)."""

    state: SessionState
    steps: tuple[SessionState, ...]


@dataclass(frozen=True, slots=True)
class _Anchor:
    """A phase waiting to hear the line that announced it: when it was expected to end."""

    line: int
    expected: float
    base: float  # when the phase began, before any shift
    timed: bool  # a hold, rest or paced set (else the wait for a press)
    state: SessionState
    value: float  # phase_start or waiting_since after the shift, to know it is unchanged
    wait: bool  # a report will come: nothing of the phase happens before it


@dataclass(frozen=True, slots=True)
class Coaching:
    """How the engine coaches: the settings it reads, in engine units (seconds)."""

    default_rest: int = 30
    pace: float = 1.0
    verbosity: str = "auto"  # full, brief, or auto: brief once a routine is finished twice
    idle_reminder: float = 120.0
    idle_pause: float = 600.0
    abandon_after: float = 180 * 60.0


def following(exercise: Exercise, set_number: int, side: int) -> tuple[int, int] | None:
    """The (set, side) after this one, or None after the exercise's last."""
    sides = len(exercise.side_sequence)
    if exercise.side_order == "one_side_first" and sides > 1:
        if set_number < exercise.sets:
            return set_number + 1, side
        return (1, side + 1) if side + 1 < sides else None
    if side + 1 < sides:
        return set_number, side + 1
    return (set_number + 1, 0) if set_number < exercise.sets else None


class WorkoutSession:
    """One routine at a time, from the first press to the summary."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        default_rest: int = 30,
        gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
        coaching: Coaching | None = None,
        address: Callable[[], Sequence[str] | str | None] = _no_address,
        speech_seconds: Callable[[str], float] = estimate_seconds,
        double_window: float = 0.0,
        double_pending: Callable[[], bool] = lambda: False,
    ) -> None:
        """``address`` gives the phone page's URLs, the best first; it is asked only when
        the address is about to be spoken (idle or done), never mid-workout, and again each time,
        because Wi-Fi often comes up after Spotter does. ``speech_seconds`` says how long
        a line takes to say (the voice's real audio where it has it), which decides what
        fits in a short rest. ``double_window`` is how long a second press may follow a
        press and make a double: a press's words wait that long (see ``handle_gesture``),
        or, while ``double_pending`` says such a second press is down, until it is decided."""
        self._clock = clock
        self._address = address
        self._speech_seconds = speech_seconds
        self._double_window = double_window
        self._double_pending = double_pending
        # A press's words, held back until no double can follow: (when due, lines).
        self._held: tuple[float, list[Line]] | None = None
        self._coaching = replace(coaching or Coaching(), default_rest=default_rest)
        # The one gesture-to-action map: the engine asks it too (``action_for``).
        self._actions = _mapping(gesture_actions)
        self._words = phrases.ButtonWords.for_actions(self._actions)
        self._routine: Routine | None = None
        self._sessions_this_week = 0
        self._weekly_goal: int | None = None
        self._finished_before = 0
        self._s = SessionState()
        # The states before each step of the current exercise, for ``back``.
        self._steps: list[SessionState] = []
        self._undo: tuple[float, SessionState, list[SessionState]] | None = None
        # The line a phase just begun waits to be heard (its text, "" for the last line
        # said; when the phase began; timed or a wait), and the anchor that resulted.
        self._anchor_want: tuple[str, float, bool] | None = None
        self._anchor_taken: tuple[str, float, bool] | None = None
        self._anchor: _Anchor | None = None

    @property
    def _default_rest(self) -> int:
        return self._coaching.default_rest

    # -- configuration ---------------------------------------------------------------------

    def set_routine(
        self,
        routine: Routine | None,
        *,
        sessions_this_week: int = 0,
        weekly_goal: int | None = None,
        finished_before: int = 0,
    ) -> None:
        """The routine the next start uses, and how often the user has finished it
        (for ``auto`` verbosity); a workout in progress carries on unchanged."""
        self._routine = routine
        self._sessions_this_week = sessions_this_week
        self._weekly_goal = weekly_goal
        self._finished_before = finished_before

    def configure(
        self,
        *,
        default_rest: int,
        gesture_actions: Mapping[Gesture, Action],
        coaching: Coaching | None = None,
        double_window: float | None = None,
        speech_seconds: Callable[[str], float] | None = None,
    ) -> None:
        """Apply changed settings; rests and paced sets already running keep their length.
        ``speech_seconds``: how long a line takes to say (None: as it was)."""
        if double_window is not None:
            self._double_window = double_window
        if speech_seconds is not None:
            self._speech_seconds = speech_seconds
        self._coaching = replace(coaching or self._coaching, default_rest=default_rest)
        self._actions = _mapping(gesture_actions)
        self._words = phrases.ButtonWords.for_actions(self._actions)

    def action_for(self, gesture: Gesture) -> Action | None:
        """What ``gesture`` asks for under the settings in force (None: nothing)."""
        return self._actions.get(gesture)

    # -- inputs ----------------------------------------------------------------------------

    def greeting(self) -> list[Line]:
        """What a press would start, or that there is nothing to start."""
        return self._lines(self._greeting_texts(), interrupt=False)

    def handle_gesture(self, gesture: Gesture) -> list[Line]:
        """Answer a button gesture through the configured mapping.

        A double-press always begins with a press that was answered at once; when
        the double arrives, that press's effect is taken back before the double's
        own action runs (so a double mapped to ``back`` is one step back from
        where the user stood before the double).

        Mid-workout, where a double can follow, a press is answered at once by a tone
        that cuts whatever is being said, and its words come when the double window
        has passed (``tick``): a double then answers at once, without a fragment of
        the press's words before it. The press takes effect when its words are heard.
        """
        now = self._clock()
        held, self._held = self._held, None
        undo, self._undo = self._undo, None
        if gesture is Gesture.DOUBLE and undo is not None and now - undo[0] <= UNDO_WINDOW:
            _, self._s, self._steps = undo
            held = None  # the press's words were never said
        earlier = held[1] if held is not None else []
        action = self._actions.get(gesture)
        if action is None:
            return earlier
        if self._s.state is State.PAUSED:
            action = _WHILE_PAUSED.get(action, action)
        before = (copy(self._s), list(self._steps)) if gesture is Gesture.PRESS else None
        delay = self._double_window if self._double_may_follow(gesture) else 0.0
        lines = self._lines(self._act(action, now + delay), interrupt=True)
        if before is not None:
            self._undo = (now, *before)
        # The summary is said at once: what follows a workout (the pain question) must
        # come after it, and a double then has nothing to take back but the summary.
        if delay > 0 and lines and self._s.state is not State.DONE:
            self._held = (now + delay, lines)
            return [*earlier, Line("", interrupt=True, moment=Moment.PRESS)]
        return earlier + lines

    def _double_may_follow(self, gesture: Gesture) -> bool:
        """Whether a double could still take back this gesture's answer: a press mid-workout."""
        mid_workout = self._s.state not in (State.IDLE, State.DONE)
        return (
            gesture is Gesture.PRESS
            and mid_workout
            and self._double_window > 0
            and self._actions.get(Gesture.DOUBLE) is not None
        )

    def handle(self, action: Action) -> list[Line]:
        """Answer an action that did not come from the button (the web page's buttons).
        A press's words still held back come first, as they would have."""
        self._undo = None
        held, self._held = self._held, None
        earlier = held[1] if held is not None else []
        return earlier + self._lines(self._act(action, self._clock()), interrupt=True)

    def tick(self) -> list[Line]:
        """Everything the passing of time has made due by now."""
        now = self._clock()
        s = self._s
        lines: list[Line] = []
        if self._held is not None and now + EPSILON >= self._held[0] and not self._double_pending():
            lines, self._held = self._held[1], None
        while s.timed and self._held_for_anchor(now) is None:
            due = now - s.phase_start + EPSILON
            latest: Line | None = None
            # When several calls fell due together only the newest still makes sense.
            while s.next_call < len(s.calls) and s.calls[s.next_call][0] <= due:
                offset, text = s.calls[s.next_call]
                latest = Line(text, due=s.phase_start + offset, moment=phrases.moment_of(text))
                s.next_call += 1
            if due < s.phase_length:
                if latest is not None:
                    lines.append(latest)
                break
            # The next phase starts when this one was due to end, not when the
            # worker got round to it, so lateness never adds up.
            end = s.phase_start + s.phase_length
            if s.state is State.HOLD:
                texts = [phrases.release(), *self._side_done(end)]
            elif s.pacing:
                # Back from the rest that follows reopens the set at its last rep.
                self._push_step(end)
                s.pacing = False
                self._record_reps(s.current.reps or 0)
                texts = self._side_done(end)
            else:
                texts = phrases.rest_over(self._enter_position(end))
            self._settle_rest(texts, end)
            # The lines that end a hold or a rest are said however late they come.
            lines.extend(
                Line(text, due=end, keep=True, moment=phrases.moment_of(text)) for text in texts
            )
            if s.waiting:
                s.waiting_since, s.reminded = end, False
                if self._anchor_want is None:
                    self._count_from("", end, timed=False)
        lines.extend(self._nobody_pressing(now))
        if lines:
            self._s.last_spoken = lines[-1].text
        return lines

    def offer_resume(
        self,
        position: SavedPosition,
        *,
        sessions_this_week: int = 0,
        weekly_goal: int | None = None,
    ) -> list[Line]:
        """Wait idle with an offer: NEXT resumes where the workout stopped, REPEAT or
        SKIP starts over. The week's figures are those of the saved workout's routine."""
        self._s = self._fresh(
            offer=position,
            offer_sessions_this_week=sessions_this_week,
            offer_weekly_goal=weekly_goal,
        )
        self._undo = None
        self._steps = []
        return self._lines(self._offer_texts(), interrupt=False)

    # -- what was heard --------------------------------------------------------------------

    def take_anchor(self) -> str | None:
        """The text of the line the phase just begun counts from (a hold or rest from its
        instruction; the wait for a press from the last line said, ""), once; None: none."""
        self._anchor_taken, self._anchor_want = self._anchor_want, None
        return None if self._anchor_taken is None else self._anchor_taken[0]

    def keep_anchor(self) -> None:
        """The line ``take_anchor`` named is not said yet: ask again with the next lines."""
        if self._anchor_want is None:
            self._anchor_want, self._anchor_taken = self._anchor_taken, None

    def anchor(self, line: int, expected_end: float, *, reported: bool = False) -> None:
        """Line ``line`` is the one to count from, expected to be heard to its end at
        ``expected_end``: the phase starts then rather than when it was begun. With
        ``reported``, the voice will say when it was heard, and a timed phase says nothing
        and ends nothing before that (for ``ANCHOR_WAIT`` past the expected end at most)."""
        want, self._anchor_taken = self._anchor_taken, None
        if want is None:
            return
        _, base, timed = want
        self._anchor = None
        value = self._shift(timed, max(0.0, expected_end - base))
        if value is not None:
            self._anchor = _Anchor(line, expected_end, base, timed, self._s, value, reported)

    def heard_end(self, line: int, at: float) -> None:
        """The voice says line ``line`` was heard to its end at ``at``."""
        anchor = self._anchor
        if anchor is None or anchor.line != line:
            return
        self._anchor = None
        s = self._s
        current = s.phase_start if anchor.timed else s.waiting_since
        if anchor.state is not s or current != anchor.value:
            return  # the phase it announced is over
        self._shift(anchor.timed, max(at, anchor.base) - anchor.expected)

    def _held_for_anchor(self, now: float) -> float | None:
        """While a timed phase waits to hear its announcement: until when at most."""
        anchor = self._anchor
        if anchor is None or not (anchor.wait and anchor.timed) or anchor.state is not self._s:
            return None
        if self._s.phase_start != anchor.value:
            return None
        until = anchor.expected + ANCHOR_WAIT
        return until if now < until else None

    def _shift(self, timed: bool, delta: float) -> float | None:
        s = self._s
        if timed and (s.timed or s.paused_from in TIMED):
            s.phase_start += delta
            return s.phase_start
        if not timed and s.waiting:
            s.waiting_since += delta
            return s.waiting_since
        return None

    def _count_from(self, text: str, at: float, *, timed: bool = True) -> None:
        """The phase begun at ``at`` counts from when ``text`` has been heard."""
        self._anchor_want = (text, at, timed)

    def mark(self) -> SessionMark:
        """The session as it stands, to ``restore`` later."""
        return SessionMark(copy(self._s), tuple(copy(step) for step in self._steps))

    def restore(self, mark: SessionMark) -> None:
        """Go back to ``mark`` as if nothing had happened since."""
        self._s = copy(mark.state)
        self._steps = [copy(step) for step in mark.steps]
        self._undo = None
        self._held = None
        self._anchor = self._anchor_want = self._anchor_taken = None

    # -- outputs ---------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Clock time of the next thing ``tick`` will do; None when nothing is timed."""
        due = self._deadline()
        # While a second press is down its release decides, not the clock.
        if self._held is not None and not self._double_pending():
            return self._held[0] if due is None else min(due, self._held[0])
        return due

    def _deadline(self) -> float | None:
        s = self._s
        if s.timed:
            held = self._held_for_anchor(self._clock())
            return s.next_due() if held is None else held
        if s.waiting:
            wait = self._coaching.idle_pause if s.reminded else self._coaching.idle_reminder
            return s.waiting_since + wait
        if s.state is State.PAUSED:
            return s.paused_at + self._coaching.abandon_after
        return None

    def waiting_for_press(self) -> bool:
        """True when only a press moves the workout on (time brings only reminders)."""
        return self._s.waiting

    def state(self) -> State:
        """``status().state``, without building the rest of the status."""
        return self._s.state

    def exercise_under_way(self) -> int | None:
        """``status().exercise_index``: the exercise a workout is at, None when none is
        under way. A run-through asks after every line, where a whole status would cost
        most of its time."""
        s = self._s
        return None if s.state in (State.IDLE, State.DONE) else s.exercise

    def status(self) -> Status:
        """What the phone page shows."""
        status = self._s.status(self._clock(), idle_routine=self._routine)
        press = self._actions.get(Gesture.PRESS)
        return replace(
            status,
            press_does=hints.press_does(self._s, press, self._routine),
            next_up=hints.next_up(self._s),
        )

    def late_lines(self) -> list[str]:
        """Lines whose words depend on this run, as they would read if it went on as
        planned from now: the week's count (known from the start) and, on the last
        exercise, the summary for each of the next few minutes it could end in. A voice
        slower than the workout renders them while there is time."""
        s = self._s
        if s.state is State.DONE:
            return []
        if s.state is State.IDLE:
            if self._routine is None or s.offer is not None:
                return []
            return [
                phrases.weekly_progress(
                    self._sessions_this_week + 1, self._weekly_goal, counted=True
                )
            ]
        week, goal = s.sessions_this_week, s.weekly_goal
        lines = [
            phrases.weekly_progress(week + 1, goal, counted=True),
            phrases.weekly_progress(week, goal, counted=False),
        ]
        routine = self._routine_of_run()
        if s.exercise == len(routine.exercises) - 1:
            done = list(s.finished_sets)
            done[s.exercise] = routine.exercises[s.exercise].sets
            exercises = sum(1 for n in done if n > 0)
            seconds = s.active_seconds(self._clock())
            # Rounded to the minute when said: now, or one or two minutes on.
            lines += [
                phrases.summary(exercises, sum(done), seconds + 60 * more) for more in range(3)
            ]
        return list(dict.fromkeys(lines))

    def finished(self) -> SessionRecord | None:
        """The record ``pop_finished`` would give, left for it."""
        return self._s.record

    def pop_finished(self) -> SessionRecord | None:
        """The record of a workout that finished or was ended, once."""
        record, self._s.record = self._s.record, None
        if record is not None:
            # Once in the history, the press that finished it stays done.
            self._undo = None
        return record

    def snapshot(self) -> SavedPosition | None:
        """Where the workout stands, for resuming after a power cut; None if nothing to resume.

        It changes when the position (exercise, set, side, rep, a hold's whole seconds)
        does, so saving it on every change costs a write per step, not per tick.
        """
        s = self._s
        if s.state is State.IDLE:
            return s.offer
        if s.state is State.DONE:
            return None
        return s.position(self._clock())

    # -- the state machine -----------------------------------------------------------------

    def _lines(self, texts: list[str], *, interrupt: bool) -> list[Line]:
        if texts:
            self._s.last_spoken = texts[-1]
        return [
            Line(text, interrupt=interrupt and i == 0, moment=phrases.moment_of(text))
            for i, text in enumerate(texts)
        ]

    def _act(self, action: Action, now: float) -> list[str]:
        s = self._s
        self._anchor_want = None
        if s.waiting:
            self._someone_pressed(now)
        if action is Action.EXTEND_REST:
            texts = self._extend_rest(now)
        elif s.state is State.IDLE:
            texts = self._act_idle(action, now)
        elif action is Action.REPEAT:
            texts = self._repeat(now)
        elif s.state is State.DONE:
            texts = self._act_done(action, now)
        elif action is Action.END:
            texts = self._conclude(now, reached_end=False)
        elif s.state is State.PAUSED:
            texts = self._act_paused(action, now)
        elif action is Action.PAUSE:
            s.paused_from, s.state, s.paused_at = s.state, State.PAUSED, now
            texts = [phrases.paused(self._words)]
        elif action is Action.RESUME:
            texts = []
        elif action is Action.BACK:
            texts = self._back(now)
        else:
            self._push_step(now)
            texts = self._skip(now) if action is Action.SKIP else self._next(now)
        if self._s.waiting:
            self._s.waiting_since, self._s.reminded = now, False
            if self._anchor_want is None:
                # The wait for a press (and its reminder) starts once the prompt is heard.
                self._count_from("", now, timed=False)
        self._settle_rest(texts, now)
        return texts

    def _settle_rest(self, texts: list[str], start: float) -> None:
        """A rest that ``texts`` open counts from when its opening line has been said,
        ``start`` being when the first of them is."""
        s = self._s
        opening, s.opening = s.opening, None
        if opening is None or s.state is not State.REST or opening not in texts:
            return
        said = texts[: texts.index(opening) + 1]
        s.phase_start = start + self._talk(said)
        # That is an estimate: the voice's report of when it was heard has the last word.
        self._count_from(opening, s.phase_start)

    def _talk(self, texts: Sequence[str]) -> float:
        """Seconds it takes to say ``texts``, one after the other."""
        return sum(self._speech_seconds(text) for text in texts)

    def _act_idle(self, action: Action, now: float) -> list[str]:
        offer = self._s.offer
        if action in (Action.NEXT, Action.RESUME):
            return self._start(now) if offer is None else self._resume(now)
        if action is Action.SKIP or (action is Action.REPEAT and offer is not None):
            return self._start(now)
        if action is Action.REPEAT:
            return self._greeting_texts()
        if action is Action.PAUSE:
            return [phrases.address(self._address())]
        if action is Action.END and offer is not None:  # the saved workout is given up
            self._s = self._fresh()
            return self._greeting_texts()
        # BACK: nothing to step back from; say what a press would do.
        return self._offer_texts() if offer is not None else self._greeting_texts()

    def _act_done(self, action: Action, now: float) -> list[str]:
        if action in (Action.NEXT, Action.SKIP):
            # One press after a workout starts the next one.
            self._s = self._fresh()
            return self._start(now)
        if action is Action.PAUSE:
            return [phrases.address(self._address())]
        return []

    def _act_paused(self, action: Action, now: float) -> list[str]:
        s = self._s
        if action is Action.PAUSE:
            if s.confirming_end:
                return self._conclude(now, reached_end=False)
            s.confirming_end = True
            return [phrases.confirm_end(self._words)]
        self._unpause(now)
        if action is Action.SKIP:
            self._push_step(now)
            return self._skip(now)
        if action is Action.BACK:
            return self._back(now)
        return [phrases.resumed()]

    def _unpause(self, now: float) -> None:
        s = self._s
        gap = now - s.paused_at
        s.paused_total += gap
        s.phase_start += gap  # the hold, rest or paced rep picks up exactly where it stopped
        assert s.paused_from is not None
        s.state, s.paused_from, s.confirming_end = s.paused_from, None, False

    def _start(self, now: float) -> list[str]:
        routine = self._routine
        if routine is None:
            return [phrases.no_routine()]
        self._steps = []
        self._s = self._fresh(
            state=State.INTRO,
            routine=routine,
            finished_sets=(0,) * len(routine.exercises),
            started_at=now,
            brief=self._brief_for(routine),
            sessions_this_week=self._sessions_this_week,
            weekly_goal=self._weekly_goal,
        )
        return [phrases.safety(), *self._intro()]

    def _brief_for(self, routine: Routine) -> bool:
        verbosity = self._coaching.verbosity
        if verbosity == "auto":
            same = self._routine is not None and self._routine.id == routine.id
            return same and self._finished_before >= 2
        return verbosity == "brief"

    def _resume(self, now: float) -> list[str]:
        """Straight back into the set that was cut short, at its side, rep or hold time."""
        saved = self._s.offer
        assert saved is not None
        week = self._s.offer_sessions_this_week, self._s.offer_weekly_goal
        self._steps = []
        self._s = self._fresh(
            state=State.SET,
            routine=saved.routine,
            exercise=saved.exercise,
            set_number=saved.set_number,
            side=saved.side,
            rep=saved.rep,
            hold_offset=saved.hold_elapsed,
            finished_sets=saved.finished_sets,
            started_at=now,
            elapsed_before=saved.elapsed,
            position_elapsed=saved.elapsed,
            brief=self._brief_for(saved.routine),
            sessions_this_week=week[0],
            weekly_goal=week[1],
        )
        s = self._s
        ex = s.current
        side = ex.side_sequence[s.side]
        rep = s.rep + 1 if ex.reps is not None and ex.count != "per_set" else 0
        lines = [phrases.carrying_on(ex, s.set_number, side, rep)]
        if (cue := ex.side_cue(side)) is not None:
            lines.append(phrases.sentence(cue))
        lines.extend(phrases.short_cue(ex))
        if ex.hold_seconds is not None and s.hold_offset > 0:
            left = round(ex.hold_seconds - s.hold_offset)
            lines.append(phrases.resume_hold_task(left, self._words))
        elif s.rep > 0 and ex.reps is not None and ex.count != "per_set":
            lines.append(self._to_go(s.rep))
        else:
            lines.append(phrases.task(ex, self._words))
        return lines

    def _next(self, now: float) -> list[str]:
        s = self._s
        if s.state is State.INTRO:
            return self._announce_set(now)
        if s.state is State.HOLD:
            return [phrases.release(), *self._side_done(now)]
        if s.state is State.REST:
            return phrases.rest_over(self._enter_position(now))
        ex = s.current
        if ex.hold_seconds is not None:
            return self._begin_hold(now, ex.hold_seconds)
        if ex.count == "per_set":
            self._record_reps(ex.reps or 0)
            return self._side_done(now)
        if ex.is_paced:
            if s.pacing:  # a press stops a paced set: the rep under way counts
                done = s.paced_rep(now)
                s.pacing = False
                self._record_reps(done)
                return self._side_done(now)
            return self._start_pacing(now, s.rep + 1)
        s.rep += 1
        texts = [phrases.rep_counted(s.rep)]
        if ex.reps is not None and s.rep >= ex.reps:
            self._record_reps(s.rep)
            texts.extend(self._side_done(now))
        return texts

    def _begin_hold(self, now: float, seconds: int) -> list[str]:
        s = self._s
        offset, s.hold_offset = s.hold_offset, 0.0
        s.state, s.phase_start, s.phase_length = State.HOLD, now - offset, float(seconds)
        s.calls = hold_calls(seconds, brief=s.brief)
        s.next_call = sum(1 for at, _ in s.calls if at <= offset + EPSILON)
        if offset > 0:
            text = phrases.hold_remaining(round(seconds - offset))
        else:
            text = phrases.hold_start(seconds)
        # The hold's time runs from the end of the instruction, as the trainee hears it.
        self._count_from(text, now)
        return [text]

    def _start_pacing(self, now: float, from_rep: int) -> list[str]:
        """Pace the set from ``from_rep`` on: its first word now, the rest on the clock."""
        s = self._s
        ex = s.current
        assert ex.reps is not None
        s.rep_seconds = ex.rep_seconds(self._coaching.pace)
        s.calls = paced_calls(ex, self._coaching.pace)
        offset = (from_rep - 1) * s.rep_seconds
        s.pacing, s.phase_start = True, now - offset
        s.phase_length = ex.reps * s.rep_seconds
        first = next(i for i, (at, _) in enumerate(s.calls) if at >= offset - EPSILON)
        s.next_call = first + 1
        return [s.calls[first][1]]

    def _extend_rest(self, now: float) -> list[str]:
        s = self._s
        if State.REST not in (s.state, s.paused_from):
            return [phrases.no_rest_to_extend()]
        s.phase_length += phrases.EXTRA_REST_SECONDS
        s.calls = countdown_calls(round(s.phase_length))
        # The countdown moves to the new end; numbers already said are said again there.
        elapsed = (s.paused_at if s.state is State.PAUSED else now) - s.phase_start
        s.next_call = sum(1 for offset, _ in s.calls if offset <= elapsed + EPSILON)
        return [phrases.rest_extended(phrases.EXTRA_REST_SECONDS)]

    def _begin_phase(self, state: State, at: float, seconds: int) -> None:
        s = self._s
        s.state, s.phase_start, s.phase_length, s.next_call = state, at, float(seconds), 0
        if state is State.HOLD:
            s.calls = hold_calls(seconds, brief=s.brief)
        else:
            s.calls = countdown_calls(seconds)

    def _record_reps(self, done: int) -> None:
        s = self._s
        ex = s.current
        if ex.reps is not None:
            side = ex.side_sequence[s.side]
            s.set_reps = (*s.set_reps, SetReps(ex.name, s.set_number, done, ex.reps, side))

    def _side_done(self, at: float) -> list[str]:
        """The side in progress is finished: the other side, a rest, the next set or the end."""
        s = self._s
        ex = s.current
        s.rep, s.hold_offset = 0, 0.0
        after = following(ex, s.set_number, s.side)
        if s.side == len(ex.side_sequence) - 1:
            done = list(s.finished_sets)
            done[s.exercise] += 1
            s.finished_sets = tuple(done)
        if after is not None and after[0] == s.set_number:
            s.side, s.state = after[1], State.SET
            side = ex.side_sequence[s.side]
            assert side is not None
            first = s.set_number == 1  # what to press is said in the exercise's first set
            return phrases.switch_side(ex, side, self._words, brief=s.brief, prompt=first)
        texts = [phrases.set_done()]
        if after is not None:
            self._move_to(s.exercise, after[0], at, side=after[1])
            return texts + self._rest(ex.rest_between_sets(self._default_rest), at)
        if s.exercise + 1 < len(self._routine_of_run().exercises):
            self._move_to(s.exercise + 1, 1, at)
            return texts + self._rest(ex.rest_after(self._default_rest), at, coming=True)
        return texts + self._conclude(at, reached_end=True)

    def _move_to(self, exercise: int, set_number: int, at: float, *, side: int = 0) -> None:
        s = self._s
        s.exercise, s.set_number, s.side, s.rep = exercise, set_number, side, 0
        s.position_elapsed = s.active_seconds(at)

    def _rest(self, seconds: int, at: float, *, coming: bool = False) -> list[str]:
        """A rest of ``seconds`` from when its opening line has been said; ``coming``: before
        a new exercise, which the rest names with what to bring.

        What the rest says must end before its countdown, which stays whole and even:
        the news of the next exercise is said in full if it fits, else in one short
        sentence, else that sentence moves before the rest's opening line."""
        if seconds <= 0:
            return self._enter_position(at)
        self._begin_phase(State.REST, at, seconds)
        s = self._s
        opening = s.opening = phrases.rest(seconds)
        if not coming:
            return [opening]
        s.named = s.exercise
        bring = self._to_bring()
        countdown = s.calls[0][0] if s.calls else float(seconds)
        for news in (phrases.up_next(s.current, bring), phrases.up_next_short(s.current, bring)):
            if self._talk(news) + COUNTDOWN_GAP <= countdown + EPSILON:
                return [opening, *news]
        return [*phrases.up_next_short(s.current, bring), opening]

    def _to_bring(self) -> tuple[str, ...]:
        """What the current exercise needs that the one before it did not already use."""
        s = self._s
        in_use = self._routine_of_run().exercises[s.exercise - 1].equipment if s.exercise else ()
        return tuple(item for item in s.current.equipment if item not in in_use)

    def _enter_position(self, at: float) -> list[str]:
        """After a rest: a new exercise is introduced, a further set announced."""
        if self._s.set_number == 1 and self._s.side == 0:
            self._s.state = State.INTRO
            return self._intro()
        return self._announce_set(at)

    def _announce_set(self, at: float) -> list[str]:
        s = self._s
        s.state, s.rep = State.SET, 0
        # A resumed workout restarts here, so this is the time its snapshot keeps.
        s.position_elapsed = s.active_seconds(at)
        return self._set_texts(brief=s.brief)

    def _skip(self, now: float) -> list[str]:
        s = self._s
        s.pacing, s.hold_offset = False, 0.0
        if s.exercise + 1 < len(self._routine_of_run().exercises):
            self._move_to(s.exercise + 1, 1, now)
            s.state = State.INTRO
            return self._intro()
        return self._conclude(now, reached_end=True)

    def _conclude(self, at: float, *, reached_end: bool) -> list[str]:
        """The workout is over: the summary, and the record for the history."""
        s = self._s
        routine = self._routine_of_run()
        seconds = s.active_seconds(at)
        exercises = sum(1 for n in s.finished_sets if n > 0)
        sets = sum(s.finished_sets)
        # Skipping every exercise to the end is not a workout done.
        completed = reached_end and exercises > 0
        week = s.sessions_this_week + (1 if completed else 0)
        texts = [
            phrases.complete() if completed else phrases.ended(),
            phrases.summary(exercises, sets, seconds),
            phrases.weekly_progress(week, s.weekly_goal, counted=completed),
        ]
        s.record = SessionRecord(
            routine.id,
            routine.name,
            exercises,
            sets,
            seconds,
            completed,
            s.set_reps,
            routine.total_sets,
        )
        s.state, s.paused_from, s.confirming_end, s.pacing = State.DONE, None, False, False
        s.summary = tuple(texts)
        self._steps = []
        return texts

    # -- back ------------------------------------------------------------------------------

    def _push_step(self, now: float) -> None:
        """Remember the state before a step, so ``back`` can return to it."""
        before = copy(self._s)
        if before.pacing:
            # Back into a stopped paced set picks up at the rep it was stopped on.
            before.rep = before.paced_rep(now) - 1
        if self._steps and self._steps[-1].exercise != before.exercise:
            self._steps = []  # back goes no further than the start of the exercise
        self._steps.append(before)
        del self._steps[:-MAX_STEPS]

    def _back(self, now: float) -> list[str]:
        """Return to the state before the last step, with time going on as it did."""
        s = self._s
        if s.pacing and s.paced_rep(now) > 1:
            # One rep back, and the pace goes on from there; in the first rep, back to
            # before the press that started the pace.
            return [phrases.going_back(), *self._start_pacing(now, s.paced_rep(now) - 1)]
        if not self._steps:
            return [phrases.nothing_to_take_back()]
        previous = self._steps.pop()
        restored = replace(previous, **{name: getattr(s, name) for name in _KEPT_ON_BACK})
        self._s = restored
        texts = [phrases.going_back()]
        if restored.pacing:
            return texts + self._start_pacing(now, restored.rep + 1)
        if restored.state in TIMED:
            # A hold ended early starts again in full; a skipped rest returns in full.
            assert restored.state is not State.PAUSED
            seconds = int(restored.phase_length)
            self._begin_phase(restored.state, now, seconds)
            if restored.state is State.HOLD:
                self._count_from(phrases.hold_start(seconds), now)
                return [*texts, phrases.hold_start(seconds)]
            restored.opening = phrases.rest(seconds)  # the rest counts from when it is said
            return [*texts, restored.opening]
        if restored.state is State.INTRO:
            return texts + self._intro()
        # Back in a set: where it stands, and what to press to carry on.
        announced = self._set_texts(brief=False, cues=False, prompt=True)
        if restored.rep > 0 and restored.current.reps is not None:
            return [*texts, *announced[:-1], self._to_go(restored.rep)]
        return texts + announced

    # -- nobody pressing -------------------------------------------------------------------

    def _someone_pressed(self, now: float) -> None:
        """A wait for a press ends: time past the reminder was not workout time."""
        s = self._s
        remind_at = s.waiting_since + self._coaching.idle_reminder
        if now > remind_at:
            s.idle_total += now - remind_at
        s.waiting_since, s.reminded = now, False

    def _nobody_pressing(self, now: float) -> list[Line]:
        s = self._s
        c = self._coaching
        if s.waiting:
            remind_at = s.waiting_since + c.idle_reminder
            pause_at = s.waiting_since + c.idle_pause
            if now + EPSILON >= pause_at:
                s.idle_total += pause_at - remind_at
                s.paused_from, s.state, s.paused_at = s.state, State.PAUSED, pause_at
                return [Line(phrases.auto_paused(self._words), due=pause_at)]
            if now + EPSILON >= remind_at and not s.reminded:
                s.reminded = True
                return [Line(phrases.still_there(self._words), due=remind_at)]
        if s.state is State.PAUSED and now + EPSILON >= s.paused_at + c.abandon_after:
            # Nobody came back: what was done is kept, and the next press starts afresh.
            texts = self._conclude(s.paused_at, reached_end=False)
            self._s = self._fresh()
            return [Line(text) for text in texts]
        return []

    # -- texts -----------------------------------------------------------------------------

    def _repeat(self, now: float) -> list[str]:
        s = self._s
        if s.state is State.DONE:
            return list(s.summary)
        if s.state is State.PAUSED:
            return [
                phrases.confirm_end(self._words)
                if s.confirming_end
                else phrases.paused(self._words)
            ]
        if s.state is State.INTRO:
            return self._intro(with_cues=True)
        ex = s.current
        if s.state is State.SET and ex.reps is not None and s.pacing:
            return [phrases.rep_of(s.paced_rep(now), ex.reps)]
        if s.state is State.SET and ex.reps is not None and s.rep > 0:
            return [self._to_go(s.rep), *(phrases.sentence(cue) for cue in ex.cues)]
        if s.state is State.SET:
            return self._set_texts(brief=False, cues=True)
        if s.state is State.HOLD:
            return phrases.keep_holding(ex, self._words)
        if s.set_number == 1 and s.side == 0:
            return [phrases.resting(self._words), *phrases.up_next(ex, self._to_bring())]
        return [phrases.resting(self._words)]

    def _to_go(self, done: int) -> str:
        """Where a set stands with ``done`` reps counted, and how to go on from there."""
        ex = self._s.current
        if ex.is_paced:
            return phrases.resume_paced_task(done + 1, self._words)
        return phrases.reps_to_go(done, ex, self._words)

    def _fresh(self, **fields: Any) -> SessionState:
        """A new state; what was last said and a record not yet collected carry over."""
        return SessionState(last_spoken=self._s.last_spoken, record=self._s.record, **fields)

    def _routine_of_run(self) -> Routine:
        assert self._s.routine is not None
        return self._s.routine

    def _intro(self, *, with_cues: bool = False) -> list[str]:
        s = self._s
        total = len(self._routine_of_run().exercises)
        # Equipment is named once per exercise: here, unless the rest before named it.
        named = s.named == s.exercise and not with_cues
        return phrases.exercise_intro(
            s.current,
            s.exercise + 1,
            total,
            with_cues=with_cues,
            brief=s.brief,
            words=self._words,
            equipment=() if named else self._to_bring(),
        )

    def _last_set(self) -> bool:
        s = self._s
        return following(s.current, s.set_number, s.side) is None or (
            s.current.side_order == "alternate" and s.set_number == s.current.sets
        )

    def _set_texts(
        self, *, brief: bool, cues: bool | None = None, prompt: bool | None = None
    ) -> list[str]:
        """A set's announcement. The movement cues and what to press come with the
        exercise's first set (in full), and whenever asked for: the set-up is said once
        per exercise, and later sets say their reps or the hold's length."""
        s = self._s
        first = s.set_number == 1 and s.side == 0
        return phrases.set_announcement(
            s.current,
            s.set_number,
            s.current.side_sequence[s.side],
            self._words,
            brief=brief,
            last=self._last_set(),
            cues=(not brief and first) if cues is None else cues,
            prompt=(first or cues is True) if prompt is None else prompt,
        )

    def _greeting_texts(self) -> list[str]:
        if self._routine is None:
            return [phrases.no_routine()]
        return [phrases.greeting(self._routine.name, self._words)]

    def _offer_texts(self) -> list[str]:
        saved = self._s.offer
        assert saved is not None
        ex = saved.routine.exercises[saved.exercise]
        counted = ex.reps is not None and ex.count != "per_set"
        return phrases.resume_offer(
            saved.routine.name,
            ex.name,
            saved.set_number,
            ex.sets,
            self._words,
            side=ex.side_sequence[saved.side],
            rep=saved.rep + 1 if counted else 0,
        )


def _mapping(gesture_actions: Mapping[Gesture, Action]) -> dict[Gesture, Action]:
    return {Gesture(g): Action(a) for g, a in gesture_actions.items()}
