"""A 10 s hold of the wall button while idle asks for pairing, on a fake clock; the PIN
offer keeps its own hold in the first minute after start."""

from __future__ import annotations

from device.engine import phrases
from device.engine.core import Engine
from device.engine.gestures import Edge
from device.engine.pin_recovery import PinRecovery
from device.events import Gesture
from device.testing import FakeClock
from routines.model import Exercise, Routine

ROUTINE = Routine(
    id="r", name="R", exercises=(Exercise(name="Squats", sets=1, reps=5),), checkin="none"
)


def hold(engine: Engine, clock: FakeClock, seconds: float, button: str = "") -> list[str]:
    """Hold the button, letting the engine tick at each deadline, and let go."""
    said = [line.text for line in engine.edge(Edge(True, clock.now, button))]
    end = clock.now + seconds
    while (deadline := engine.next_deadline()) is not None and deadline <= end:
        clock.now = max(clock.now, deadline)
        said += [line.text for line in engine.tick()]
    clock.now = end
    said += [line.text for line in engine.tick()]
    said += [line.text for line in engine.edge(Edge(False, clock.now, button))]
    return said


def engine_at(clock: FakeClock, *, pin: bool) -> Engine:
    engine = Engine(clock, recovery=PinRecovery(clock.now, armed=pin))
    engine.set_routine(ROUTINE, sessions_this_week=0, weekly_goal=None)
    return engine


def test_a_ten_second_hold_while_idle_asks_for_pairing_once():
    clock = FakeClock(1000.0)
    engine = engine_at(clock, pin=False)
    assert phrases.pairing_starts() not in hold(engine, clock, 9.5)
    assert engine.pop_pairing() is False
    assert phrases.pairing_starts() in hold(engine, clock, 10.5)
    assert engine.pop_pairing() is True
    assert engine.pop_pairing() is False  # asked once


def test_with_a_pin_the_first_minutes_hold_is_the_pin_offers_and_later_ones_pair():
    clock = FakeClock(1000.0)
    engine = engine_at(clock, pin=True)
    said = hold(engine, clock, 10.5)
    assert phrases.pin_clear_offer() in said
    assert phrases.pairing_starts() not in said
    assert engine.pop_pairing() is False
    clock.advance(60.0)  # the offer has lapsed: the PIN was kept
    engine.tick()
    said = hold(engine, clock, 10.5)
    assert phrases.pairing_starts() in said
    assert phrases.pin_clear_offer() not in said
    assert engine.pop_pairing() is True


def test_no_pairing_from_a_hold_during_a_workout_or_from_a_clicker():
    clock = FakeClock(1000.0)
    engine = engine_at(clock, pin=False)
    assert phrases.pairing_starts() not in hold(engine, clock, 10.5, button="ann")
    engine.gesture(Gesture.PRESS)  # the workout starts
    assert phrases.pairing_starts() not in hold(engine, clock, 10.5)
    assert engine.pop_pairing() is False
