"""The button under abuse: contact chatter, machine-gun presses and holds at awkward
moments, through a real gpiozero Button on a mock pin. The gestures decided must be
exactly those the rules in ``device.engine.gestures`` give, whatever the pin does, and the
real session engine behind the button must stay consistent after every step."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from itertools import pairwise

import pytest
from gpiozero.pins.mock import MockFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from device.engine import phrases
from device.engine.gestures import GestureDetector
from device.engine.session import SessionRecord, WorkoutSession
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State, Status
from device.service import progress
from device.testing import FakeClock
from routines.validation import parse_routine
from tests.fingers import PinFinger

PRESS, DOUBLE, HOLD, LONG = Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD


@pytest.fixture
def finger(mock_factory, clock):
    with PinFinger(mock_factory, clock) as f:
        yield f


def bouncy_tap(finger: PinFinger, down: float, up: float, bounces: int = 7) -> None:
    """A press whose contacts chatter for ``bounces`` ms when they close and when they open."""
    pressed = finger.t
    finger.chatter(True, bounces)
    finger.wait(pressed + down - finger.t)
    released = finger.t
    finger.chatter(False, bounces)
    finger.wait(max(0.0, released + up - finger.t))


# -- 1 ms contact chatter -------------------------------------------------------------------


def test_1ms_chatter_on_every_edge_of_every_gesture_changes_nothing(finger):
    bouncy_tap(finger, 0.15, 1.0)  # press
    bouncy_tap(finger, 0.12, 0.15)  # press ...
    bouncy_tap(finger, 0.12, 1.0)  # ... and double
    bouncy_tap(finger, 1.6, 1.0)  # hold
    bouncy_tap(finger, 3.4, 1.0)  # long hold
    assert finger.gestures == [PRESS, PRESS, DOUBLE, HOLD, LONG]
    assert len(finger.edges) > 60  # the pin really did chatter


def test_chatter_answers_a_press_at_its_first_release_edge(finger):
    finger.chatter(True, 7)
    finger.wait(0.2)
    release = finger.t
    finger.chatter(False, 7)
    assert finger.log == [(release, PRESS)]


def test_chatter_that_never_stops_is_one_contact(finger):
    """A shorted or failing switch buzzing at 1 kHz for 5 s is one long hold, not 2500 presses."""
    finger.chatter(True, 5000)
    finger.wait(0.001)
    finger.edge(False)
    finger.wait(1)
    assert finger.gestures == [LONG]


presses = st.lists(
    st.tuples(
        st.sampled_from([0.1, 0.3, 1.5, 2.5, 3.5]),  # how long it is held
        st.sampled_from([0.05, 0.2, 0.39, 0.6, 1.2]),  # the gap after it
        st.integers(0, 9),  # how many ms its contacts chatter
    ),
    max_size=12,
)


def test_chatter_never_changes_what_a_sequence_of_presses_means(mock_factory):
    # Two buttons for the whole run: closing one waits for gpiozero's hold thread.
    clean = PinFinger(mock_factory, FakeClock(), pin=5)
    bouncy = PinFinger(mock_factory, FakeClock(), pin=6)

    @settings(max_examples=80, deadline=None)
    @given(presses)
    def same_gestures(presses):
        for f in (clean, bouncy):
            f.detector = GestureDetector()
            f.log = []
        for down, up, bounces in presses:
            clean.tap(down, up)
            bouncy_tap(bouncy, down, up, bounces)
        clean.wait(4)
        bouncy.wait(4)
        assert bouncy.gestures == clean.gestures

    with clean, bouncy:
        same_gestures()


# -- 50 presses in a second ---------------------------------------------------------------


def test_fifty_presses_in_one_second_are_chatter_to_a_20ms_debounce(finger):
    """50 a second is 10 ms down, 10 ms up: edges closer than the debounce time, so the
    burst is one contact from its first edge (0 s) to its last (0.99 s): one press."""
    start = finger.t
    for _ in range(50):
        finger.tap(0.01, 0.01)
    assert finger.t - start == pytest.approx(1.0)
    finger.wait(1)
    assert finger.gestures == [PRESS]
    assert len(finger.edges) == 100


def test_a_longer_burst_at_fifty_a_second_is_one_hold(finger):
    for _ in range(100):
        finger.tap(0.01, 0.01)
    finger.wait(1)
    assert finger.gestures == [HOLD]


def test_presses_exactly_the_debounce_time_apart_all_count_as_press_double_pairs(finger):
    """20 ms down, 20 ms up (25 a second) is as fast as presses can be told from chatter;
    each is answered at its own release edge, nothing queues up behind."""
    releases = []
    for _ in range(50):
        finger.edge(True)
        finger.wait(0.02)
        releases.append(finger.t)
        finger.edge(False)
        finger.wait(0.02)
    assert finger.gestures == [PRESS, DOUBLE] * 25
    assert [t for t, _ in finger.log] == releases
    assert finger.detector.next_deadline() is None


def test_bouncing_contacts_at_25_a_second_leave_too_little_quiet_and_merge(finger):
    """10 ms of chatter after each 20 ms edge leaves 10 ms of quiet, under the debounce
    time, so each press runs into the next: 2 s of it is one hold."""
    for _ in range(50):
        bouncy_tap(finger, 0.02, 0.02, bounces=10)
    finger.wait(1)
    assert finger.gestures == [HOLD]


def test_a_press_after_a_burst_is_a_fresh_press(finger):
    for _ in range(51):
        finger.tap(0.02, 0.02)
    finger.wait(0.5)
    finger.tap(0.1, 1)
    assert finger.gestures == [PRESS, DOUBLE] * 25 + [PRESS, PRESS]


# -- holds at awkward moments ---------------------------------------------------------------


def test_a_hold_that_starts_during_a_pending_double_window_is_a_hold(finger):
    finger.tap(0.1, 0.1)
    finger.tap(1.2, 0.1)
    assert finger.gestures == [PRESS, HOLD]


def test_a_hold_that_starts_while_a_chattering_release_settles_is_timed_from_its_press(finger):
    finger.tap(0.2)
    finger.chatter(False, 15)
    finger.wait(0.001)
    finger.chatter(True, 3)  # pressed again 16 ms later, still inside the chatter
    finger.wait(1.5)
    finger.edge(False)
    finger.wait(1)
    assert finger.gestures == [PRESS, HOLD]


def test_a_long_hold_decided_late_is_still_one_long_hold(finger):
    finger.edge(True)
    # The worker was busy for 10 s: it never polled.
    finger.clock.advance(10)
    finger.t += 10
    finger.edge(False)
    assert finger.gestures == [LONG]
    finger.wait(5)
    assert finger.gestures == [LONG]


# -- the engine behind the button -----------------------------------------------------------

ROUTINE = parse_routine(
    {
        "name": "Button abuse",
        "exercises": [
            {"name": "Wall sit", "sets": 2, "hold_seconds": 20, "rest_seconds": 10},
            {"name": "Curls", "sets": 2, "reps": 5, "count": "per_rep", "rest_seconds": 10},
            {"name": "Bridges", "sets": 1, "reps": 8, "count": "per_set"},
        ],
    }
)
TIMED = (State.HOLD, State.REST)
# These tests drive doubles as skips, the mapping older settings keep (the default is back).
DOUBLE_SKIPS = {**DEFAULT_GESTURE_ACTIONS, Gesture.DOUBLE: Action.SKIP}


def assert_consistent(session: WorkoutSession, now: float) -> None:
    """What must hold after every step, whatever the button did."""
    status = session.status()
    deadline = session.next_deadline()
    position = session.snapshot()
    if position is not None:
        # Whatever the button did, the position can be stored and resumed from.
        back = progress.decode(json.loads(json.dumps(progress.encode(position))))
        assert back == dataclasses.replace(position, elapsed=round(position.elapsed, 1))
    if status.state in (State.IDLE, State.DONE):
        assert status.exercise_index is None
        assert deadline is None
        return
    assert status.exercise_index is not None and status.set is not None
    exercise = ROUTINE.exercises[status.exercise_index]
    assert status.exercise_name == exercise.name
    assert 1 <= status.set <= exercise.sets == status.sets
    if status.rep is not None:
        assert status.reps is not None and 0 <= status.rep <= status.reps
    if status.state in TIMED:
        assert status.remaining_seconds is not None and status.remaining_seconds >= 0
        # Everything due was said: the next thing to say is still ahead.
        assert deadline is not None and deadline > now
    else:
        # Waiting for a press: only the idle reminder, pause or abandon lies ahead.
        assert deadline is not None and deadline > now


class WorkoutFinger(PinFinger):
    """The daemon's worker in miniature: the button's gestures go to a real WorkoutSession,
    which is ticked after every step; the session is checked after every step too."""

    def __init__(self, factory: MockFactory, clock: FakeClock, *, pin: int = 17) -> None:
        super().__init__(factory, clock, pin=pin)
        self.session = WorkoutSession(clock, gesture_actions=DOUBLE_SKIPS)
        self.session.set_routine(ROUTINE)
        self.spoken: list[tuple[float, Line]] = []
        self.states: list[tuple[float, State]] = [(self.t, State.IDLE)]
        self.records: list[SessionRecord] = []

    def next_deadline(self) -> float | None:
        due = [self.detector.next_deadline(), self.session.next_deadline()]
        return min((d for d in due if d is not None), default=None)

    def _note(self, decided: list[Gesture]) -> list[Gesture]:
        super()._note(decided)
        for gesture in decided:
            self.spoken += [(self.t, line) for line in self.session.handle_gesture(gesture)]
        self.spoken += [(self.t, line) for line in self.session.tick()]
        if (record := self.session.pop_finished()) is not None:
            self.records.append(record)
        state = self.session.status().state
        if state is not self.states[-1][1]:
            self.states.append((self.t, state))
        assert_consistent(self.session, self.t)
        return decided

    @property
    def status(self) -> Status:
        return self.session.status()

    def said(self, since: float) -> list[str]:
        return [line.text for t, line in self.spoken if t >= since]

    def left(self, state: State) -> float:
        """When the session last moved out of ``state``."""
        return [t for (_, s), (t, _) in pairwise(self.states) if s is state][-1]


@pytest.fixture
def workout(mock_factory, clock):
    with WorkoutFinger(mock_factory, clock) as w:
        yield w


def start_the_hold(w: WorkoutFinger) -> float:
    """Press through the intro and the set announcement; the hold starts at the third release."""
    w.tap(0.1, 1)
    w.tap(0.1, 1)
    w.tap(0.1)
    assert w.status.state is State.HOLD and w.status.remaining_seconds == 20
    return w.t


def test_a_hold_during_the_hold_countdown_repeats_the_cue_and_the_countdown_keeps_time(workout):
    t0 = start_the_hold(workout)
    workout.wait(4)
    bouncy_tap(workout, 1.5, 0)
    assert workout.gestures[-1] is HOLD
    decided_at = workout.log[-1][0]
    answer = [line for t, line in workout.spoken if t == decided_at]
    assert [line.text for line in answer] == phrases.keep_holding(ROUTINE.exercises[0])
    assert answer[0].interrupt
    assert workout.status.state is State.HOLD
    assert workout.status.remaining_seconds == 15  # 5.5 s of 20 gone, nothing lost or added
    workout.wait(30)
    assert workout.left(State.HOLD) == pytest.approx(t0 + 20)
    assert [t for t, line in workout.spoken if line.text == phrases.halfway()] == [
        pytest.approx(t0 + 10)
    ]


def test_a_long_hold_during_the_hold_countdown_pauses_it_the_moment_it_is_decided(workout):
    t0 = start_the_hold(workout)
    workout.wait(4)
    workout.chatter(True, 5)
    workout.wait(3)
    assert workout.gestures[-1] is LONG
    assert workout.states[-1] == (pytest.approx(t0 + 7), State.PAUSED)
    workout.wait(2)
    workout.chatter(False, 5)  # letting go of a long hold does nothing more
    paused = workout.t
    workout.wait(60)
    assert workout.said(since=paused) == []
    assert workout.status.state is State.PAUSED
    assert workout.status.remaining_seconds == 13
    workout.tap(0.1)
    resumed = workout.t
    assert workout.status.state is State.HOLD
    workout.wait(30)
    assert workout.left(State.HOLD) == pytest.approx(resumed + 13)


def test_a_hold_started_in_a_pending_double_window_repeats_instead_of_skipping(workout):
    workout.tap(0.1, 1)  # intro of the wall sit
    workout.tap(0.1, 0.1)  # press ...
    workout.tap(0.1, 0.1)  # ... double: skip to the curls
    workout.tap(0.1, 1)  # set 1 of the curls
    workout.tap(0.1, 0.1)  # rep 1 ...
    workout.tap(1.5, 1)  # ... and a hold inside its double window
    assert workout.gestures == [PRESS, PRESS, DOUBLE, PRESS, PRESS, HOLD]
    assert workout.status.exercise_name == "Curls"
    assert workout.status.rep == 1


def test_fifty_presses_in_one_second_during_a_set_count_one_rep(workout):
    workout.tap(0.1, 1)  # the wall sit's intro
    workout.tap(0.1, 0.1)
    workout.tap(0.1, 1)  # a double: on to the curls
    workout.tap(0.1, 1)  # set 1
    for _ in range(50):
        workout.tap(0.01, 0.01)
    workout.wait(1)
    assert workout.gestures == [PRESS, PRESS, DOUBLE, PRESS, PRESS]
    assert (workout.status.exercise_name, workout.status.rep) == ("Curls", 1)


def test_press_double_pairs_at_25_a_second_each_do_exactly_what_one_skip_does(
    workout, mock_factory
):
    """A double supersedes its press, so each pair must leave the engine where a single
    skip from the web page would: 25 of them cycle the workout through starts and ends."""
    skips_clock = FakeClock(workout.t)
    skips = WorkoutSession(skips_clock)
    skips.set_routine(ROUTINE)
    skip_records = []
    for _ in range(25):
        workout.tap(0.02, 0.02)
        workout.tap(0.02, 0.02)
        skips_clock.advance(workout.t - 0.02 - skips_clock())
        skips.handle(Action.SKIP)
        if (record := skips.pop_finished()) is not None:
            skip_records.append(record)
        assert workout.status == skips.status()
    assert workout.gestures == [PRESS, DOUBLE] * 25
    assert workout.records == skip_records
    assert workout.records and not any(r.completed for r in workout.records)


def work_out(w: WorkoutFinger, tap: Callable[[WorkoutFinger], None]) -> None:
    """Press every 6 s until the workout is done: holds and rests run on their own between."""
    for _ in range(200):
        if w.status.state is State.DONE:
            return
        tap(w)
        w.wait(6)
    raise AssertionError("the workout never finished")


def test_1ms_chatter_through_a_whole_workout_says_exactly_what_clean_presses_say(mock_factory):
    with (
        WorkoutFinger(mock_factory, FakeClock(), pin=5) as clean,
        WorkoutFinger(mock_factory, FakeClock(), pin=6) as bouncy,
    ):
        work_out(clean, lambda w: w.tap(0.15, 0.01))
        work_out(bouncy, lambda w: bouncy_tap(w, 0.15, 0.01))
        assert len(bouncy.edges) > 5 * len(clean.edges)
        assert [(round(t, 6), line) for t, line in bouncy.spoken] == [
            (round(t, 6), line) for t, line in clean.spoken
        ]
        assert bouncy.records == clean.records
        assert [r.completed for r in clean.records] == [True]


def test_random_abuse_never_leaves_the_engine_inconsistent(mock_factory):
    # One button for the whole run: closing one waits for gpiozero's hold thread.
    with WorkoutFinger(mock_factory, FakeClock()) as w:

        @settings(max_examples=40, deadline=None)
        @given(presses)
        def abuse(presses):
            w.detector = GestureDetector()
            w.session = WorkoutSession(w.clock, gesture_actions=DOUBLE_SKIPS)
            w.session.set_routine(ROUTINE)
            for down, up, bounces in presses:
                bouncy_tap(w, down, up, bounces)  # every step is checked by WorkoutFinger

        abuse()
