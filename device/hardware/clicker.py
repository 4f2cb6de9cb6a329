"""A clicker as a button: its key events become the same edges the wired button gives.

A Bluetooth shutter remote, a presenter, a foot pedal or a ring is a Linux input
device that sends keys. ``KeyButton`` turns one clicker's key events, from a live
device or from a recording, into ``Edge``s named after the clicker, and says when the
clicker comes and goes (``ButtonLink``). It only stamps and hands on, like the GPIO
button: deciding what the edges mean is the engine's job, on the worker's thread.

A clicker may show up as several devices at once (shutter remotes often register a
keyboard and a consumer-control device under one address): it is connected while any
of them is there, and its button is down while any of its button keys is down on any
of them. Autorepeat (value 2) is not a press.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from device.engine.buttons import ButtonLink
from device.engine.gestures import Edge

KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a device is known by: ``uniq`` (often its Bluetooth address), its name, and the
    names udev gives it under /dev/input/by-id."""

    path: str
    name: str
    uniq: str = ""
    phys: str = ""
    by_id: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.uniq, *self.by_id, self.name, self.path) if n)


def matching(wanted: Sequence[str], device: DeviceIdentity) -> int | None:
    """Which of the configured ``wanted`` names ``device`` answers to (its uniq, a by-id
    name, its device name or its path), by index; None if none."""
    known = {n.casefold() for n in device.names()}
    return next((i for i, w in enumerate(wanted) if w.casefold() in known), None)


class KeyButton:
    """One clicker's keys in, its edges and comings and goings out. Thread-safe: devices
    may be read on one thread while another finds them."""

    def __init__(
        self,
        name: str,
        codes: Collection[int],
        sink: Callable[[Edge], None],
        on_link: Callable[[ButtonLink], None],
    ) -> None:
        self.name = name
        self._codes = frozenset(codes)
        self._sink = sink
        self._on_link = on_link
        self._lock = threading.Lock()
        self._nodes: set[str] = set()
        self._down: set[tuple[str, int]] = set()

    @property
    def connected(self) -> bool:
        return bool(self._nodes)

    def appeared(self, node: str, at: float) -> None:
        with self._lock:
            first = not self._nodes
            self._nodes.add(node)
        if first:
            self._on_link(ButtonLink(self.name, True, at))

    def vanished(self, node: str, at: float) -> None:
        with self._lock:
            if node not in self._nodes:
                return
            self._nodes.discard(node)
            # A key down on a device that went will never come up: forget it.
            self._down = {(n, c) for n, c in self._down if n != node}
            last = not self._nodes
        if last:
            self._on_link(ButtonLink(self.name, False, at))

    def key(self, node: str, code: int, value: int, at: float) -> bool:
        """One EV_KEY event; True if it was one of the button's keys."""
        if code not in self._codes:
            return False
        if value == KEY_REPEAT:
            return True
        with self._lock:
            was_down = bool(self._down)
            if value == KEY_DOWN:
                self._down.add((node, code))
            elif value == KEY_UP:
                self._down.discard((node, code))
            now_down = bool(self._down)
        if now_down != was_down:
            self._sink(Edge(now_down, at, self.name))
        return True
