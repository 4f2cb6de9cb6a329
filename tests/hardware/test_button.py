"""The button end to end: a real gpiozero Button on a mock pin, its edges through the
gesture detector. Time is a fake clock moved between edges; nothing sleeps."""

from __future__ import annotations

import pytest
from gpiozero import Button
from gpiozero.exc import GPIOPinInUse
from gpiozero.pins.mock import MockFactory

from device.engine.gestures import Edge
from device.events import Gesture
from device.hardware.button import ButtonInput
from device.hardware.gpio import FACTORY_NAMES, NoGpioError, make_pin_factory
from tests.fingers import PinFinger

PRESS, DOUBLE, HOLD, LONG = Gesture.PRESS, Gesture.DOUBLE, Gesture.HOLD, Gesture.LONG_HOLD


@pytest.fixture
def finger(mock_factory, clock):
    with PinFinger(mock_factory, clock) as f:
        yield f


# -- edges ----------------------------------------------------------------------------------


def test_pulling_the_pin_low_is_a_press_stamped_with_the_clock(finger, clock):
    assert finger.edges == []  # the idle, pulled-up pin reports nothing
    finger.pin.drive_low()
    clock.advance(0.25)
    finger.pin.drive_high()
    assert finger.edges == [Edge(True, 1000.0), Edge(False, 1000.25)]


def test_the_button_uses_the_pull_up_and_no_gpiozero_debounce(finger):
    assert finger.pin.pull == "up"
    assert finger.pin.bounce is None


def test_close_releases_the_pin_and_stops_reporting(mock_factory, clock):
    edges: list[Edge] = []
    button = ButtonInput(17, edges.append, clock, pin_factory=mock_factory)
    with pytest.raises(GPIOPinInUse):
        Button(17, pin_factory=mock_factory)
    button.close()
    button.close()
    pin = mock_factory.pin(17)
    pin.drive_low()
    assert edges == []
    Button(17, pin_factory=mock_factory).close()


def test_every_bounce_reaches_the_sink_untouched(finger):
    finger.chatter(True, 4)
    assert [e.pressed for e in finger.edges] == [True, False, True, False, True]


# -- gestures through the pin ---------------------------------------------------------------


def test_a_press_is_decided_by_the_release_edge(finger):
    finger.edge(True)
    finger.wait(0.2)
    assert finger.edge(False) == [PRESS]
    assert finger.detector.next_deadline() is None


def test_chatter_of_1ms_on_press_and_release_is_one_press(finger):
    finger.chatter(True, 8)
    finger.wait(0.15)
    finger.chatter(False, 8)
    finger.wait(1)
    assert finger.gestures == [PRESS]
    assert len(finger.edges) == 18  # the button did report every bounce


@pytest.mark.parametrize(("gap", "expected"), [(0.1, [PRESS, DOUBLE]), (0.5, [PRESS, PRESS])])
def test_two_presses_are_a_double_only_inside_the_window(finger, gap, expected):
    finger.tap(0.1, gap)
    finger.tap(0.1, 1)
    assert finger.gestures == expected


def test_a_double_with_bouncing_contacts_is_still_press_then_double(finger):
    for _ in range(2):
        finger.chatter(True, 5)
        finger.wait(0.1)
        finger.chatter(False, 5)
        finger.wait(0.1)
    finger.wait(1)
    assert finger.gestures == [PRESS, DOUBLE]


@pytest.mark.parametrize(
    ("down", "expected"),
    [(0.95, [PRESS]), (1.0, [HOLD]), (2.95, [HOLD]), (3.0, [LONG]), (5.0, [LONG])],
)
def test_press_hold_and_long_hold_boundaries(finger, down, expected):
    finger.tap(down, 1)
    assert finger.gestures == expected


def test_a_long_hold_is_decided_while_the_pin_is_still_low(finger):
    finger.edge(True)
    finger.wait(3.5)
    assert finger.gestures == [LONG]
    assert finger.pin.state == 0
    assert finger.edge(False) == []


def test_a_hold_started_during_a_pending_double_window(finger):
    finger.tap(0.1, 0.2)
    finger.chatter(True, 3)
    finger.wait(1.4)
    finger.chatter(False, 3)
    finger.wait(0.1)
    finger.tap(0.1, 1)
    assert finger.gestures == [PRESS, HOLD, PRESS]


def test_presses_arriving_fast_are_each_counted(finger):
    for _ in range(6):
        finger.tap(0.04, 0.04)
    finger.wait(1)
    assert finger.gestures == [PRESS, DOUBLE] * 3


def test_a_tap_shorter_than_the_debounce_time_is_not_lost(finger):
    finger.edge(True)
    finger.wait(0.008)
    assert finger.edge(False) == []
    finger.wait(0.1)
    assert finger.gestures == [PRESS]


# -- choosing the pins ----------------------------------------------------------------------


def test_mock_pins_by_name():
    assert isinstance(make_pin_factory("mock"), MockFactory)
    assert isinstance(make_pin_factory("Mock"), MockFactory)


def test_the_environment_picks_the_factory_as_it_does_for_gpiozero(monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    assert isinstance(make_pin_factory(None), MockFactory)


def test_an_unknown_name_is_one_line_listing_the_choices():
    with pytest.raises(NoGpioError) as err:
        make_pin_factory("banana")
    message = str(err.value)
    assert "'banana'" in message
    assert all(name in message for name in FACTORY_NAMES)
    assert "\n" not in message


def test_no_gpio_is_one_line_saying_what_to_install(monkeypatch):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    try:
        factory = make_pin_factory(None)
    except NoGpioError as err:
        assert str(err) == (
            "no GPIO found: install lgpio (apt: python3-lgpio; in a venv: pip install lgpio)"
        )
        assert isinstance(err, RuntimeError)  # what `spotter run` turns into one line
    else:
        factory.close()
        pytest.skip("this machine has a GPIO library")


def test_every_factory_is_the_one_gpiozero_registers_under_its_name():
    from importlib.metadata import entry_points

    from device.hardware.gpio import FACTORY_CLASSES

    registered = {
        point.name: tuple(point.value.split(":"))
        for point in entry_points(group="gpiozero_pin_factories")
    }
    assert set(FACTORY_CLASSES) == set(FACTORY_NAMES)
    assert {name: registered[name] for name in FACTORY_NAMES} == FACTORY_CLASSES


def test_a_factory_is_found_without_reading_every_package_s_metadata(monkeypatch):
    # On a Pi, reading the metadata of every installed package costs the start time.
    import importlib.metadata

    def scan(**kwargs):
        raise AssertionError("read every installed package's metadata")

    monkeypatch.setattr(importlib.metadata.Distribution, "discover", scan)
    assert isinstance(make_pin_factory("mock"), MockFactory)
