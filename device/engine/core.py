"""The engine as the worker sees it: what happened in, what to say and when to look again out.

It joins the two pure state machines of a session: the button's edges become
gestures (``gestures``), gestures become actions through the settings' mapping,
and the workout (``session``) answers each with lines. The worker only moves
queued events in and lines out; it never decides what a gesture means.

Around the workout it asks its questions (``checkin``): who is training, when two or
more people use the device, and the pain check-in before the first exercise and after
the last, for routines that ask for it. While a question is open the button answers it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from device.engine import phrases
from device.engine.buttons import WIRED, ButtonLink, Buttons, ButtonSpec
from device.engine.checkin import (
    Ask,
    Outcome,
    PainScore,
    Question,
    Trainee,
    pain_feedback,
    worse_last_time,
)
from device.engine.gestures import Edge, GestureTimings
from device.engine.pin_recovery import PinRecovery, Recovery
from device.engine.session import Coaching, SessionRecord, WorkoutSession
from device.engine.state import SavedPosition
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State, Status
from routines.model import Routine

__all__ = [
    "ButtonLink",
    "ButtonSpec",
    "Coaching",
    "Engine",
    "GestureTimings",
    "PainScore",
    "Question",
    "SavedPosition",
    "SessionRecord",
    "Trainee",
]

# Gestures that pass on a question (a press picks; a double's first press already did).
_PASS = frozenset({Gesture.HOLD, Gesture.LONG_HOLD})


def _no_address() -> Sequence[str] | str | None:
    return None


class Engine:
    """One button and one workout: edges, gestures, actions and time in; lines out."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        timings: GestureTimings = GestureTimings(),  # noqa: B008 - frozen, so sharing it is safe
        default_rest: int = 30,
        gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
        coaching: Coaching | None = None,
        address: Callable[[], Sequence[str] | str | None] = _no_address,
        recovery: PinRecovery | None = None,
        choice_step: float = 1.0,
    ) -> None:
        """``clock`` is the only time the engine knows; ``address`` gives the phone page's
        URLs, asked only when they are about to be spoken; ``recovery`` watches for the
        long hold after start that offers to clear the web PIN."""
        self._clock = clock
        self._recovery = recovery
        self._made: list[Gesture] = []
        self._recovered: list[Recovery] = []
        self._buttons = Buttons()
        # Each clicker's last word: True connected, False gone (never seen: absent).
        self._linked: dict[str, bool] = {}
        self._session = WorkoutSession(clock, address=address)
        self._actions: dict[Gesture, Action] = {}
        self._choice_step = choice_step
        self._people: tuple[Trainee, ...] = ()
        self._trainee: Trainee | None = None
        self._next_routine: Routine | None = None  # what a start would run
        self._running: Routine | None = None  # what the workout under way runs
        self._ask: Ask | None = None
        self._ask_said: str | None = None
        self._start: Action | None = None  # the start a question before the workout holds up
        self._pain_before: int | None = None
        self._scores: list[PainScore] = []
        self._chosen: int | None = None
        self._warned: set[tuple[int, int | None, tuple[int, int]]] = set()
        self._was_done = False
        self.configure(
            timings=timings,
            default_rest=default_rest,
            gesture_actions=gesture_actions,
            coaching=coaching,
            choice_step=choice_step,
        )

    def configure(
        self,
        *,
        timings: GestureTimings,
        default_rest: int,
        gesture_actions: Mapping[Gesture, Action],
        coaching: Coaching | None = None,
        choice_step: float | None = None,
    ) -> None:
        """Apply changed settings from the next decision on; ``coaching`` carries the pace,
        verbosity and idle limits (None: as they were); ``choice_step`` is how long each
        option of a question stays open, from the next question on."""
        self._actions = {Gesture(g): Action(a) for g, a in gesture_actions.items()}
        if choice_step is not None:
            self._choice_step = choice_step
        self._buttons.configure(timings)
        self._session.configure(
            default_rest=default_rest, gesture_actions=gesture_actions, coaching=coaching
        )

    def set_routine(
        self,
        routine: Routine | None,
        *,
        sessions_this_week: int,
        weekly_goal: int | None,
        finished_before: int = 0,
    ) -> None:
        """The routine the next start uses, its week so far, and how often it was finished
        (after two, ``auto`` verbosity turns brief)."""
        self._next_routine = routine
        self._session.set_routine(
            routine,
            sessions_this_week=sessions_this_week,
            weekly_goal=weekly_goal,
            finished_before=finished_before,
        )

    def set_people(self, people: Sequence[Trainee], current: int) -> None:
        """Everyone who trains here, and who trained last (whose routine a press starts).
        With one person nobody is asked who is training."""
        self._people = tuple(people)
        self._trainee = next((p for p in people if p.id == current), None) or (
            self._people[0] if self._people else None
        )
        if self._trainee is not None:
            self._use(self._trainee)
        if self._ask is not None and self._ask.question is Question.WHO and len(people) < 2:
            self._ask = None

    def set_buttons(self, specs: Mapping[str, ButtonSpec]) -> None:
        """The clickers by name: whose each is, and whether it can hold."""
        self._buttons.set_specs(specs)

    # -- inputs ----------------------------------------------------------------------------

    def edge(self, edge: Edge) -> list[Line]:
        """A raw edge of a button: the gestures it completes, answered in order."""
        if self._recovery is not None and edge.button == WIRED:
            self._recovery.edge(edge.pressed, edge.at)
        return self._answer(self._buttons.edge(edge))

    def link(self, link: ButtonLink) -> list[Line]:
        """A clicker came or went. Coming back during a workout is said once; going never
        stops or pauses anything."""
        before = self._linked.get(link.button)
        self._linked[link.button] = link.connected
        if not link.connected:
            self._buttons.gone(link.button)
            return []
        running = self._session.status().state not in (State.IDLE, State.DONE)
        if before is False and running:
            return [Line(phrases.clicker_connected())]
        return []

    def gesture(self, gesture: Gesture) -> list[Line]:
        """A gesture made elsewhere (the page's "as if the button" buttons)."""
        return self._on_gesture(gesture)

    def act(self, action: Action) -> list[Line]:
        """An action that did not come from the button. The page says who is training
        itself, so its start is never asked that."""
        if self._ask is not None:
            return []
        self._note_resume(action)
        if self._starts_workout(action):
            return self._before_start(action)
        return self._after(self._session.handle(action))

    def answer(self, question: Question, value: int) -> list[Line]:
        """An answer from the phone: a pain score (0-10) or the id of who is training.

        It answers the question being asked; a pain score that is not being asked for
        is kept for the workout under way (``pop_scores``); anything else is dropped."""
        ask = self._ask
        if ask is not None and ask.question is question:
            if question is Question.WHO:
                index = next((i for i, p in enumerate(self._people) if p.id == value), None)
                if index is None:
                    return []
                ask.choice.pick(index)
            else:
                ask.choice.pick(value)
            return self._lines(self._end_ask(), interrupt=True)
        running = self._session.status().state not in (State.IDLE, State.DONE)
        if question is not Question.WHO and running:
            moment = "before" if question is Question.PAIN_BEFORE else "after"
            if moment == "before":
                self._pain_before = value
            self._scores.append(PainScore(moment, value))
        return []

    def tick(self, *, edges_pending: bool = False) -> list[Line]:
        """Everything the passing of time has made due by now.

        With ``edges_pending`` the button is not asked: edges still queued carry
        earlier timestamps, and asking what is due "now" before they are read would
        measure a late worker's press as a hold.
        """
        now = self._clock()
        lines = [] if edges_pending else self._answer(self._buttons.poll(now))
        if self._recovery is not None and not edges_pending:
            lines += self._recovery_lines(self._recovery.poll(now))
        if self._ask is not None:
            said = self._ask.choice.tick(now)
            if said:
                self._ask_said = said[-1]
            if not self._ask.choice.open:
                said += self._end_ask()
            lines += self._lines(said, interrupt=False)
        return lines + self._after(self._session.tick())

    def greeting(self) -> list[Line]:
        """What a press would start, or that there is nothing to start."""
        return self._session.greeting()

    def offer_resume(
        self, position: SavedPosition, *, sessions_this_week: int, weekly_goal: int | None
    ) -> list[Line]:
        """Offer to carry on a workout that was cut short."""
        return self._session.offer_resume(
            position, sessions_this_week=sessions_this_week, weekly_goal=weekly_goal
        )

    # -- outputs ---------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Clock time at which ``tick`` may next have something to say; None: not until
        something else happens."""
        recovery = None if self._recovery is None else self._recovery.next_deadline()
        asking = None if self._ask is None else self._ask.choice.next_deadline()
        deadlines = [
            d
            for d in (
                self._session.next_deadline(),
                self._buttons.next_deadline(),
                recovery,
                asking,
            )
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    def status(self) -> Status:
        """What the phone page shows, with the question being asked."""
        status = self._session.status()
        if self._ask is None:
            return status
        return dataclasses.replace(
            status,
            question=str(self._ask.question),
            last_spoken=self._ask_said or self._ask.choice.question,
        )

    def pop_scores(self) -> list[PainScore]:
        """Pain scores given since the last call, in order."""
        scores, self._scores = self._scores, []
        return scores

    def pop_chosen(self) -> int | None:
        """The id of the person chosen on the device since the last call, once."""
        chosen, self._chosen = self._chosen, None
        return chosen

    def snapshot(self) -> SavedPosition | None:
        """Where the workout stands, for resuming it; None when there is nothing to resume."""
        return self._session.snapshot()

    def pop_finished(self) -> SessionRecord | None:
        """The record of a workout that finished or was ended, once."""
        return self._session.pop_finished()

    def pop_button_gestures(self) -> list[Gesture]:
        """The gestures the real button made since the last call (for observers)."""
        made, self._made = self._made, []
        return made

    def pop_recovery(self) -> list[Recovery]:
        """What became of the PIN offer since the last call: the worker clears the PIN."""
        done, self._recovered = self._recovered, []
        return done

    def _recovery_lines(self, outcome: Recovery | None) -> list[Line]:
        if outcome is None:
            return []
        self._recovered.append(outcome)
        text = {
            Recovery.OFFERED: phrases.pin_clear_offer,
            Recovery.CLEARED: phrases.pin_cleared,
            Recovery.KEPT: phrases.pin_kept,
        }[outcome]()
        return [Line(text, interrupt=True)]

    def _answer(self, gestures: list[tuple[str, Gesture]]) -> list[Line]:
        lines: list[Line] = []
        self._made.extend(gesture for _, gesture in gestures)
        for button, gesture in gestures:
            if self._recovery is not None and self._recovery.offering():
                # The answer to the PIN offer, not a move in the workout.
                outcome = self._recovery.answer(is_press=gesture is Gesture.PRESS)
                lines = self._recovery_lines(outcome)
                continue
            answer = self._on_gesture(gesture, button)
            # An answer that interrupts would cut the earlier ones short the moment they
            # start: say only what the ear would hear.
            lines = answer if answer and answer[0].interrupt else lines + answer
        return lines

    def _on_gesture(self, gesture: Gesture, button: str = WIRED) -> list[Line]:
        owner = self._buttons.owner(button)
        if owner is not None and self._foreign(owner):
            return []
        if self._ask is not None:
            if self._ask.question is Question.WHO and owner is not None:
                return self._ask_owner(owner)
            return self._ask_gesture(gesture)
        action = self._actions.get(gesture)
        if action is not None:
            self._note_resume(action)
        if action is not None and self._starts_workout(action):
            owned = next((p for p in self._people if p.id == owner), None)
            if owned is not None:
                # Their own clicker says who is training: no need to ask.
                self._pick(owned)
                if len(self._people) < 2:
                    return self._before_start(action)
                said = [phrases.trainee_chosen(owned.name)]
                said += [line.text for line in self._before_start(action)]
                return self._lines(said, interrupt=True)
            if action is Action.NEXT and len(self._people) > 1:
                return self._open(
                    Ask.who(self._people, start=self._clock(), step=self._choice_step)
                )
            return self._before_start(action)
        return self._after(self._session.handle_gesture(gesture))

    def _foreign(self, owner: int) -> bool:
        """Whether a clicker of ``owner``'s must be ignored: someone else's workout is under
        way, on offer to resume, or asking its questions."""
        trainee = self._trainee
        if trainee is None or trainee.id == owner:
            return False
        if self._ask is not None:
            return self._ask.question is not Question.WHO
        state = self._session.status().state
        if state is State.IDLE:
            return self._session.snapshot() is not None
        return state is not State.DONE

    def _ask_owner(self, owner: int) -> list[Line]:
        """Asked who is training, the owner of a clicker answers by pressing it."""
        assert self._ask is not None
        index = next((i for i, p in enumerate(self._people) if p.id == owner), None)
        if index is None:
            return []
        self._ask.choice.pick(index)
        return self._lines(self._end_ask(), interrupt=True)

    def _pick(self, trainee: Trainee) -> None:
        self._trainee = trainee
        self._chosen = trainee.id
        self._use(trainee)

    def _ask_gesture(self, gesture: Gesture) -> list[Line]:
        assert self._ask is not None
        if gesture is Gesture.PRESS:
            self._ask.choice.press(self._clock())
        elif gesture in _PASS:
            self._ask.choice.hold()
        if self._ask.choice.open:
            return []
        return self._lines(self._end_ask(), interrupt=True)

    def _starts_workout(self, action: Action) -> bool:
        """Whether ``action`` starts a new workout now (not a resume, not a summary's end)."""
        if self._session.status().state is not State.IDLE:
            return False
        offered = self._session.snapshot() is not None
        return action is (Action.SKIP if offered else Action.NEXT)

    def _note_resume(self, action: Action) -> None:
        """A resumed workout runs the routine it was saved with."""
        offer = self._session.snapshot()
        idle = self._session.status().state is State.IDLE
        if idle and offer is not None and action is Action.NEXT:
            self._running = offer.routine

    def _before_start(self, action: Action) -> list[Line]:
        """Start, after the pain check-in when the routine asks for one."""
        trainee = self._trainee
        warn: list[str] = []
        if trainee is not None and trainee.last_pain is not None and worse_last_time(trainee):
            key = (trainee.id, trainee.last_workout, trainee.last_pain)
            if key not in self._warned:
                self._warned.add(key)
                warn = [phrases.worse_last_time()]
        self._pain_before = None
        routine = self._running = self._next_routine
        if routine is not None and routine.checkin == "pain":
            self._start = action
            ask = Ask.pain("before", start=self._clock(), step=self._choice_step)
            return self._open(ask, before=warn)
        return self._lines(warn, interrupt=True) + self._after(self._session.handle(action))

    def _open(self, ask: Ask, *, before: Sequence[str] = ()) -> list[Line]:
        self._ask = ask
        self._ask_said = None
        return self._lines([*before, *ask.choice.opening()], interrupt=True)

    def _end_ask(self) -> list[str]:
        """What to say and do once the question in hand has its answer."""
        ask, self._ask = self._ask, None
        assert ask is not None
        answer = ask.answer
        said = ask.closing()
        if ask.question is Question.WHO:
            if answer.outcome is Outcome.UNANSWERED:
                return [phrases.nobody_chosen()]
            if answer.outcome is Outcome.PICKED and answer.index is not None:
                self._trainee = self._people[answer.index]
                self._chosen = self._trainee.id
                self._use(self._trainee)
            assert self._trainee is not None
            said.append(phrases.trainee_chosen(self._trainee.name))
            return said + [line.text for line in self._before_start(Action.NEXT)]
        if answer.outcome is Outcome.PICKED and answer.index is not None:
            self._scores.append(PainScore(ask.moment, answer.index))
            if ask.question is Question.PAIN_BEFORE:
                self._pain_before = answer.index
                said.append(phrases.pain_noted(answer.index))
            else:
                said += pain_feedback(self._pain_before, answer.index)
        if ask.question is Question.PAIN_BEFORE and self._start is not None:
            start, self._start = self._start, None
            said += [line.text for line in self._after(self._session.handle(start))]
        return said

    def _after(self, lines: list[Line]) -> list[Line]:
        """The session's lines, followed by the after-workout check-in once it has ended."""
        done = self._session.status().state is State.DONE
        ended, self._was_done = done and not self._was_done, done
        routine = self._running
        if ended:
            self._running = None
        if ended and routine is not None and routine.checkin == "pain":
            if any(s.moment == "after" for s in self._scores):
                return lines  # given on the phone during the workout
            ask = Ask.pain("after", start=self._clock(), step=self._choice_step)
            self._ask = ask
            self._ask_said = None
            return lines + self._lines(ask.choice.opening(), interrupt=False)
        return lines

    def _use(self, trainee: Trainee) -> None:
        self._next_routine = trainee.routine
        self._session.set_routine(
            trainee.routine,
            sessions_this_week=trainee.sessions_this_week,
            weekly_goal=trainee.weekly_goal,
            finished_before=trainee.finished_before,
        )

    @staticmethod
    def _lines(texts: Sequence[str], *, interrupt: bool) -> list[Line]:
        return [Line(text, interrupt=interrupt and i == 0) for i, text in enumerate(texts)]
