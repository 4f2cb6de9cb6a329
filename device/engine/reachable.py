"""Every line a routine's workout can say, found by running the real engine through every
move a trainee or the web page can make at every point, on a clock that jumps.

The voice renders these before a workout starts (``preview.routine_lines``). Nothing here
lists sentences: a new line the engine learns to say is found the next time it runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence

from device.engine import phrases
from device.engine.core import Engine, Question, Trainee
from device.engine.session import Coaching, SessionMark, SessionRecord, WorkoutSession
from device.engine.speech_time import estimate_seconds
from device.engine.state import TIMED, SessionState
from device.events import Action, Gesture, Line, State
from routines.model import Routine

# Moves tried in one search, at most. The shipped routine takes about 7,000; each counted
# rep adds a few dozen, so only a routine of a thousand reps or more runs out, and then what
# the search has not reached (late in the workout, off the planned path: the run-through
# always covers that) is rendered when it is first said. A move takes tens of microseconds.
MOVES = 20_000

# Steps back kept at each point: where ``back`` leads depends on the step before the
# point, and two steps also go back over a step of a paced set and the press before it.
_STEPS_KEPT = 2

# A point of the search: the session as it stood, and the clock then.
_Point = tuple[SessionMark, float]


class ScriptClock:
    """Time that jumps straight to whatever is due next, when the caller moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _summary_of(record: SessionRecord, goal: int | None) -> set[str]:
    """The lines that close a workout with its own figures (none done before it this week):
    how much was done, how long it took and the week so far. Only the end of a workout
    knows them, so they are left out."""
    week = 1 if record.completed else 0
    return {
        phrases.summary(record.exercises_done, record.sets_done, record.seconds),
        phrases.weekly_progress(week, goal, counted=record.completed),
    }


class _Explorer:
    """One session, moved from each point it can reach to every point one move away."""

    def __init__(
        self,
        routine: Routine,
        default_rest: int,
        gesture_actions: Mapping[Gesture, Action],
        verbosity: str,
        speech_seconds: Callable[[str], float],
    ) -> None:
        self.now = 0.0
        self.routine = routine
        self.session = WorkoutSession(
            lambda: self.now,
            default_rest=default_rest,
            gesture_actions=gesture_actions,
            coaching=Coaching(verbosity=verbosity),
            speech_seconds=speech_seconds,
        )
        self.session.set_routine(routine, weekly_goal=routine.sessions_per_week)
        self.said: dict[str, None] = {}
        # The lengths a rest has before anybody makes it longer.
        self.planned = {0.0} | {
            float(seconds)
            for e in routine.exercises
            for seconds in (e.rest_between_sets(default_rest), e.rest_after(default_rest))
        }
        self.closing: set[str] = set()

    def _actions(self, at: SessionState) -> list[Action]:
        """What can be done at a point besides waiting. A rest is made longer once: what a
        rest says is the same however long it is, and only going back to one names its
        length."""
        extend = at.phase_length in self.planned
        return [a for a in Action if a is not Action.EXTEND_REST or extend]

    def _move(self, action: Action | None) -> list[Line]:
        """``action``, or (None) time passing to whatever is due next."""
        if action is not None:
            return self.session.handle(action)
        deadline = self.session.next_deadline()
        if deadline is None:
            return []
        self.now = max(self.now, deadline)
        return self.session.tick()

    def explore(self) -> list[str]:
        """Search from the idle session and from an offer to resume at every place a workout
        can stop; every point is visited once, however many paths lead to it.

        What an action says in a hold, a rest or a paced rep does not depend on how far its
        calls have gone, so a phase is acted on at its first point and followed by waiting
        through the rest."""
        session = self.session
        start = (session.mark(), self.now)
        seen: set[Hashable] = {_signature(start[0], self.now)}
        acted: set[Hashable] = set()
        queue: deque[_Point] = deque([start])
        places: set[Hashable] = set()
        budget = MOVES
        while queue and budget > 0:
            mark, at = queue.popleft()
            key = _signature(mark, at, calls=False)
            moves: list[Action | None] = [None]
            if mark.state.offer is not None:
                # Starting over or giving the workout up says what the idle session says.
                moves = [Action.NEXT]
            elif key not in acted:
                acted.add(key)
                moves += self._actions(mark.state)
            budget -= len(moves)
            for move in moves:
                session.restore(mark)
                self.now = at
                said = [line.text for line in self._move(move) if line.text]
                point = _kept(session.mark())
                if mark.state.offer is not None:
                    # The place a resumed workout carries on from is said once after a
                    # restart, and rendered then: one per place a workout can stop.
                    said = said[1:]
                self._hear(said)
                key = _signature(point, self.now)
                if key not in seen:
                    seen.add(key)
                    queue.append((point, self.now))
                    self._offer_from(point, places, seen, queue)
        return [text for text in self.said if text not in self.closing]

    def _hear(self, said: list[str]) -> None:
        record = self.session.pop_finished()
        if record is not None:
            self.closing |= _summary_of(record, self.routine.sessions_per_week)
        self.said.update(dict.fromkeys(said))

    def _offer_from(
        self, point: SessionMark, places: set[Hashable], seen: set[Hashable], queue: deque[_Point]
    ) -> None:
        """Where a power cut at ``point`` would leave the workout: the offer to resume from
        there (said once after a restart, and rendered then) as a point to search."""
        if point.state.state in (State.IDLE, State.DONE):
            return
        position = self.session.snapshot()
        assert position is not None
        place = (
            position.exercise,
            position.set_number,
            position.side,
            position.rep,
            position.hold_elapsed,
        )
        if place in places:
            return
        places.add(place)
        self.session.offer_resume(position, weekly_goal=self.routine.sessions_per_week)
        offered = self.session.mark()
        seen.add(_signature(offered, self.now))
        queue.append((offered, self.now))


