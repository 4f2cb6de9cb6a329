"""The device's allowance of wrong PINs, on a fake clock: free tries, a doubling wait,
a quiet reset, known browsers' own allowance, and tickets that are taken back once."""

from __future__ import annotations

import pytest

from device.control import MustWait
from device.service.pin_throttle import (
    FIRST_WAIT,
    FREE_TRIES,
    KNOWN_LIMIT,
    KNOWN_WINDOW,
    MAX_OPEN,
    MAX_WAIT,
    QUIET_RESET,
    PinThrottle,
    wait_after,
)
from device.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def throttle(clock: FakeClock) -> PinThrottle:
    return PinThrottle(clock)


def wrong(throttle: PinThrottle, times: int, known: str | None = None) -> None:
    for _ in range(times):
        throttle.start(known)


def test_strangers_have_free_tries_then_a_wait_that_doubles_up_to_a_minute(throttle, clock):
    wrong(throttle, FREE_TRIES - 1)
    assert throttle.retry_after() == 0
    waits = []
    for _ in range(8):
        throttle.start()
        waits.append(throttle.retry_after())
        with pytest.raises(MustWait) as refused:
            throttle.start()
        assert refused.value.seconds == waits[-1]
        clock.advance(waits[-1])
    assert waits == [5, 10, 20, 40, 60, 60, 60, 60]
    assert wait_after(FREE_TRIES) == FIRST_WAIT
    assert wait_after(100) == MAX_WAIT


def test_after_a_quiet_spell_strangers_start_again_with_their_free_tries(throttle, clock):
    wrong(throttle, FREE_TRIES)
    clock.advance(QUIET_RESET)
    wrong(throttle, FREE_TRIES - 1)
    assert throttle.retry_after() == 0


def test_a_right_pin_is_taken_back_and_only_once(throttle):
    wrong(throttle, FREE_TRIES - 1)
    ticket = throttle.start()
    assert throttle.retry_after() == FIRST_WAIT
    throttle.right(ticket)
    assert throttle.retry_after() == 0
    throttle.right(ticket)  # a second time gives nothing back
    throttle.start()
    assert throttle.retry_after() == FIRST_WAIT
    throttle.right(123456)  # nor does a ticket never given
    assert throttle.retry_after() == FIRST_WAIT


def test_tries_being_judged_at_once_all_count_until_taken_back(throttle):
    tickets = [throttle.start() for _ in range(FREE_TRIES)]
    with pytest.raises(MustWait):
        throttle.start()
    for t in tickets:
        throttle.right(t)
    assert throttle.retry_after() == 0


def test_a_known_browser_has_its_own_allowance(throttle, clock):
    wrong(throttle, FREE_TRIES)
    assert throttle.retry_after() > 0
    wrong(throttle, KNOWN_LIMIT, known="owner")
    with pytest.raises(MustWait):
        throttle.start("owner")
    assert throttle.retry_after("someone else") == 0
    clock.advance(KNOWN_WINDOW)
    throttle.right(throttle.start("owner"))
    assert throttle.retry_after("owner") == 0


def test_tickets_kept_are_bounded_and_the_oldest_stays_counted(throttle):
    first = throttle.start()
    wrong(throttle, FREE_TRIES - 2)
    for i in range(MAX_OPEN):
        throttle.start(f"browser {i}")
    throttle.right(first)  # forgotten by now: it stays a wrong PIN
    throttle.start()
    assert throttle.retry_after() == FIRST_WAIT


def test_known_browsers_remembered_are_bounded(throttle):
    wrong(throttle, KNOWN_LIMIT, known="early")
    assert throttle.retry_after("early") > 0
    for i in range(64):
        throttle.start(f"browser {i}")
    assert throttle.retry_after("early") == 0  # forgotten, as the oldest
