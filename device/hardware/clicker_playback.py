"""Recordings played through the same ``KeyButton`` a live device feeds.

Several recordings (two clickers of two people) play as one timeline, merged by their
recorded times. ``play`` keeps real time, for a running Spotter; ``replay`` goes as
fast as it can and tells its caller each moment first, so a decoder can be polled up
to it (``spotter clicker test``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from device.hardware.clicker import KeyButton
from device.hardware.evtest_recording import Appeared, Happening, Key, Recording, Vanished

Timeline = list[tuple[float, int, KeyButton, str, Happening]]


def timeline(recordings: Sequence[tuple[Recording, KeyButton]]) -> Timeline:
    """Every happening of every recording, by recorded time (ties keep file order)."""
    merged: Timeline = []
    for order, (recording, button) in enumerate(recordings):
        node = str(recording.path)
        merged += [(h.at, order, button, node, h) for h in recording.happenings]
    merged.sort(key=lambda item: (item[0], item[1]))
    return merged


def deliver(button: KeyButton, node: str, happening: Happening, at: float) -> None:
    """Hand one recorded happening to ``button`` as a live device would, stamped ``at``."""
    if isinstance(happening, Appeared):
        button.appeared(node, at)
    elif isinstance(happening, Vanished):
        button.vanished(node, at)
    elif isinstance(happening, Key):
        button.key(node, happening.code, happening.value, at)


def replay(events: Timeline, *, at_time: Callable[[float], None]) -> None:
    """Deliver everything at once, on the recorded clock; ``at_time(t)`` comes before each."""
    for at, _, button, node, happening in events:
        at_time(at)
        deliver(button, node, happening, at)


def play(
    events: Timeline,
    *,
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
    lead: float = 0.5,
) -> bool:
    """Deliver in real time, starting ``lead`` seconds from now, each stamped on ``clock``
    as a live device's event time is; False if ``stop`` cut it short."""
    if not events:
        return True
    first = events[0][0]
    base = clock() + lead
    for at, _, button, node, happening in events:
        due = base + (at - first)
        if stop.wait(max(0.0, due - clock())):
            return False
        deliver(button, node, happening, due)
    return True
