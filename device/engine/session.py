"""The session engine: button actions and the passing of time in, lines to speak out.

A pure state machine: no I/O, no threads, no sleeps, and time only from the
injected clock. A press is answered with a few lines whose texts the routine
always speaks the same way (see ``device.engine.preview.routine_lines``), so their
audio can be rendered before the press and played the moment it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from copy import copy
from typing import Any

from device.engine import phrases
from device.engine.state import (
    EPSILON,
    TIMED,
    SavedPosition,
    SessionRecord,
    SessionState,
    countdown_cues,
    hold_cues,
)
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State, Status
from routines.model import Routine

__all__ = ["SavedPosition", "SessionRecord", "WorkoutSession"]


def _no_address() -> str | None:
    return None


# A double-press undoes only a press this recent: longer than the longest
# double-press window the settings allow (1.5 s), short enough that a double
# from the web page never undoes an old press.
UNDO_WINDOW = 2.0


class WorkoutSession:
    """One routine at a time, from the first press to the summary."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        default_rest: int = 30,
        gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
        address: Callable[[], str | None] = _no_address,
    ) -> None:
        """``address`` gives the phone page's URL; it is asked only when the address is
        about to be spoken (idle or done), never mid-workout, and again each time,
        because Wi-Fi often comes up after Spotter does."""
        self._clock = clock
        self._address = address
        self._default_rest = default_rest
        self._actions = dict(gesture_actions)
        self._words = phrases.ButtonWords.for_actions(self._actions)
        self._routine: Routine | None = None
        self._sessions_this_week = 0
        self._weekly_goal: int | None = None
        self._s = SessionState()
        self._undo: tuple[float, SessionState] | None = None

    # -- configuration ---------------------------------------------------------------------

    def set_routine(
        self,
        routine: Routine | None,
        *,
        sessions_this_week: int = 0,
        weekly_goal: int | None = None,
    ) -> None:
        """The routine the next start uses; a workout in progress carries on unchanged."""
        self._routine = routine
        self._sessions_this_week = sessions_this_week
        self._weekly_goal = weekly_goal

    def configure(self, *, default_rest: int, gesture_actions: Mapping[Gesture, Action]) -> None:
        """Apply changed settings; rests already running keep their length."""
        self._default_rest = default_rest
        self._actions = dict(gesture_actions)
        self._words = phrases.ButtonWords.for_actions(self._actions)

    # -- inputs ----------------------------------------------------------------------------

    def greeting(self) -> list[Line]:
        """What a press would start, or that there is nothing to start."""
        return self._lines(self._greeting_texts(), interrupt=False)

    def handle_gesture(self, gesture: Gesture) -> list[Line]:
        """Answer a button gesture through the configured mapping.

        A double-press always begins with a press that was answered at once; when
        the double arrives, that press's effect is taken back before the double's
        own action runs.
        """
        now = self._clock()
        undo, self._undo = self._undo, None
        if gesture is Gesture.DOUBLE and undo is not None and now - undo[0] <= UNDO_WINDOW:
            self._s = undo[1]
        action = self._actions.get(gesture)
        if action is None:
            return []
        before = copy(self._s) if gesture is Gesture.PRESS else None
        lines = self._lines(self._act(action, now), interrupt=True)
        if before is not None:
            self._undo = (now, before)
        return lines

    def handle(self, action: Action) -> list[Line]:
        """Answer an action that did not come from the button (the web page's buttons)."""
        self._undo = None
        return self._lines(self._act(action, self._clock()), interrupt=True)

    def tick(self) -> list[Line]:
        """Everything the passing of time has made due by now."""
        now = self._clock()
        s = self._s
        texts: list[str] = []
        while s.state in TIMED:
            due = now - s.phase_start + EPSILON
            latest: str | None = None
            # When several cues fell due together only the newest still makes sense.
            while s.next_cue < len(s.cues) and s.cues[s.next_cue][0] <= due:
                latest = s.cues[s.next_cue][1]
                s.next_cue += 1
            if due < s.phase_length:
                if latest is not None:
                    texts.append(latest)
                break
            # The next phase starts when this one was due to end, not when the
            # worker got round to it, so lateness never adds up.
            end = s.phase_start + s.phase_length
            if s.state is State.HOLD:
                texts.append(phrases.release())
                texts.extend(self._side_done(end))
            else:
                texts.extend(self._enter_position(end))
        return self._lines(texts, interrupt=False)

    def offer_resume(
        self,
        position: SavedPosition,
        *,
        sessions_this_week: int = 0,
        weekly_goal: int | None = None,
    ) -> list[Line]:
        """Wait idle with an offer: NEXT resumes at the start of the set in progress,
        SKIP starts over. The week's figures are those of the saved workout's routine."""
        self._s = self._fresh(
            offer=position,
            offer_sessions_this_week=sessions_this_week,
            offer_weekly_goal=weekly_goal,
        )
        self._undo = None
        return self._lines(self._offer_texts(), interrupt=False)

    # -- outputs ---------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Clock time of the next thing ``tick`` will say; None when nothing is timed."""
        return self._s.next_due() if self._s.state in TIMED else None

    def status(self) -> Status:
        """What the phone page shows."""
        return self._s.status(self._clock(), idle_routine=self._routine)

    def pop_finished(self) -> SessionRecord | None:
        """The record of a workout that finished or was ended, once."""
        record, self._s.record = self._s.record, None
        if record is not None:
            # Once in the history, the press that finished it stays done.
            self._undo = None
        return record

    def snapshot(self) -> SavedPosition | None:
        """Where the workout stands, for resuming after a power cut; None if nothing to resume.

        It changes only when the position (exercise, set, side) does, so saving it
        on every change costs a write per set, not per tick.
        """
        s = self._s
        if s.state is State.IDLE:
            return s.offer
        if s.state is State.DONE:
            return None
        return s.position()

    # -- the state machine -----------------------------------------------------------------

    def _lines(self, texts: list[str], *, interrupt: bool) -> list[Line]:
        if texts:
            self._s.last_spoken = texts[-1]
        return [Line(text, interrupt=interrupt and i == 0) for i, text in enumerate(texts)]

    def _act(self, action: Action, now: float) -> list[str]:
        s = self._s
        if action is Action.REPEAT:
            return self._repeat()
        if s.state is State.IDLE:
            return self._act_idle(action, now)
        if s.state is State.DONE:
            return self._act_done(action)
        if action is Action.END:
            return self._conclude(now, reached_end=False)
        if s.state is State.PAUSED:
            return self._act_paused(action, now)
        if action is Action.PAUSE:
            s.paused_from, s.state, s.paused_at = s.state, State.PAUSED, now
            return [phrases.paused(self._words)]
        if action is Action.SKIP:
            return self._skip(now)
        return self._next(now)

    def _act_idle(self, action: Action, now: float) -> list[str]:
        offer = self._s.offer
        if action is Action.NEXT:
            return self._start(now) if offer is None else self._resume(now)
        if action is Action.SKIP:
            return self._start(now)
        if action is Action.PAUSE:
            return [phrases.address(self._address())]
        if offer is not None:  # END: the saved workout is given up
            self._s = self._fresh()
            return self._greeting_texts()
        return []

    def _act_done(self, action: Action) -> list[str]:
        if action in (Action.NEXT, Action.SKIP):
            self._s = self._fresh()
            return self._greeting_texts()
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
            return self._skip(now)
        return [phrases.resumed()]

    def _unpause(self, now: float) -> None:
        s = self._s
        gap = now - s.paused_at
        s.paused_total += gap
        s.phase_start += gap  # the hold or rest picks up exactly where it stopped
        assert s.paused_from is not None
        s.state, s.paused_from, s.confirming_end = s.paused_from, None, False

    def _start(self, now: float) -> list[str]:
        routine = self._routine
        if routine is None:
            return [phrases.no_routine()]
        self._s = self._fresh(
            state=State.INTRO,
            routine=routine,
            finished_sets=(0,) * len(routine.exercises),
            started_at=now,
            sessions_this_week=self._sessions_this_week,
            weekly_goal=self._weekly_goal,
        )
        return self._intro()

    def _resume(self, now: float) -> list[str]:
        saved = self._s.offer
        assert saved is not None
        week = self._s.offer_sessions_this_week, self._s.offer_weekly_goal
        self._s = self._fresh(
            state=State.INTRO,
            routine=saved.routine,
            exercise=saved.exercise,
            set_number=saved.set_number,
            finished_sets=saved.finished_sets,
            started_at=now,
            elapsed_before=saved.elapsed,
            position_elapsed=saved.elapsed,
            sessions_this_week=week[0],
            weekly_goal=week[1],
        )
        return [phrases.resuming(), *self._intro()]

    def _next(self, now: float) -> list[str]:
        s = self._s
        if s.state is State.INTRO:
            return self._announce_set(now)
        if s.state is State.HOLD:
            return [phrases.release(), *self._side_done(now)]
        if s.state is State.REST:
            return self._enter_position(now)
        ex = s.current
        if ex.hold_seconds is not None:
            self._begin_phase(State.HOLD, now, ex.hold_seconds)
            return [phrases.hold_start(ex.hold_seconds)]
        if ex.count == "per_set":
            return self._side_done(now)
        s.rep += 1
        texts = [phrases.count(s.rep)]
        if ex.reps is not None and s.rep >= ex.reps:
            texts.extend(self._side_done(now))
        return texts

    def _begin_phase(self, state: State, at: float, seconds: int) -> None:
        s = self._s
        s.state, s.phase_start, s.phase_length, s.next_cue = state, at, seconds, 0
        s.cues = hold_cues(seconds) if state is State.HOLD else countdown_cues(seconds)

    def _side_done(self, at: float) -> list[str]:
        """The side in progress is finished: the other side, a rest, the next set or the end."""
        s = self._s
        ex = s.current
        if s.side + 1 < len(ex.side_order):
            s.side, s.rep, s.state = s.side + 1, 0, State.SET
            side = ex.side_order[s.side]
            assert side is not None
            return phrases.switch_side(ex, side, self._words)
        done = list(s.finished_sets)
        done[s.exercise] += 1
        s.finished_sets = tuple(done)
        texts = [phrases.set_done()]
        if s.set_number < ex.sets:
            self._move_to(s.exercise, s.set_number + 1, at)
            return texts + self._rest(ex.rest_between_sets(self._default_rest), at)
        if s.exercise + 1 < len(self._routine_of_run().exercises):
            self._move_to(s.exercise + 1, 1, at)
            rest = self._rest(ex.rest_after(self._default_rest), at)
            if s.state is State.REST:
                rest.append(phrases.up_next(s.current.name))
            return texts + rest
        return texts + self._conclude(at, reached_end=True)

    def _move_to(self, exercise: int, set_number: int, at: float) -> None:
        s = self._s
        s.exercise, s.set_number, s.side, s.rep = exercise, set_number, 0, 0
        s.position_elapsed = s.active_seconds(at)

    def _rest(self, seconds: int, at: float) -> list[str]:
        if seconds <= 0:
            return self._enter_position(at)
        self._begin_phase(State.REST, at, seconds)
        return [phrases.rest(seconds)]

    def _enter_position(self, at: float) -> list[str]:
        """After a rest: a new exercise is introduced, a further set announced."""
        if self._s.set_number == 1:
            self._s.state = State.INTRO
            return self._intro()
        return self._announce_set(at)

    def _announce_set(self, at: float) -> list[str]:
        s = self._s
        s.state, s.rep = State.SET, 0
        # A resumed workout restarts here, so this is the time its snapshot keeps.
        s.position_elapsed = s.active_seconds(at)
        return self._set_texts()

    def _skip(self, now: float) -> list[str]:
        s = self._s
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
        s.record = SessionRecord(routine.id, routine.name, exercises, sets, seconds, completed)
        s.state, s.paused_from, s.confirming_end = State.DONE, None, False
        s.summary = tuple(texts)
        return texts

    def _repeat(self) -> list[str]:
        s = self._s
        if s.state is State.IDLE:
            return self._offer_texts() if s.offer is not None else self._greeting_texts()
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
        if s.state is State.SET:
            return self._set_texts()
        if s.state is State.HOLD:
            return phrases.keep_holding(s.current, self._words)
        if s.set_number == 1:
            return [phrases.resting(self._words), phrases.up_next(s.current.name)]
        return [phrases.resting(self._words)]

    def _fresh(self, **fields: Any) -> SessionState:
        """A new state; what was last said and a record not yet collected carry over."""
        return SessionState(last_spoken=self._s.last_spoken, record=self._s.record, **fields)

    # -- texts -----------------------------------------------------------------------------

    def _routine_of_run(self) -> Routine:
        assert self._s.routine is not None
        return self._s.routine

    def _intro(self, *, with_cues: bool = False) -> list[str]:
        s = self._s
        total = len(self._routine_of_run().exercises)
        return phrases.exercise_intro(
            s.current, s.exercise + 1, total, with_cues=with_cues, words=self._words
        )

    def _set_texts(self) -> list[str]:
        s = self._s
        return phrases.set_announcement(
            s.current, s.set_number, s.current.side_order[s.side], self._words
        )

    def _greeting_texts(self) -> list[str]:
        if self._routine is None:
            return [phrases.no_routine()]
        return [phrases.greeting(self._routine.name, self._words)]

    def _offer_texts(self) -> list[str]:
        saved = self._s.offer
        assert saved is not None
        ex = saved.routine.exercises[saved.exercise]
        return phrases.resume_offer(
            saved.routine.name, ex.name, saved.set_number, ex.sets, self._words
        )
