"""A listener that writes down everything the worker tells it, for tests to read."""

from __future__ import annotations

from collections.abc import Callable

from device.events import Gesture, Status
from device.service.listeners import Listener
from device.voice.speaker import VoiceProblem


class RecordingListener(Listener):
    """Every event in the order heard (``events``), and each kind on its own list;
    ``on_alive`` is called at each of the worker's rounds (a stand-in watchdog)."""

    def __init__(self, on_alive: Callable[[], object] | None = None) -> None:
        self.events: list[tuple[str, object]] = []
        self.statuses: list[Status] = []
        self.gestures: list[Gesture] = []
        self.weeks: list[int] = []
        self.problems: list[VoiceProblem | None] = []
        self.rounds = 0
        self._on_alive = on_alive

    def status_changed(self, status: Status) -> None:
        self.events.append(("status_changed", status))
        self.statuses.append(status)

    def gesture_made(self, gesture: Gesture) -> None:
        self.events.append(("gesture_made", gesture))
        self.gestures.append(gesture)

    def week_counted(self, sessions: int) -> None:
        self.events.append(("week_counted", sessions))
        self.weeks.append(sessions)

    def voice_problem(self, problem: VoiceProblem | None) -> None:
        self.events.append(("voice_problem", problem))
        self.problems.append(problem)

    def alive(self) -> None:
        self.rounds += 1
        if self._on_alive is not None:
            self._on_alive()
