"""Several buttons at once: the wired one and any clickers, each decoded on its own.

Each button's edges go to a decoder of its own, so a press on one never pairs with a
press on another into a double. A button that can hold (the wired one, most clickers)
uses ``GestureDetector``. Some remotes send key-down and key-up together whatever the
finger does; they cannot hold, so their gestures are counts of presses
(``PressCounter``): one is a press, two a double, three a hold, four or more a long
hold, each decided once the double-press window has passed after the last one.

A button either is known not to hold (a setting) or is found out: a key-up within
``NO_HOLD_SECONDS`` of its key-down is quicker than any finger, so from that press on
the button is counted, that press included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from device.engine.gestures import Edge, GestureDetector, GestureTimings
from device.events import PRESS_COUNTS, Gesture

WIRED = ""
# A real key stays down for 30 ms or more; remotes that cannot hold report both edges
# in the same input report, microseconds apart.
NO_HOLD_SECONDS = 0.01
COUNTED = PRESS_COUNTS


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """What the engine knows of one button: whose it is (a profile id) and whether it can
    hold (None: find out from the first press)."""

    owner: int | None = None
    holds: bool | None = None


@dataclass(frozen=True, slots=True)
class ButtonLink:
    """A clicker came (``connected``) or went: every device of it appeared or vanished."""

    button: str
    connected: bool
    at: float


class PressCounter:
    """Gestures of a button that cannot hold, decided from how many presses came together."""

    def __init__(self, *, debounce: float = 0.02, double_window: float = 0.4) -> None:
        self._debounce = debounce
        self._double_window = double_window
        self._now = -math.inf
        self._count = 0
        self._last_down: float | None = None
        self.first_down = -math.inf  # the first press of the count being made

    def configure(self, *, debounce: float, double_window: float) -> None:
        self._debounce = debounce
        self._double_window = double_window

    def edge(self, pressed: bool, at: float) -> list[Gesture]:
        """Take a raw edge: a key-down counts one press unless it is contact chatter."""
        at = max(at, self._now)
        decided = self.poll(at)
        if not pressed:
            return decided
        if self._last_down is not None and at - self._last_down < self._debounce:
            return decided
        self._last_down = at
        if self._count == 0:
            self.first_down = at
        self._count += 1
        return decided

    def poll(self, now: float) -> list[Gesture]:
        """The gesture whose window has closed by ``now``, if any."""
        self._now = max(now, self._now)
        deadline = self.next_deadline()
        if deadline is None or deadline > self._now + 1e-6:
            return []
        count, self._count = self._count, 0
        return [COUNTED[min(count, len(COUNTED)) - 1]]

    def next_deadline(self) -> float | None:
        if self._count == 0 or self._last_down is None:
            return None
        return self._last_down + self._double_window

    def reset(self) -> None:
        """Forget presses not yet decided (the device went away)."""
        self._count = 0


@dataclass
class _Button:
    detector: GestureDetector
    counter: PressCounter
    holds: bool | None
    down_at: float | None = None


class Buttons:
    """Routes each button's edges to its own decoder; gestures come out with their button."""

    def __init__(self, timings: GestureTimings = GestureTimings()) -> None:  # noqa: B008 - frozen
        self._timings = timings
        self._specs: dict[str, ButtonSpec] = {}
        self._buttons: dict[str, _Button] = {}

    def configure(self, timings: GestureTimings) -> None:
        """New timings, for every button, from the next decision on."""
        self._timings = timings
        for button in self._buttons.values():
            self._apply(button)

    def set_specs(self, specs: Mapping[str, ButtonSpec]) -> None:
        """Owners and abilities of the clickers; a button not named is nobody's and is
        found out. A button whose ability was found out keeps it."""
        self._specs = dict(specs)
        for name, button in self._buttons.items():
            spec = self._specs.get(name)
            if spec is not None and spec.holds is not None:
                button.holds = spec.holds

    def spec(self, name: str) -> ButtonSpec | None:
        return self._specs.get(name)

    def owner(self, name: str) -> int | None:
        spec = self._specs.get(name)
        return None if spec is None else spec.owner

    def holds(self, name: str) -> bool | None:
        """Whether ``name`` can hold; None until its first press says."""
        button = self._buttons.get(name)
        if button is not None:
            return button.holds
        spec = self._specs.get(name)
        return None if spec is None else spec.holds

    def cannot_hold(self) -> tuple[str, ...]:
        """The clickers known not to hold, set so or found out, sorted by name."""
        names = {n for n in self._specs if self.holds(n) is False}
        names.update(n for n, b in self._buttons.items() if b.holds is False)
        return tuple(sorted(names))

    def edge(self, edge: Edge) -> list[tuple[str, Gesture]]:
        """One raw edge of one button: the gestures it completes, with the button's name."""
        name = edge.button
        button = self._button(name)
        if button.holds is False:
            return [(name, g) for g in button.counter.edge(edge.pressed, edge.at)]
        if edge.pressed:
            button.down_at = edge.at
        elif (
            button.holds is None
            and name != WIRED
            and button.down_at is not None
            and edge.at - button.down_at < NO_HOLD_SECONDS
        ):
            # Found out: this button cannot hold. Its press is counted, not detected.
            button.holds = False
            down_at, button.down_at = button.down_at, None
            button.detector = self._detector()
            button.counter.edge(True, down_at)
            return [(name, g) for g in button.counter.edge(False, edge.at)]
        return [(name, g) for g in button.detector.edge(edge.pressed, edge.at)]

    def poll(self, now: float) -> list[tuple[str, Gesture]]:
        """Whatever is due by ``now`` on every button."""
        decided: list[tuple[str, Gesture]] = []
        for name, button in self._buttons.items():
            decider = button.counter if button.holds is False else button.detector
            decided += [(name, g) for g in decider.poll(now)]
        return decided

    def last_down_at(self, name: str) -> float:
        """When ``name`` went down for the gesture it decided last: what an answer to a
        question is judged by (a counted remote: its first press of the count)."""
        button = self._button(name)
        if button.holds is False:
            return button.counter.first_down
        return button.detector.last_down_at

    def double_possible_until(self) -> float | None:
        """While a double-press may still follow a press on any button: until when."""
        until = [
            u
            for button in self._buttons.values()
            if (u := button.detector.double_possible_until()) is not None
        ]
        return max(until) if until else None

    @property
    def second_press_down(self) -> bool:
        """Whether a second press, that would make a double, is down on any button."""
        return any(button.detector.second_press_down for button in self._buttons.values())

    def next_deadline(self) -> float | None:
        deadlines = [
            d
            for button in self._buttons.values()
            for d in (button.detector.next_deadline(), button.counter.next_deadline())
            if d is not None
        ]
        return min(deadlines) if deadlines else None

    def gone(self, name: str) -> None:
        """``name`` vanished: a press it left half made decides nothing (a key left down
        must not become a long hold that pauses the workout)."""
        button = self._buttons.get(name)
        if button is None:
            return
        button.detector = self._detector()
        button.counter.reset()
        button.down_at = None

    def _button(self, name: str) -> _Button:
        button = self._buttons.get(name)
        if button is None:
            spec = self._specs.get(name)
            holds = True if name == WIRED else (None if spec is None else spec.holds)
            button = _Button(self._detector(), PressCounter(), holds)
            self._apply(button)
            self._buttons[name] = button
        return button

    def _detector(self) -> GestureDetector:
        t = self._timings
        return GestureDetector(
            debounce=t.debounce, double_window=t.double_window, hold=t.hold, long_hold=t.long_hold
        )

    def _apply(self, button: _Button) -> None:
        t = self._timings
        button.detector.configure(
            debounce=t.debounce, double_window=t.double_window, hold=t.hold, long_hold=t.long_hold
        )
        button.counter.configure(debounce=t.debounce, double_window=t.double_window)
