"""The status LED on gpiozero's mock pins: with PWM (MockPWMPin) and without (MockPin)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from device.events import State
from device.hardware.led import LedTiming, Pattern, StatusLed, open_status_led, pattern_for

PIN = 27
FAST = LedTiming(blink=(0.02, 0.02), flash=(0.01, 0.05), pulse=(0.2, 0.2), quick_blink=(0.02, 0.02))


@pytest.fixture
def pwm_factory() -> Iterator[MockFactory]:
    factory = MockFactory(pin_class=MockPWMPin)
    try:
        yield factory
    finally:
        factory.reset()


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition`` came true while gpiozero's blink thread ran (it runs on real time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def values_since(pin, start: int) -> set[float]:
    return {float(s.state) for s in pin.states[start:]}


def test_every_state_has_a_pattern():
    assert {pattern_for(s) for s in State} == {
        Pattern.STEADY,
        Pattern.BLINK,
        Pattern.FLASH,
        Pattern.PULSE,
    }
    assert pattern_for(State.IDLE) == Pattern.STEADY
    assert pattern_for(State.REST) == Pattern.BLINK
    assert pattern_for(State.HOLD) == Pattern.PULSE


def test_dark_until_shown_then_steady_when_ready(mock_factory):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=FAST)
    pin = mock_factory.pin(PIN)
    assert pin.state == 0
    led.show(State.IDLE)
    assert pin.state == 1
    assert led.pattern == Pattern.STEADY
    led.close()


@pytest.mark.parametrize("state", [State.REST, State.PAUSED])
def test_a_rest_or_a_pause_blinks(mock_factory, state):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=FAST)
    pin = mock_factory.pin(PIN)
    start = len(pin.states)
    led.show(state)
    # At least on, off, on again: the LED really blinks by itself.
    assert wait_for(lambda: len(pin.states) - start >= 3)
    assert values_since(pin, start) == {0.0, 1.0}
    led.close()


def test_a_hold_pulses_through_levels_between_off_and_on(pwm_factory):
    led = StatusLed(PIN, pin_factory=pwm_factory, timing=FAST)
    pin = pwm_factory.pin(PIN)
    start = len(pin.states)
    led.show(State.HOLD)
    assert wait_for(lambda: any(0.0 < v < 1.0 for v in values_since(pin, start)))
    led.close()


def test_without_pwm_a_hold_blinks_quickly(mock_factory):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=FAST)
    pin = mock_factory.pin(PIN)
    start = len(pin.states)
    led.show(State.HOLD)
    assert led.pattern == Pattern.PULSE
    assert wait_for(lambda: len(pin.states) - start >= 3)
    assert values_since(pin, start) == {0.0, 1.0}
    led.close()


def test_the_same_pattern_again_leaves_the_blink_running(mock_factory):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=LedTiming(blink=(30.0, 30.0)))
    led.show(State.REST)
    # gpiozero's background blink thread: a restart would replace it.
    thread = led._led._blink_thread
    assert thread is not None
    for _ in range(5):
        led.show(State.REST)  # the countdown changes the status every second
    assert led._led._blink_thread is thread
    led.show(State.SET)
    assert led._led._blink_thread is None
    assert mock_factory.pin(PIN).state == 1
    led.close()


def test_back_to_steady_after_a_rest(pwm_factory):
    led = StatusLed(PIN, pin_factory=pwm_factory, timing=FAST)
    pin = pwm_factory.pin(PIN)
    led.show(State.REST)
    assert wait_for(lambda: len(pin.states) > 3)
    led.show(State.SET)
    assert pin.state == 1.0
    count = len(pin.states)
    assert not wait_for(lambda: len(pin.states) > count, timeout=0.1)


def test_off_and_close_leave_it_dark_and_release_the_pin(pwm_factory):
    led = StatusLed(PIN, pin_factory=pwm_factory, timing=FAST)
    pin = pwm_factory.pin(PIN)
    led.show(State.HOLD)
    led.off()
    assert pin.state == 0
    led.show(State.IDLE)
    led.close()
    assert pin.state == 0
    led.show(State.IDLE)  # a status change racing the shutdown does nothing
    led.close()
    assert pin.state == 0
    assert led.pattern == Pattern.OFF
    # The pin is free again for another device.
    StatusLed(PIN, pin_factory=pwm_factory).close()


def test_no_pin_means_no_led(mock_factory):
    assert open_status_led(None, pin_factory=mock_factory) is None


def test_a_pin_that_cannot_be_used_is_logged_and_skipped(mock_factory, caplog):
    mock_factory.pin(PIN)  # make sure the pin exists, then take it
    first = open_status_led(PIN, pin_factory=mock_factory)
    assert first is not None
    assert open_status_led(PIN, pin_factory=mock_factory) is None
    assert f"status LED on GPIO{PIN} cannot be used" in caplog.text
    first.close()


def test_a_clicker_connecting_blinks_twice_then_the_state_shows_again(mock_factory):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=LedTiming(clicker=(0.02, 0.02)))
    pin = mock_factory.pin(PIN)
    led.show(State.IDLE)
    start = len(pin.states)
    led.clicker_connected()
    # (on,) off, on, off, and steady again: two blinks out of the steady light.
    assert wait_for(lambda: len(pin.states) - start >= 4)
    assert wait_for(lambda: pin.state == 1 and led._led._blink_thread is None)
    offs = [s for s in pin.states[start:] if float(s.state) == 0.0]
    assert len(offs) == 2
    assert led.pattern == Pattern.STEADY
    led.close()


def test_a_state_change_during_the_double_blink_wins(mock_factory):
    led = StatusLed(PIN, pin_factory=mock_factory, timing=LedTiming(clicker=(30.0, 30.0)))
    pin = mock_factory.pin(PIN)
    led.show(State.IDLE)
    led.clicker_connected()
    assert wait_for(lambda: led._led._blink_thread is not None)
    led.show(State.REST)
    assert led.pattern == Pattern.BLINK
    assert wait_for(lambda: len(pin.states) > 3)
    led.close()
