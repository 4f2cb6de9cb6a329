"""The gesture detector on its own: raw edges with explicit timestamps in, gestures out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device.engine.gestures import GestureDetector
from device.events import Gesture
from tests.fingers import START, Finger

PRESS, DOUBLE, HOLD, LONG = Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD


# -- press ----------------------------------------------------------------------------------


def test_a_short_press_is_decided_by_its_release_edge_with_nothing_left_pending():
    f = Finger()
    assert f.edge(True) == []
    f.wait(0.15)
    assert f.edge(False) == [PRESS]
    # Not held back for a possible second press: nothing is left to wait for.
    assert f.detector.next_deadline() is None
    f.wait(5)
    assert f.gestures == [PRESS]


def test_nothing_is_decided_while_the_button_is_down_short_of_a_long_hold():
    f = Finger()
    f.edge(True)
    f.wait(2.9)
    assert f.log == []
    assert f.detector.poll(f.t) == []


def test_a_release_with_no_press_before_it_is_ignored():
    f = Finger()
    assert f.edge(False) == []
    f.wait(1)
    f.tap(0.1)
    assert f.gestures == [PRESS]


def test_edges_repeating_the_current_level_are_ignored():
    f = Finger()
    f.edge(True)
    f.wait(0.5)
    f.edge(True)  # must not restart the hold's timing
    f.wait(0.6)
    f.edge(False)
    f.wait(0.5)
    f.edge(False)
    f.wait(1)
    assert f.gestures == [HOLD]


# -- double ---------------------------------------------------------------------------------


def test_a_second_short_press_inside_the_window_is_a_double_after_the_press():
    f = Finger()
    f.tap(0.1, 0.2)
    f.tap(0.1)
    assert f.log == [(pytest.approx(START + 0.1), PRESS), (pytest.approx(START + 0.4), DOUBLE)]


@pytest.mark.parametrize(("gap", "expected"), [(0.4, [PRESS, DOUBLE]), (0.401, [PRESS, PRESS])])
def test_the_double_window_runs_from_the_release_to_the_next_press(gap, expected):
    f = Finger()
    f.tap(0.1, gap)
    f.tap(0.9)  # a long second press still counts as short: under the hold time
    assert f.gestures == expected


def test_the_third_press_starts_over_and_the_fourth_pairs_with_it():
    f = Finger()
    for _ in range(4):
        f.tap(0.1, 0.1)
    assert f.gestures == [PRESS, DOUBLE, PRESS, DOUBLE]


def test_a_hold_or_long_hold_never_pairs_with_the_next_press():
    f = Finger()
    f.tap(1.2, 0.1)
    f.tap(0.1, 1)
    f.tap(3.5, 0.1)
    f.tap(0.1)
    assert f.gestures == [HOLD, PRESS, LONG, PRESS]


# -- hold and long hold ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("down", "expected"),
    [(0.999, [PRESS]), (1.0, [HOLD]), (2.999, [HOLD]), (3.0, [LONG]), (7.0, [LONG])],
)
def test_how_long_the_button_stays_down_decides_press_hold_or_long_hold(down, expected):
    f = Finger()
    f.tap(down, 1)
    assert f.gestures == expected


def test_a_hold_is_decided_at_release_and_is_never_also_a_press():
    f = Finger()
    f.edge(True)
    f.wait(1.5)
    assert f.log == []
    assert f.edge(False) == [HOLD]
    f.wait(1)
    assert f.gestures == [HOLD]


def test_a_long_hold_is_decided_while_down_at_its_deadline_and_its_release_adds_nothing():
    f = Finger()
    f.edge(True)
    assert f.detector.next_deadline() == pytest.approx(START + 3.0)
    assert f.detector.poll(START + 2.999) == []
    f.wait(3.0)
    assert f.log == [(pytest.approx(START + 3.0), LONG)]
    assert f.detector.next_deadline() is None
    f.wait(4)
    assert f.edge(False) == []
    assert f.gestures == [LONG]


def test_a_hold_started_inside_a_pending_double_window_is_a_hold():
    f = Finger()
    f.tap(0.1, 0.1)
    f.tap(1.5, 0.1)
    f.tap(0.1)
    assert f.gestures == [PRESS, HOLD, PRESS]


def test_a_long_hold_started_inside_a_pending_double_window_is_a_long_hold():
    f = Finger()
    f.tap(0.1, 0.1)
    f.tap(3.5)
    assert f.gestures == [PRESS, LONG]


# -- decided from timestamps, not from when the caller looks ---------------------------------


def test_a_late_release_with_no_poll_is_still_decided_from_its_timestamps():
    det = GestureDetector()
    det.edge(True, 10.0)
    # The worker was busy: the release is the first thing it sees in 3.5 s.
    assert det.edge(False, 13.5) == [LONG]
    det.edge(True, 20.0)
    assert det.edge(False, 22.9) == [HOLD]


def test_a_late_poll_decides_a_long_hold_once():
    det = GestureDetector()
    det.edge(True, 10.0)
    assert det.poll(60.0) == [LONG]
    assert det.poll(61.0) == []


def test_an_edge_stamped_before_a_time_already_seen_counts_as_happening_then():
    det = GestureDetector()
    det.edge(True, 10.0)
    assert det.poll(10.5) == []
    # Stamped before the poll: taken as 10.5, so the press lasted 0.5 s, never less.
    assert det.edge(False, 10.2) == [PRESS]
    det.edge(True, 10.6)
    # Taken as 10.6: a zero-length contact, decided once it has settled.
    assert det.edge(False, 9.0) == []
    assert det.poll(10.62) == [DOUBLE]


def test_edges_with_equal_timestamps_still_make_one_press():
    det = GestureDetector()
    assert det.edge(True, 10.0) == []
    assert det.edge(False, 10.0) == []
    # A zero-length contact is chatter until it has stayed up for the debounce time.
    assert det.next_deadline() == pytest.approx(10.02)
    assert det.poll(10.02) == [PRESS]


# -- debounce -------------------------------------------------------------------------------


def test_chatter_on_press_and_release_is_one_press_answered_by_the_first_release_edge():
    f = Finger()
    f.chatter(True, 6)  # 1 ms bounces for 6 ms
    f.wait(0.15)
    release = f.t
    f.edge(False)
    assert f.log == [(release, PRESS)]
    for i in range(1, 7):
        f.wait(0.001)
        f.edge(i % 2 == 0)
    f.wait(1)
    assert f.gestures == [PRESS]


def test_the_first_edge_of_a_chattering_press_starts_the_timing():
    f = Finger()
    f.chatter(True, 9)
    assert f.detector.next_deadline() == pytest.approx(START + 3.0)


def test_a_real_release_inside_the_debounce_time_is_decided_once_settled():
    f = Finger()
    f.edge(True)
    f.wait(0.01)
    f.edge(False)
    assert f.log == []
    assert f.detector.next_deadline() == pytest.approx(START + 0.03)
    f.wait(1)
    assert f.log == [(pytest.approx(START + 0.03), PRESS)]


def test_chatter_lasting_longer_than_the_debounce_time_is_still_one_press():
    f = Finger()
    f.tap(0.2)
    f.chatter(False, 40)  # a worn switch: 40 ms of bounce after the release edge
    f.wait(1)
    f.chatter(True, 40)
    f.wait(0.2)
    f.edge(False)
    f.wait(1)
    assert f.gestures == [PRESS, PRESS]


def test_a_long_buzz_of_chatter_is_one_contact_timed_from_its_first_edge_to_its_last():
    f = Finger()
    f.chatter(True, 1500, step=0.001)  # 1.5 s of edges 1 ms apart, ending down
    f.wait(0.001)
    f.edge(False)
    f.wait(1)
    assert f.gestures == [HOLD]


def test_with_debounce_off_every_edge_counts():
    f = Finger(GestureDetector(debounce=0))
    f.tap(0.001, 0.001)
    f.tap(0.001, 0.001)
    f.tap(0.001, 1)
    assert f.gestures == [PRESS, DOUBLE, PRESS]


# -- fast presses ---------------------------------------------------------------------------


def test_presses_exactly_the_debounce_time_apart_alternate_press_and_double():
    f = Finger()
    for _ in range(50):
        f.tap(0.02, 0.02)
    f.wait(1)
    assert f.gestures == [PRESS, DOUBLE] * 25


def test_fifty_presses_in_a_second_are_faster_than_the_debounce_time_and_merge():
    f = Finger()
    for _ in range(50):
        f.tap(0.01, 0.01)
    f.wait(1)
    assert f.log == [(pytest.approx(START + 0.99 + 0.02), PRESS)]


# -- settings -------------------------------------------------------------------------------


def test_configure_changes_the_timings_for_the_next_decisions():
    f = Finger()
    f.tap(0.6, 1)
    f.detector.configure(debounce=0.02, double_window=0.2, hold=0.5, long_hold=2.0)
    f.tap(0.6, 1)
    f.tap(2.1, 1)
    assert f.gestures == [PRESS, HOLD, LONG]


@pytest.mark.parametrize(
    ("timings", "named"),
    [
        ({"debounce": -0.01}, "debounce"),
        ({"double_window": -1}, "double_window"),
        ({"hold": 0}, "hold"),
        ({"long_hold": 1.0}, "long_hold"),
    ],
)
def test_impossible_timings_are_refused_naming_the_timing(timings, named):
    good = {"debounce": 0.02, "double_window": 0.4, "hold": 1.0, "long_hold": 3.0}
    with pytest.raises(ValueError, match=named):
        GestureDetector(**{**good, **timings})
    det = GestureDetector()
    with pytest.raises(ValueError, match=named):
        det.configure(**{**good, **timings})


# -- properties -----------------------------------------------------------------------------

# Gaps between raw edges: mostly human-sized, some chatter-sized, some on the boundaries.
gaps = st.lists(
    st.one_of(
        st.floats(0.0, 4.0),
        st.floats(0.0, 0.03),
        st.sampled_from([0.02, 0.4, 1.0, 3.0]),
    ),
    max_size=40,
)


def feed(gaps: list[float], poll_times: list[float] | None) -> list[Gesture]:
    """Toggle the button after each gap; poll at ``poll_times`` (None: at every deadline)."""
    det = GestureDetector()
    out: list[Gesture] = []
    t = START
    pending = sorted(poll_times or [])
    pressed = False
    for gap in gaps:
        t += gap
        if poll_times is None:
            while (due := det.next_deadline()) is not None and due <= t:
                out += det.poll(due)
        while pending and pending[0] <= t:
            out += det.poll(pending.pop(0))
        pressed = not pressed
        out += det.edge(pressed, t)
    out += det.poll(t + 10)
    return out


@given(gaps, st.lists(st.floats(0.0, 100.0).map(lambda x: START + x), max_size=20))
def test_when_the_caller_polls_never_changes_the_gestures(gaps, poll_times):
    punctual = feed(gaps, None)
    assert feed(gaps, []) == punctual
    assert feed(gaps, poll_times) == punctual


@given(
    st.lists(st.floats(0.035, 4.0), max_size=20),
    st.lists(st.integers(0, 4), min_size=20, max_size=20),
)
def test_short_chatter_after_any_edge_never_changes_the_gestures(gaps, bounces):
    clean = feed(gaps, None)
    det = GestureDetector()
    out: list[Gesture] = []
    t = START
    pressed = False
    for gap, pairs in zip(gaps, bounces, strict=False):
        t += gap
        while (due := det.next_deadline()) is not None and due <= t:
            out += det.poll(due)
        pressed = not pressed
        out += det.edge(pressed, t)
        for i in range(1, 2 * pairs + 1):
            out += det.edge(pressed if i % 2 == 0 else not pressed, t + 0.001 * i)
    out += det.poll(t + 10)
    assert out == clean
