"""The engine as the worker sees it: what happened in, what to say and when to look again out.

It joins the two pure state machines of a session: the button's edges become
gestures (``gestures``), gestures become actions through the settings' mapping,
and the workout (``session``) answers each with lines. The worker only moves
queued events in and lines out; it never decides what a gesture means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from device.engine import phrases
from device.engine.gestures import Edge, GestureDetector, GestureTimings
from device.engine.pin_recovery import PinRecovery, Recovery
from device.engine.session import Coaching, SessionRecord, WorkoutSession
from device.engine.state import SavedPosition
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, Status
from routines.model import Routine

__all__ = ["Coaching", "Engine", "GestureTimings", "SavedPosition", "SessionRecord"]


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
    ) -> None:
        """``clock`` is the only time the engine knows; ``address`` gives the phone page's
        URLs, asked only when they are about to be spoken; ``recovery`` watches for the
        long hold after start that offers to clear the web PIN."""
        self._clock = clock
        self._recovery = recovery
        self._made: list[Gesture] = []
        self._recovered: list[Recovery] = []
        self._gestures = GestureDetector()
        self._session = WorkoutSession(clock, address=address)
        self.configure(
            timings=timings,
            default_rest=default_rest,
            gesture_actions=gesture_actions,
            coaching=coaching,
        )

    def configure(
        self,
        *,
        timings: GestureTimings,
        default_rest: int,
        gesture_actions: Mapping[Gesture, Action],
        coaching: Coaching | None = None,
    ) -> None:
        """Apply changed settings from the next decision on; ``coaching`` carries the pace,
        verbosity and idle limits (None: as they were)."""
        self._gestures.configure(
            debounce=timings.debounce,
            double_window=timings.double_window,
            hold=timings.hold,
            long_hold=timings.long_hold,
        )
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
        self._session.set_routine(
            routine,
            sessions_this_week=sessions_this_week,
            weekly_goal=weekly_goal,
            finished_before=finished_before,
        )

    # -- inputs ----------------------------------------------------------------------------

    def edge(self, edge: Edge) -> list[Line]:
        """A raw edge of the button: the gestures it completes, answered in order."""
        if self._recovery is not None:
            self._recovery.edge(edge.pressed, edge.at)
        return self._answer(self._gestures.edge(edge.pressed, edge.at))

    def gesture(self, gesture: Gesture) -> list[Line]:
        """A gesture made elsewhere (the page's "as if the button" buttons)."""
        return self._session.handle_gesture(gesture)

    def act(self, action: Action) -> list[Line]:
        """An action that did not come from the button."""
        return self._session.handle(action)

    def tick(self, *, edges_pending: bool = False) -> list[Line]:
        """Everything the passing of time has made due by now.

        With ``edges_pending`` the button is not asked: edges still queued carry
        earlier timestamps, and asking what is due "now" before they are read would
        measure a late worker's press as a hold.
        """
        now = self._clock()
        lines = [] if edges_pending else self._answer(self._gestures.poll(now))
        if self._recovery is not None and not edges_pending:
            lines += self._recovery_lines(self._recovery.poll(now))
        return lines + self._session.tick()

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
        deadlines = [
            d
            for d in (self._session.next_deadline(), self._gestures.next_deadline(), recovery)
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    def status(self) -> Status:
        """What the phone page shows."""
        return self._session.status()

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

    def _answer(self, gestures: list[Gesture]) -> list[Line]:
        lines: list[Line] = []
        self._made.extend(gestures)
        for gesture in gestures:
            if self._recovery is not None and self._recovery.offering():
                # The answer to the PIN offer, not a move in the workout.
                outcome = self._recovery.answer(is_press=gesture is Gesture.PRESS)
                lines = self._recovery_lines(outcome)
                continue
            answer = self._session.handle_gesture(gesture)
            # An answer that interrupts would cut the earlier ones short the moment they
            # start: say only what the ear would hear.
            lines = answer if answer and answer[0].interrupt else lines + answer
        return lines
