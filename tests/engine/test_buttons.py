"""Several buttons at once, remotes that cannot hold, clickers of their own, on a fake clock."""

from __future__ import annotations

import pytest

from device.engine import phrases
from device.engine.buttons import ButtonLink, Buttons, ButtonSpec, PressCounter
from device.engine.core import Engine, Trainee
from device.engine.gestures import Edge
from device.events import Gesture, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine

P, D, H, L = Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD


def taps(counter: PressCounter, *times: float) -> list[Gesture]:
    """Presses that are down and up in the same instant, as such remotes send them."""
    made: list[Gesture] = []
    for at in times:
        made += counter.edge(True, at) + counter.edge(False, at)
    return made


@pytest.mark.parametrize(("count", "gesture"), [(1, P), (2, D), (3, H), (4, L), (6, L)])
def test_a_remote_that_cannot_hold_counts_presses(count, gesture):
    counter = PressCounter(double_window=0.4)
    assert taps(counter, *(10 + 0.2 * i for i in range(count))) == []
    last = 10 + 0.2 * (count - 1)
    # Nothing is decided while another press may still come.
    assert counter.poll(last + 0.39) == []
    assert counter.next_deadline() == pytest.approx(last + 0.4)
    assert counter.poll(last + 0.4) == [gesture]
    assert counter.next_deadline() is None


def test_counted_presses_apart_are_separate_and_chatter_is_one():
    counter = PressCounter(debounce=0.02, double_window=0.4)
    assert taps(counter, 10.0, 10.005) == []  # chatter: one press
    assert taps(counter, 11.0) == [P]  # deciding the first on the way
    assert counter.poll(12.0) == [P]


def buttons() -> Buttons:
    b = Buttons()
    b.set_specs({"ann": ButtonSpec(owner=2), "pedal": ButtonSpec(holds=True)})
    return b


def test_presses_on_two_buttons_never_pair_into_a_double():
    b = buttons()
    made = b.edge(Edge(True, 10.0)) + b.edge(Edge(False, 10.1))
    made += b.edge(Edge(True, 10.2, "pedal")) + b.edge(Edge(False, 10.3, "pedal"))
    assert made == [("", P), ("pedal", P)]


def test_a_clicker_whose_keys_come_up_at_once_is_counted_from_its_first_press():
    b = buttons()
    made: list[tuple[str, Gesture]] = []
    for at in (10.0, 10.15, 10.3):  # a triple, the very first time it is used
        made += b.edge(Edge(True, at, "ann")) + b.edge(Edge(False, at + 0.00001, "ann"))
    assert made == []
    assert b.holds("ann") is False
    assert b.poll(10.71) == [("ann", H)]


def test_a_real_press_keeps_a_clicker_timed_and_the_wired_button_is_never_counted():
    b = buttons()
    b.edge(Edge(True, 10.0, "ann"))
    assert b.edge(Edge(False, 10.08, "ann")) == [("ann", P)]
    assert b.holds("ann") is None  # still finding out
    # The wired button's edges a hair apart are contact bounce, not a remote.
    b.edge(Edge(True, 20.0))
    b.edge(Edge(False, 20.001))
    assert b.holds("") is True
    # A clicker set to hold is never switched.
    b.edge(Edge(True, 30.0, "pedal"))
    b.edge(Edge(False, 30.00001, "pedal"))
    assert b.holds("pedal") is True


def test_a_press_cut_off_by_the_clicker_going_decides_nothing():
    b = buttons()
    b.edge(Edge(True, 10.0, "ann"))
    b.gone("ann")
    assert b.next_deadline() is None
    assert b.poll(20.0) == []


# -- through the engine --------------------------------------------------------------------


def routine(rid: str, name: str) -> Routine:
    return Routine(
        id=rid,
        name=name,
        exercises=(Exercise(name=f"{name} squats", sets=1, reps=5, count="per_rep"),),
        checkin="none",
    )


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def press(engine: Engine, clock: FakeClock, button: str = "") -> list[str]:
    said = texts(engine.edge(Edge(True, clock.now, button)))
    clock.advance(0.1)
    said += texts(engine.edge(Edge(False, clock.now, button)))
    clock.advance(1.0)
    return said + texts(engine.tick())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def engine(clock: FakeClock) -> Engine:
    engine = Engine(clock)
    people = [
        Trainee(1, "Sam", routine("sam", "Sam's")),
        Trainee(2, "Ann", routine("ann", "Ann's")),
        Trainee(3, "Ben", routine("ben", "Ben's")),
    ]
    engine.set_people(people, current=1)
    engine.set_buttons({"ann": ButtonSpec(owner=2), "ben": ButtonSpec(owner=3)})
    return engine


def test_the_wired_button_asks_who_is_training(engine, clock):
    assert phrases.who_is_training() in press(engine, clock)


def test_an_owners_clicker_starts_their_workout_without_asking(engine, clock):
    said = press(engine, clock, "ann")
    assert phrases.who_is_training() not in said
    assert said[0] == phrases.trainee_chosen("Ann")
    assert engine.status().routine_id == "ann"
    assert engine.pop_chosen() == 2
    # Ben's clicker does nothing to Ann's workout; hers goes on.
    status = engine.status()
    assert press(engine, clock, "ben") == []
    assert engine.status() == status
    assert press(engine, clock, "ann") != []


def test_asked_who_is_training_an_owners_clicker_answers(engine, clock):
    press(engine, clock)  # the wired button asks
    said = press(engine, clock, "ben")
    assert phrases.trainee_chosen("Ben") in said
    assert engine.status().routine_id == "ben"


def test_a_clicker_coming_back_is_said_once_and_only_during_a_workout(engine, clock):
    back = ButtonLink("ann", True, clock.now)
    gone = ButtonLink("ann", False, clock.now)
    assert engine.link(back) == []  # first seen: nothing to say
    assert engine.link(gone) == []
    assert engine.link(back) == []  # between workouts: quiet
    press(engine, clock, "ann")
    assert engine.status().state is not State.IDLE
    assert engine.link(back) == []  # already there: nothing new
    engine.link(gone)
    assert texts(engine.link(back)) == [phrases.clicker_connected()]
    assert engine.link(back) == []


def test_a_clicker_going_with_its_key_down_does_not_pause_the_workout(engine, clock):
    press(engine, clock, "ann")
    state = engine.status().state
    engine.edge(Edge(True, clock.now, "ann"))
    engine.link(ButtonLink("ann", False, clock.now))
    clock.advance(10.0)
    assert phrases.paused() not in texts(engine.tick())
    assert engine.status().state is state


def test_the_status_names_the_clickers_that_cannot_hold_set_so_or_found_out(engine, clock):
    assert engine.status().counted_clickers == ()
    engine.set_buttons({"ann": ButtonSpec(owner=2, holds=False), "ben": ButtonSpec(owner=3)})
    assert engine.status().counted_clickers == ("ann",)
    engine.edge(Edge(True, clock.now, "ben"))
    engine.edge(Edge(False, clock.now + 0.00001, "ben"))  # both edges at once: cannot hold
    assert engine.status().counted_clickers == ("ann", "ben")
    assert engine.status().to_dict()["counted_clickers"] == ["ann", "ben"]


def test_the_status_names_the_clickers_connected_now(engine, clock):
    assert engine.status().connected_clickers == ()
    engine.link(ButtonLink("ben", True, clock.now))
    engine.link(ButtonLink("ann", True, clock.now))
    assert engine.status().connected_clickers == ("ann", "ben")
    engine.link(ButtonLink("ben", False, clock.now))
    assert engine.status().connected_clickers == ("ann",)
