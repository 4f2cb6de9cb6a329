"""The long hold after boot that offers to clear the PIN, decided from edge times alone."""

from __future__ import annotations

from device.engine.pin_recovery import PinRecovery, Recovery


def test_a_ten_second_hold_soon_after_start_offers_and_a_press_clears():
    recovery = PinRecovery(100.0, armed=True)
    recovery.edge(True, 130.0)
    assert recovery.next_deadline() == 140.0
    assert recovery.poll(139.9) is None
    assert recovery.poll(140.0) is Recovery.OFFERED
    assert recovery.offering()
    recovery.edge(False, 141.0)  # letting go is not the answer
    assert recovery.offering()
    assert recovery.answer(is_press=True) is Recovery.CLEARED
    assert not recovery.offering()


def test_silence_or_another_gesture_keeps_the_pin():
    silent = PinRecovery(0.0, armed=True)
    silent.edge(True, 1.0)
    assert silent.poll(11.0) is Recovery.OFFERED
    assert silent.next_deadline() == 26.0
    assert silent.poll(26.0) is Recovery.KEPT
    assert not silent.offering()

    other = PinRecovery(0.0, armed=True)
    other.edge(True, 1.0)
    other.poll(11.0)
    assert other.answer(is_press=False) is Recovery.KEPT


def test_only_once_only_early_only_with_a_pin_and_only_when_held_throughout():
    late = PinRecovery(0.0, armed=True)
    late.edge(True, 60.5)
    assert late.next_deadline() is None
    assert late.poll(80.0) is None

    no_pin = PinRecovery(0.0, armed=False)
    no_pin.edge(True, 1.0)
    assert no_pin.poll(20.0) is None

    short = PinRecovery(0.0, armed=True)
    short.edge(True, 1.0)
    short.edge(False, 10.9)
    assert short.poll(11.0) is None

    once = PinRecovery(0.0, armed=True)
    once.edge(True, 1.0)
    once.poll(11.0)
    once.answer(is_press=False)
    once.edge(True, 20.0)
    assert once.poll(40.0) is None
