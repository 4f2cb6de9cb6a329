"""A hand-written stand-in for the running daemon: records what the web page asks of it."""

from __future__ import annotations

import threading

from device.events import Action, Gesture, State, Status


class DummyControl:
    """Implements ``device.control.SessionControl``; tests set ``current`` and read ``calls``."""

    def __init__(self, voices: list[tuple[str, str]] | None = None) -> None:
        self.calls: list[tuple[str, object]] = []
        self.voice_list = voices if voices is not None else [("en-gb", "English (Great Britain)")]
        self._status = Status()
        self._version = 0
        self._changed = threading.Condition()

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

    def reload(self) -> None:
        self.calls.append(("reload", None))

    def test_voice(self, text: str) -> None:
        self.calls.append(("test_voice", text))

    def voices(self) -> list[tuple[str, str]]:
        return list(self.voice_list)

    def names(self) -> list[str]:
        """Just the names of the calls, in order."""
        return [name for name, _ in self.calls]