def _kept(mark: SessionMark) -> SessionMark:
    """``mark`` with the last two steps ``back`` can retrace: every step before them is
    itself a point searched, with its own way back."""
    return SessionMark(mark.state, mark.steps[-_STEPS_KEPT:])


def _signature(mark: SessionMark, now: float, *, calls: bool = True) -> Hashable:
    """What decides everything a session can say from here on, without the clock: two
    points alike in it say the same from then on, so only one of them is searched.

    Where ``back`` leads is left out but for whether it leads anywhere, and the length of
    a rest it would return to: every state it can return to is searched as the state it
    was."""
    below = None
    if mark.steps:
        # A rest made longer and then skipped is gone back to at its new length.
        top = mark.steps[-1]
        below = top.phase_length if top.state is State.REST else 0.0
    return _state_key(mark.state, now, calls), below


def _state_key(s: SessionState, now: float, calls: bool) -> Hashable:
    offer = s.offer
    if s.state in (State.IDLE, State.DONE):
        # Between workouts only the offer to resume, if any, says where anything stood.
        if offer is None:
            return s.state
        return s.state, offer.exercise, offer.set_number, offer.side, offer.rep, offer.hold_elapsed
    if s.state is State.PAUSED and not calls:
        # Whatever a pause is asked to do besides carrying on or ending, it does as the
        # workout it froze would (it unpauses first), and that workout is searched itself.
        return s.state, s.paused_from, s.confirming_end, s.brief
    running = s.paused_from or s.state
    timed = running in TIMED or s.pacing
    return (
        s.state,
        s.exercise,
        s.set_number,
        s.side,
        # A paced set under way says where it stands by the clock, not by what was counted.
        s.paced_rep(now) if s.pacing else s.rep,
        s.pacing,
        # What a hold, rest or paced set has still to say; nothing once it is over.
        (s.next_call if calls else None, s.phase_length) if timed else None,
        s.hold_offset,
        s.named == s.exercise,
        s.paused_from,
        s.confirming_end,
        s.reminded and s.waiting and calls,
        s.brief,
        any(s.finished_sets),  # whether ending now is a workout done
    )


def session_lines(
    routine: Routine,
    *,
    default_rest: int,
    gesture_actions: Mapping[Gesture, Action],
    verbosity: str,
    speech_seconds: Callable[[str], float] = estimate_seconds,
) -> list[str]:
    """Every line a workout of ``routine`` can say at ``verbosity`` (full or brief), bar
    the summaries, the offer to resume and the place a resumed workout carries on from."""
    explorer = _Explorer(routine, default_rest, gesture_actions, verbosity, speech_seconds)
    return explorer.explore()


