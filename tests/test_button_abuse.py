"""The button under abuse: contact chatter, machine-gun presses and holds at awkward
moments, through a real gpiozero Button on a mock pin. The gestures decided must be
exactly those the rules in ``device.gestures`` give, whatever the pin does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.events import Gesture
from device.gestures import GestureDetector
from tests.fakes import FakeClock
from tests.fingers import PinFinger

PRESS, DOUBLE, HOLD, LONG = Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD


@pytest.fixture
def finger(mock_factory, clock):
    with PinFinger(mock_factory, clock) as f:
        yield f


def bouncy_tap(finger: PinFinger, down: float, up: float, bounces: int = 7) -> None:
    """A press whose contacts chatter for ``bounces`` ms when they close and when they open."""
    finger.chatter(True, bounces)
    finger.wait(down - bounces * 0.001)
    finger.chatter(False, bounces)
    finger.wait(up - bounces * 0.001)


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
