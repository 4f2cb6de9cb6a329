"""A hand-written stand-in for the running daemon: records what the web page asks of it."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping

from device.control import ClickerInfo, EffectiveSettings
from device.engine.late_scores import late_score_since
from device.engine.preview import preview_script
from device.events import Action, Gesture, State, Status
from routines.changes import Data
from routines.model import Routine
from routines.settings import Settings
from routines.store import Store


class DummyControl:
    """Implements ``device.control.SessionControl``; tests set ``current`` and read ``calls``,
    and ``stored``: what the store announced of each write, as the daemon hears it."""

    def __init__(
        self,
        voices: list[tuple[str, str]] | None = None,
        *,
        store: Store | None = None,
        pinned: Mapping[str, int] | None = None,
    ) -> None:
        """``pinned`` plays the config file: those settings win over the store's."""
        self.calls: list[tuple[str, object]] = []
        self.store = store
        self.pinned = dict(pinned or {})
        # What the daemon's config says of its clickers; tests set it.
        self.clicker_list: list[ClickerInfo] = []
        self.voice_list = voices if voices is not None else [("en-gb", "English (Great Britain)")]
        self._status = Status()
        self._version = 0
        self._changed = threading.Condition()
        # What the daemon hears of the page's writes: the store's announcements.
        self.stored: list[frozenset[Data]] = []
        if store is not None:
            store.subscribe(self._stored)

    @property
    def current(self) -> Status:
        return self._status

    @current.setter
    def current(self, status: Status) -> None:
        with self._changed:
            self._status = status
            self._version += 1
            self._changed.notify_all()

    def status(self) -> Status:
        return self._status

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        with self._changed:
            self._changed.wait_for(lambda: self._version != seen, timeout)
            return self._version, self._status

    def act(self, action: Action) -> None:
        self.calls.append(("act", action))

    def gesture(self, gesture: Gesture) -> None:
        self.calls.append(("gesture", gesture))
        # Like the daemon, a press while idle starts the workout, so live pages see a change.
        if gesture is Gesture.PRESS and self._status.state is State.IDLE:
            self.current = Status(state=State.INTRO, last_spoken="Let's begin.")

    def late_score_since(self, now: float) -> float:
        return late_score_since(now)

    def _stored(self, changes: frozenset[Data]) -> None:
        self.stored.append(changes)

    def answer(self, question: str, value: int) -> None:
        self.calls.append(("answer", (question, value)))

    def test_voice(self, text: str) -> None:
        self.calls.append(("test_voice", text))

    def settings(self) -> EffectiveSettings:
        stored = self.store.settings() if self.store is not None else Settings()
        return EffectiveSettings(
            dataclasses.replace(stored, **self.pinned),
            dict.fromkeys(self.pinned, "/etc/spotter/spotter.toml"),
        )

    def preview(self, routine: Routine) -> list[str]:
        self.calls.append(("preview", routine.id))
        settings = self.settings().settings
        return preview_script(
            routine,
            default_rest=settings.default_rest_seconds,
            gesture_actions=settings.gesture_actions,
        )

    def voices(self) -> list[tuple[str, str]]:
        return list(self.voice_list)

    def pair_clicker(self) -> None:
        self.calls.append(("pair_clicker", None))

    def clickers(self) -> list[ClickerInfo]:
        return list(self.clicker_list)

    def heard(self) -> list[frozenset[Data]]:
        """The announcements the daemon re-reads something for (not secrets or progress)."""
        return [c for c in self.stored if c - {Data.SECRETS, Data.PROGRESS}]

    def names(self) -> list[str]:
        """Just the names of the calls, in order."""
        return [name for name, _ in self.calls]