def without_routine(gesture_actions: Mapping[Gesture, Action]) -> list[str]:
    """What a session with nothing to start says to each action."""
    session = WorkoutSession(lambda: 0.0, gesture_actions=gesture_actions)
    said = [line.text for action in Action for line in session.handle(action)]
    return list(dict.fromkeys(said))


# -- the questions around a workout -------------------------------------------------------


def people_lines(names: Sequence[str]) -> list[str]:
    """What the engine says asking who is training, when two or more people do: found by
    running it through each name picked and through silence."""
    if len(names) < 2:
        return []
    said: dict[str, None] = {}
    for pick in [None, *range(len(names))]:
        clock = ScriptClock()
        engine = Engine(clock)
        engine.set_people([Trainee(i + 1, name, None) for i, name in enumerate(names)], 1)
        lines = engine.gesture(Gesture.PRESS)
        if pick is not None:
            lines += engine.answer(Question.WHO, pick + 1)
        while engine.status().question is not None:
            due = engine.next_deadline()
            assert due is not None, "a question always closes in time"
            clock.now = max(clock.now, due)
            lines += engine.tick()
        said.update(dict.fromkeys(line.text for line in lines if line.text))
    return list(said)


# The person the check-in runs are for: their last workout ended in more pain than it
# began with, so a start cautions them first.
_HURT_LAST_TIME = (0, 10)


def checkin_lines(
    routine: Routine, *, default_rest: int, gesture_actions: Mapping[Gesture, Action]
) -> tuple[list[str], list[str]]:
    """Every line the engine says around a workout of ``routine`` (the caution after a
    workout that hurt, and the pain check-in before and after it), in two parts: up to the
    workout's first exercise, and from its end on. Found by running the real engine through
    each answer: silence through the count, and scores before and after that make every
    change there can be between them."""
    before: dict[str, None] = {}
    after: dict[str, None] = {}
    closing: set[str] = set()
    pairs: list[tuple[int | None, int | None]] = [(None, None)]
    if routine.checkin == "pain":
        # Each score before (and the same after), and from both ends of the scale every
        # score after: every change a workout can make, up or down.
        pairs += [(score, score) for score in range(11)]
        pairs += [(end, score) for end in (0, 10) for score in range(11) if score != end]
    for first, second in pairs:
        run = _CheckinRun(routine, default_rest, gesture_actions)
        before.update(dict.fromkeys(run.start(first)))
        after.update(dict.fromkeys(run.end(second)))
        closing |= run.closing
    return (
        [text for text in before if text not in closing],
        [text for text in after if text not in closing and text not in before],
    )


class _CheckinRun:
    """One engine: a start and an end, each question answered as told."""

    def __init__(
        self, routine: Routine, default_rest: int, gesture_actions: Mapping[Gesture, Action]
    ) -> None:
        self.now = 0.0
        self.engine = Engine(
            lambda: self.now, default_rest=default_rest, gesture_actions=gesture_actions
        )
        self.goal = routine.sessions_per_week
        trainee = Trainee(1, "", routine, weekly_goal=self.goal, last_pain=_HURT_LAST_TIME)
        self.engine.set_people([trainee], current=1)
        self.closing: set[str] = set()

    def _texts(self, lines: list[Line]) -> list[str]:
        record = self.engine.pop_finished()
        if record is not None:
            self.closing |= _summary_of(record, self.goal)
        return [line.text for line in lines if line.text]

    def _answer(self, question: Question, score: int | None) -> list[str]:
        """``score`` tapped on the phone, or (None) silence until the question closes."""
        if score is not None:
            return self._texts(self.engine.answer(question, score))
        said: list[str] = []
        while self.engine.status().question is not None:
            due = self.engine.next_deadline()
            assert due is not None, "a question always closes in time"
            self.now = max(self.now, due)
            said += self._texts(self.engine.tick())
        return said

    def start(self, score: int | None) -> list[str]:
        """The workout is started; the question before it is answered with ``score``."""
        said = self._texts(self.engine.act(Action.NEXT))
        return said + self._answer(Question.PAIN_BEFORE, score)

    def end(self, score: int | None) -> list[str]:
        """The workout is ended; the question after it is answered with ``score``."""
        said = self._texts(self.engine.act(Action.END))
        return said + self._answer(Question.PAIN_AFTER, score)
