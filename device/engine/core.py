"""The engine as the worker sees it: what happened in, what to say and when to look again out.

It joins the two pure state machines of a session: the button's edges become
gestures (``gestures``), gestures become actions through the settings' mapping,
and the workout (``session``) answers each with lines. The worker only moves
queued events in and lines out; it never decides what a gesture means.

Around the workout it asks its questions (``checkin``): who is training, when two or
more people use the device, and the pain check-in before the first exercise and after
the last, for routines that ask for it; and after those, a change of dose the workout
earned (``progression``, said by ``dose_talk``). While a question is open the button
answers it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from device.engine import hints, phrases
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
from device.engine.choice import QUESTION
from device.engine.dose_talk import DoseOffer, closing, dose_ask
from device.engine.gestures import Edge, GestureTimings
from device.engine.heard import SpeechModel
from device.engine.pair_hold import PairHold
from device.engine.pin_recovery import PinRecovery, Recovery
from device.engine.progression import offer as earned_offer
from device.engine.session import Coaching, SessionMark, SessionRecord, WorkoutSession
from device.engine.speech_time import estimate_seconds
from device.engine.state import SavedPosition
from device.events import (
    DEFAULT_GESTURE_ACTIONS,
    Action,
    Gesture,
    Heard,
    Line,
    Speech,
    State,
    Status,
)
from routines.model import DEFAULT_CHECKIN_AREA, HistoryEntry, Routine

__all__ = [
    "ButtonLink",
    "ButtonSpec",
    "Coaching",
    "DoseOffer",
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
# After "Noted: 4." has been heard, a double-press this long re-asks the question; only
# then is the score kept and advice given on it.
CORRECT_SECONDS = 4.0


@dataclass(slots=True)
class _Noted:
    """A pain score said back and not yet confirmed: it can still be corrected."""

    moment: str
    score: int
    line: int  # the line that says it back
    until: float  # the correction window's end (estimated until that line is heard)
    mark: SessionMark | None  # the session before the workout started (a before-score)
    start: Action | None
    area: str  # the body part asked about


def _no_address() -> Sequence[str] | str | None:
    return None


class Engine:
    """One button and one workout: edges, gestures, actions, speech reports and time in;
    lines out.

    Every line out carries an id. With ``speech_reported`` the voice reports each line's
    start and end (``speech``); without, the engine's own ``SpeechModel`` estimates them
    from the words, so a device without sound still keeps time.
    """

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
        speech_reported: bool = False,
        speech_seconds: Callable[[str], float] = estimate_seconds,
    ) -> None:
        """``clock`` is the only time the engine knows; ``address`` gives the phone page's
        URLs, asked only when they are about to be spoken; ``recovery`` watches for the
        long hold after start that offers to clear the web PIN; ``speech_reported``: the
        voice reports what was heard (``speech``); ``speech_seconds`` says how long a line
        takes to say."""
        self._clock = clock
        self._recovery = recovery
        self._made: list[Gesture] = []
        self._recovered: list[Recovery] = []
        self._pair_hold = PairHold()
        self._pair_asked = False
        self._buttons = Buttons()
        # Each clicker's last word: True connected, False gone (never seen: absent).
        self._linked: dict[str, bool] = {}
        self._session = WorkoutSession(
            clock,
            address=address,
            speech_seconds=speech_seconds,
            double_pending=lambda: self._buttons.second_press_down,
        )
        self._choice_step = choice_step
        self._people: tuple[Trainee, ...] = ()
        self._trainee: Trainee | None = None
        self._next_routine: Routine | None = None  # what a start would run
        self._running: Routine | None = None  # what the workout under way runs
        self._ask: Ask | None = None
        self._ask_said: str | None = None
        self._ask_lines: dict[int, int] = {}  # line id -> QUESTION or an option's index
        self._start: Action | None = None  # the start a question before the workout holds up
        self._start_mark: SessionMark | None = None
        self._pain_before: int | None = None
        self._answered: set[str] = set()  # the check-ins answered in this workout
        self._noted: _Noted | None = None
        self._held_press = False  # a press held back while a correction is possible
        self._scores: list[PainScore] = []
        self._chosen: int | None = None
        self._warned: set[tuple[int, int | None, tuple[int, int]]] = set()
        self._was_done = False
        self._ids = itertools.count(1)
        self._reported = speech_reported
        self._model = SpeechModel(speech_seconds)
        self._recovery_line: int | None = None
        self._pain_after: int | None = None
        # The workout that just ended, until a change of dose has been considered for it:
        # its routine, its record, who did it and when it ended (wall clock).
        self._to_offer: tuple[Routine, SessionRecord | None, Trainee, float] | None = None
        self._offering: DoseOffer | None = None
        self._dose_offers: list[DoseOffer] = []
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
        speech_seconds: Callable[[str], float] | None = None,
    ) -> None:
        """Apply changed settings from the next decision on; ``coaching`` carries the pace,
        verbosity and idle limits (None: as they were); ``choice_step`` is how long each
        option of a question stays open, from the next question on; ``speech_seconds``
        says how long a line takes to say (the voice's real lengths where it knows them)."""
        if choice_step is not None:
            self._choice_step = choice_step
        if speech_seconds is not None:
            self._model.use(speech_seconds)
        self._buttons.configure(timings)
        self._session.configure(
            default_rest=default_rest,
            gesture_actions=gesture_actions,
            coaching=coaching,
            double_window=timings.double_window,
            speech_seconds=speech_seconds,
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
        if edge.button == WIRED:
            claimed = self._recovery is not None and self._recovery.claims(edge.at)
            idle = self._session.status().state is State.IDLE and self._ask is None
            self._pair_hold.edge(edge.pressed, edge.at, allowed=idle and not claimed)
        heard = self._catch_up()
        return self._emit(_joined(heard, self._answer(self._buttons.edge(edge))))

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
            return self._emit([Line(phrases.clicker_connected())])
        return []

    def gesture(self, gesture: Gesture) -> list[Line]:
        """A gesture made elsewhere (the page's "as if the button" buttons)."""
        heard = self._catch_up()
        return self._emit(_joined(heard, self._on_gesture(gesture, at=self._clock())))

    def act(self, action: Action) -> list[Line]:
        """An action that did not come from the button. While a question is asked, next
        answers it as a press would and skip passes; the page says who is training itself,
        so its start is never asked that."""
        heard = self._catch_up()
        return self._emit(_joined(heard, self._act(action)))

    def _act(self, action: Action) -> list[Line]:
        if self._ask is not None:
            if action is Action.NEXT:
                return self._ask_gesture(Gesture.PRESS, self._clock())
            if action is Action.SKIP:
                return self._ask_gesture(Gesture.HOLD, self._clock())
            return []
        self._note_resume(action)
        if self._starts_workout(action):
            return self._before_start(action)
        return self._after(self._session.handle(action))

    def answer(self, question: Question, value: int) -> list[Line]:
        """An answer from the phone: a pain score (0-10), the id of who is training, or to
        a change of dose offered (1 agrees, 0 keeps the dose).

        It answers the question being asked; a pain score that is not being asked for is
        kept for the workout under way (``pop_scores``), unless that check-in was answered
        already: the first answer counts, on the button or the phone. Anything else is
        dropped."""
        heard = self._catch_up()
        return self._emit(_joined(heard, self._answer_from_phone(question, value)))

    def _answer_from_phone(self, question: Question, value: int) -> list[Line]:
        ask = self._ask
        if ask is not None and ask.question is question:
            if question is Question.DOSE:
                # 1 agrees, 0 keeps the dose.
                if value:
                    ask.choice.pick(0)
                else:
                    ask.choice.hold()
                return _answering(self._end_ask())
            if question is Question.WHO:
                index = next((i for i, p in enumerate(self._people) if p.id == value), None)
                if index is None:
                    return []
                ask.choice.pick(index)
            else:
                ask.choice.pick(value)
            said = self._end_ask()
            if self._noted is not None:
                # A number tapped on the phone is seen as it is chosen: kept at once, and
                # whatever it earns said now.
                said += self._confirm()
            return _answering(said)
        running = self._session.status().state not in (State.IDLE, State.DONE)
        moment = "before" if question is Question.PAIN_BEFORE else "after"
        pain = question in (Question.PAIN_BEFORE, Question.PAIN_AFTER)
        if pain and running and moment not in self._answered:
            self._answered.add(moment)
            if moment == "before":
                self._pain_before = value
            else:
                self._pain_after = value
            self._scores.append(PainScore(moment, value))
        return []

    def speech(self, report: Speech) -> list[Line]:
        """The voice's report on a line: what the trainee heard, and when."""
        if not self._reported:
            return []
        return self._emit(self._heard(report))

    def tick(self, *, edges_pending: bool = False) -> list[Line]:
        """Everything the passing of time has made due by now.

        With ``edges_pending`` the button is not asked: edges still queued carry
        earlier timestamps, and asking what is due "now" before they are read would
        measure a late worker's press as a hold.
        """
        now = self._clock()
        lines = self._catch_up()
        if not edges_pending:
            lines = _joined(lines, self._answer(self._buttons.poll(now)))
            if self._held_press:
                until = self._buttons.double_possible_until()
                if until is None or now >= until:
                    self._held_press = False
                    lines = _joined(lines, self._on_gesture(Gesture.PRESS, at=now, held=True))
        if self._recovery is not None and not edges_pending:
            lines = _joined(lines, self._recovery_lines(self._recovery.poll(now)))
        if not edges_pending and self._pair_hold.poll(now):
            self._pair_asked = True
            lines = _joined(lines, [Line(phrases.pairing_starts(), interrupt=True)])
        noted = self._noted
        if noted is not None and now >= noted.until and not self._held_press:
            lines = _joined(lines, self._confirm())
        if self._ask is not None:
            said = [self._option(index, text) for index, text in self._ask.choice.tick(now)]
            if said:
                self._ask_said = said[-1].text
            if not self._ask.choice.open:
                said += self._end_ask()
            lines = _joined(lines, said)
        return self._emit(_joined(lines, self._after(self._session.tick())))

    def greeting(self) -> list[Line]:
        """What a press would start, or that there is nothing to start."""
        return self._emit(self._session.greeting())

    def offer_resume(
        self, position: SavedPosition, *, sessions_this_week: int, weekly_goal: int | None
    ) -> list[Line]:
        """Offer to carry on a workout that was cut short."""
        return self._emit(
            self._session.offer_resume(
                position, sessions_this_week=sessions_this_week, weekly_goal=weekly_goal
            )
        )

    def stamp(self, lines: Sequence[Line]) -> list[Line]:
        """Give lines made outside the engine (the greeting's address, a restored store's
        notice) ids of the same series, so their reports are told apart."""
        return self._emit(list(lines))

    # -- outputs ---------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """Clock time at which ``tick`` may next have something to say; None: not until
        something else happens."""
        recovery = None if self._recovery is None else self._recovery.next_deadline()
        asking = None if self._ask is None else self._ask.choice.next_deadline()
        held = self._buttons.double_possible_until() if self._held_press else None
        deadlines = [
            d
            for d in (
                self._session.next_deadline(),
                self._buttons.next_deadline(),
                recovery,
                self._pair_hold.next_deadline(),
                asking,
                None if self._reported else self._model.next_deadline(),
                None if self._noted is None else self._noted.until,
                None if held is None or math.isinf(held) else held,
            )
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    def status(self) -> Status:
        """What the phone page shows, with the question being asked."""
        status = self._session.status()
        counted = self._buttons.cannot_hold()
        linked = tuple(sorted(name for name, up in self._linked.items() if up))
        if counted or linked:
            status = dataclasses.replace(
                status, counted_clickers=counted, connected_clickers=linked
            )
        if self._ask is None:
            press = self._session.action_for(Gesture.PRESS)
            if press is Action.NEXT and len(self._people) > 1 and self._starts_workout(press):
                return dataclasses.replace(status, press_does=hints.answers("who", asked=False))
            return status
        return dataclasses.replace(
            status,
            question=str(self._ask.question),
            checkin_area=(
                None if self._ask.question in (Question.WHO, Question.DOSE) else self._ask.area
            ),
            last_spoken=self._ask_said or self._ask.choice.question,
            press_does=hints.answers(self._ask.question),
            next_up=None,
        )

    def pop_scores(self) -> list[PainScore]:
        """Pain scores given since the last call, in order."""
        scores, self._scores = self._scores, []
        return scores

    def pop_dose_offers(self) -> list[DoseOffer]:
        """Changes of dose offered, then answered, since the last call, in order."""
        offers, self._dose_offers = self._dose_offers, []
        return offers

    def pop_chosen(self) -> int | None:
        """The id of the person chosen on the device since the last call, once."""
        chosen, self._chosen = self._chosen, None
        return chosen

    def snapshot(self) -> SavedPosition | None:
        """Where the workout stands, for resuming it; None when there is nothing to resume."""
        return self._session.snapshot()

    def late_lines(self) -> list[str]:
        """The lines the workout may say whose words are only known as it goes (the week's
        count, the summary), as they stand now: see ``WorkoutSession.late_lines``."""
        return self._session.late_lines()

    def pop_finished(self) -> SessionRecord | None:
        """The record of a workout that finished or was ended, once."""
        return self._session.pop_finished()

    def pop_button_gestures(self) -> list[Gesture]:
        """The gestures the real button made since the last call (for observers)."""
        made, self._made = self._made, []
        return made

    def pop_pairing(self) -> bool:
        """Whether a hold asked for a clicker to be paired since the last call."""
        asked, self._pair_asked = self._pair_asked, False
        return asked

    def pop_recovery(self) -> list[Recovery]:
        """What became of the PIN offer since the last call: the worker clears the PIN."""
        done, self._recovered = self._recovered, []
        return done

    # -- what was heard --------------------------------------------------------------------

    def _emit(self, lines: list[Line]) -> list[Line]:
        """Stamp ids on the lines going out, and start what waits for one to be heard."""
        want = self._session.take_anchor()
        if not lines:
            if want is not None:
                self._session.keep_anchor()
            return lines
        now = self._clock()
        lines = [
            line if line.id is not None else dataclasses.replace(line, id=next(self._ids))
            for line in lines
        ]
        self._model.queue(lines, now)
        if want is not None:
            anchored = next(
                (
                    line
                    for line in reversed(lines)
                    if line.text and line.text == (want or line.text)
                ),
                None,
            )
            if anchored is None:
                # Its words are held back (a double may still follow): they come later.
                self._session.keep_anchor()
            elif anchored.id is not None:
                expected = self._model.expected_end(anchored.id)
                self._session.anchor(
                    anchored.id, now if expected is None else expected, reported=self._reported
                )
        recovery = self._recovery
        if recovery is not None and self._recovery_line in (line.id for line in lines):
            assert self._recovery_line is not None
            recovery.heard(self._model.expected_end(self._recovery_line) or now)
        noted = self._noted
        if noted is not None and noted.line in (line.id for line in lines):
            expected = self._model.expected_end(noted.line)
            noted.until = (now if expected is None else expected) + CORRECT_SECONDS
        return lines

    def _heard(self, report: Speech) -> list[Line]:
        lines: list[Line] = []
        ended = report.heard is not Heard.STARTED
        if ended:
            self._session.heard_end(report.line, report.at)
            noted = self._noted
            if noted is not None and noted.line == report.line:
                noted.until = report.at + CORRECT_SECONDS
            if report.line == self._recovery_line and self._recovery is not None:
                self._recovery.heard(report.at)
        ask = self._ask
        index = self._ask_lines.get(report.line)
        if ask is not None and index is not None:
            choice = ask.choice
            if report.heard is Heard.STARTED:
                choice.started(index, report.at)
            elif report.heard is Heard.ENDED:
                choice.ended(index, report.at)
            else:
                choice.dropped(index, report.at)
            if not choice.open:
                lines = _answering(self._end_ask())
        return lines

    def _catch_up(self) -> list[Line]:
        """Without a voice that reports, what the estimate says was heard by now."""
        lines: list[Line] = []
        for report in self._model.due(self._clock()):
            if not self._reported:
                lines = _joined(lines, self._heard(report))
        return lines

    def _option(self, index: int, text: str) -> Line:
        line = Line(text, id=next(self._ids))
        assert line.id is not None
        self._ask_lines[line.id] = index
        return line

    # -- the button --------------------------------------------------------------------------

    def _recovery_lines(self, outcome: Recovery | None) -> list[Line]:
        if outcome is None:
            return []
        self._recovered.append(outcome)
        text = {
            Recovery.OFFERED: phrases.pin_clear_offer,
            Recovery.CLEARED: phrases.pin_cleared,
            Recovery.KEPT: phrases.pin_kept,
        }[outcome]()
        line = Line(text, interrupt=True, id=next(self._ids))
        self._recovery_line = line.id if outcome is Recovery.OFFERED else None
        return [line]

    def _answer(self, gestures: list[tuple[str, Gesture]]) -> list[Line]:
        lines: list[Line] = []
        self._made.extend(gesture for _, gesture in gestures)
        for button, gesture in gestures:
            if self._recovery is not None and self._recovery.offering():
                # The answer to the PIN offer, not a move in the workout.
                outcome = self._recovery.answer(is_press=gesture is Gesture.PRESS)
                lines = self._recovery_lines(outcome)
                continue
            at = self._buttons.last_down_at(button)
            lines = _joined(lines, self._on_gesture(gesture, at=at, button=button))
        return lines

    def _on_gesture(
        self, gesture: Gesture, *, at: float, button: str = WIRED, held: bool = False
    ) -> list[Line]:
        """``at``: when the gesture was made (a press: when the button went down)."""
        owner = self._buttons.owner(button)
        if owner is not None and self._foreign(owner):
            return []
        if self._ask is not None:
            if self._ask.question is Question.WHO and owner is not None:
                return self._ask_owner(owner)
            return self._ask_gesture(gesture, at)
        action = self._session.action_for(gesture)
        if self._noted is not None and not held:
            if self._held_press and gesture is not Gesture.DOUBLE:
                # Not a double after all: the press held back counts first.
                self._held_press = False
                lines = self._on_gesture(Gesture.PRESS, at=at, held=True)
                return _joined(lines, self._on_gesture(gesture, at=at))
            if gesture is Gesture.DOUBLE and action is Action.BACK:
                self._held_press = False
                return self._reask()
            between = self._session.status().state in (State.IDLE, State.DONE)
            if (
                gesture is Gesture.PRESS
                and between
                and self._session.action_for(Gesture.DOUBLE) is Action.BACK
            ):
                # It may be the first half of a double that corrects the answer: wait out
                # the double-press window before acting on it. (Mid-workout the session
                # holds a press's words back itself, and the double undoes its press.)
                self._held_press = True
                return []
        if action is not None:
            self._note_resume(action)
        if action is not None and self._starts_workout(action):
            owned = next((p for p in self._people if p.id == owner), None)
            if owned is not None:
                # Their own clicker says who is training: no need to ask.
                self._pick(owned)
                if len(self._people) < 2:
                    return self._before_start(action)
                said = self._lines([phrases.trainee_chosen(owned.name)])
                return _answering(said + self._before_start(action))
            if action is Action.NEXT and len(self._people) > 1:
                return self._open(Ask.who(self._people, step=self._choice_step))
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
        return _answering(self._end_ask())

    def _pick(self, trainee: Trainee) -> None:
        self._trainee = trainee
        self._chosen = trainee.id
        self._use(trainee)

    def _ask_gesture(self, gesture: Gesture, at: float) -> list[Line]:
        assert self._ask is not None
        if gesture is Gesture.PRESS:
            self._ask.choice.press(at)
        elif gesture in _PASS:
            self._ask.choice.hold()
        if self._ask.choice.open:
            return []
        return _answering(self._end_ask())

    def _starts_workout(self, action: Action) -> bool:
        """Whether ``action`` starts a new workout now (not a resume)."""
        state = self._session.status().state
        if state is State.DONE:
            return action in (Action.NEXT, Action.SKIP)
        if state is not State.IDLE:
            return False
        if self._session.snapshot() is not None:  # a cut-short workout is offered
            return action in (Action.SKIP, Action.REPEAT)
        return action in (Action.NEXT, Action.RESUME, Action.SKIP)

    def _note_resume(self, action: Action) -> None:
        """A resumed workout runs the routine it was saved with."""
        offer = self._session.snapshot()
        idle = self._session.status().state is State.IDLE
        if idle and offer is not None and action in (Action.NEXT, Action.RESUME):
            self._running = offer.routine

    # -- the questions -----------------------------------------------------------------------

    def _before_start(self, action: Action) -> list[Line]:
        """Start, after the pain check-in when the routine asks for one."""
        trainee = self._trainee
        warn: list[str] = []
        if trainee is not None and trainee.last_pain is not None and worse_last_time(trainee):
            key = (trainee.id, trainee.last_workout, trainee.last_pain)
            if key not in self._warned:
                self._warned.add(key)
                nxt = self._next_routine
                area = nxt.checkin_area if nxt is not None else DEFAULT_CHECKIN_AREA
                warn = [phrases.worse_last_time(area)]
        # Moving on to the next workout keeps a score still open to correction, and says
        # what it earns first.
        self._to_offer = None  # a new workout: the last one's offer has had its chance
        kept = self._confirm() if self._noted is not None else []
        self._pain_before = self._pain_after = None
        self._answered = set()
        routine = self._running = self._next_routine
        if routine is not None and routine.checkin == "pain":
            self._start = action
            ask = Ask.pain("before", step=self._choice_step, area=routine.checkin_area)
            return kept + self._open(ask, before=warn)
        return _answering(kept + self._lines(warn) + self._after(self._session.handle(action)))

    def _open(self, ask: Ask, *, before: Sequence[str] = ()) -> list[Line]:
        """Ask ``ask`` now, cutting what is being said."""
        return _answering(self._lines(before) + self._ask_question(ask))

    def _ask_question(self, ask: Ask) -> list[Line]:
        self._ask = ask
        self._ask_said = None
        self._ask_lines = {}
        ask.choice.asked(self._clock())
        lines = [Line(text, id=next(self._ids)) for text in ask.choice.opening()]
        last = lines[-1].id
        assert last is not None
        self._ask_lines[last] = QUESTION
        return lines

    def _end_ask(self) -> list[Line]:
        """What to say and do once the question in hand has its answer."""
        ask, self._ask = self._ask, None
        self._ask_lines = {}
        assert ask is not None
        answer = ask.answer
        said = self._lines(ask.closing())
        if ask.question is Question.WHO:
            if answer.outcome is Outcome.UNANSWERED:
                return self._lines([phrases.nobody_chosen()])
            if answer.outcome is Outcome.PICKED and answer.index is not None:
                self._trainee = self._people[answer.index]
                self._chosen = self._trainee.id
                self._use(self._trainee)
            assert self._trainee is not None
            said += self._lines([phrases.trainee_chosen(self._trainee.name)])
            return said + self._before_start(Action.NEXT)
        if ask.question is Question.DOSE:
            return said + self._dose_answered(answer.outcome)
        start, self._start = self._start, None
        before = ask.question is Question.PAIN_BEFORE
        if answer.outcome is Outcome.PICKED and answer.index is not None:
            self._answered.add(ask.moment)
            noted = Line(phrases.pain_noted(answer.index), id=next(self._ids))
            assert noted.id is not None
            self._noted = _Noted(
                ask.moment,
                answer.index,
                noted.id,
                self._clock() + CORRECT_SECONDS,
                self._session.mark() if before else None,
                start if before else None,
                ask.area,
            )
            if before:
                self._pain_before = answer.index
            said.append(noted)
        if before and start is not None:
            said += self._after(self._session.handle(start))
        if not before and answer.outcome is not Outcome.PICKED:
            said += self._offer_dose()
        return said

    def _reask(self) -> list[Line]:
        """A double-press just after "Noted: N.": ask again, as if never answered."""
        noted, self._noted = self._noted, None
        assert noted is not None
        self._answered.discard(noted.moment)
        if noted.mark is not None:
            self._session.restore(noted.mark)
            self._start = noted.start
            self._pain_before = None
        return self._open(Ask.pain(noted.moment, step=self._choice_step, area=noted.area))

    def _confirm(self) -> list[Line]:
        """The correction window has passed: the score is kept, and advice may follow."""
        noted, self._noted = self._noted, None
        assert noted is not None
        self._scores.append(PainScore(noted.moment, noted.score))
        if noted.moment == "before":
            return []
        self._pain_after = noted.score
        feedback = self._lines(pain_feedback(self._pain_before, noted.score, area=noted.area))
        return feedback + self._offer_dose()

    def _offer_dose(self) -> list[Line]:
        """After the workout and its after-score, the one change of dose it earned, if any."""
        pending, self._to_offer = self._to_offer, None
        if pending is None:
            return []
        routine, record, trainee, ended = pending
        if record is None or trainee.progress is None:
            return []
        current = HistoryEntry.of(
            record,
            finished_at=ended,
            profile_id=trainee.id,
            pain_before=self._pain_before,
            pain_after=self._pain_after,
        )
        proposal = earned_offer(routine, trainee.progress, ended, current=current)
        if proposal is None:
            return []
        offer = DoseOffer(trainee.id, routine.id, proposal, ended)
        self._offering = offer
        self._dose_offers.append(offer)
        ask = dose_ask(proposal, area=routine.checkin_area, step=self._choice_step)
        return self._ask_question(ask)

    def _dose_answered(self, outcome: Outcome) -> list[Line]:
        offer, self._offering = self._offering, None
        if offer is None:
            return []
        self._dose_offers.append(offer.answered(outcome))
        return self._lines([closing(offer.proposal, outcome)])

    def _after(self, lines: list[Line]) -> list[Line]:
        """The session's lines, followed by the after-workout check-in once it has ended."""
        done = self._session.status().state is State.DONE
        ended, self._was_done = done and not self._was_done, done
        routine = self._running
        if ended:
            self._running = None
            noted = self._noted
            if noted is not None and noted.moment == "before":
                lines = lines + self._confirm()  # the record takes it now
            trainee = self._trainee
            if routine is not None and trainee is not None:
                ended_at = self._clock() + trainee.wall_offset
                self._to_offer = (routine, self._session.finished(), trainee, ended_at)
        if ended and routine is not None and routine.checkin == "pain":
            if "after" in self._answered:
                # Given on the phone during the workout.
                return lines + self._offer_dose()
            ask = Ask.pain("after", step=self._choice_step, area=routine.checkin_area)
            return lines + self._ask_question(ask)
        if ended:
            return lines + self._offer_dose()
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
    def _lines(texts: Sequence[str]) -> list[Line]:
        return [Line(text) for text in texts]


def _answering(lines: list[Line]) -> list[Line]:
    """``lines`` as the answer to something the trainee did: the first cuts what is said."""
    if not lines or lines[0].interrupt:
        return lines
    return [dataclasses.replace(lines[0], interrupt=True), *lines[1:]]


def _joined(said: list[Line], more: list[Line]) -> list[Line]:
    """Two batches said one after the other. An answer that interrupts would cut the earlier
    one short the moment it starts: say only what the ear would hear."""
    return more if more and more[0].interrupt else said + more
