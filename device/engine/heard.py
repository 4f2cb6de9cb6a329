"""When the trainee hears what the engine said: the voice's reports, or the engine's estimate.

The engine hands lines to the voice, which may play them at once, after a long line
already playing, or not at all. Anything that depends on what the trainee heard (an
option of a one-button choice, the start of a rest after "Rest for 20 seconds") is
timed from ``device.events.Speech`` reports. Where no voice reports (a voice that only
prints, the engine's own tests), ``SpeechModel`` stands in for it: it plays every line
one after another for as long as its words take to say, and reports the same way.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable

from device.engine.speech_time import estimate_seconds
from device.events import Heard, Line, Speech


class SpeechModel:
    """An imagined voice that speaks each line for its estimated length, one at a time.

    ``queue`` takes lines as the real voice would (an interrupting first line cuts what
    is playing and drops what waits); ``due`` gives the reports whose time has come.
    """

    def __init__(self, seconds: Callable[[str], float] = estimate_seconds) -> None:
        self._seconds = seconds
        self._free_at = float("-inf")
        self._order = itertools.count()
        # (at, order, report): the reports still to come, soonest first.
        self._reports: list[tuple[float, int, Speech]] = []
        self._ends: dict[int, float] = {}

    def use(self, seconds: Callable[[str], float]) -> None:
        """Estimate lines queued from now on with ``seconds``."""
        self._seconds = seconds

    def queue(self, lines: Iterable[Line], now: float) -> None:
        lines = [line for line in lines if line.id is not None]
        if lines and lines[0].interrupt:
            self._cut(now)
        for line in lines:
            assert line.id is not None
            start = max(now, self._free_at)
            end = start + self._seconds(line.text)
            self._free_at = end
            self._ends[line.id] = end
            self._push(Speech(line.id, Heard.STARTED, start))
            self._push(Speech(line.id, Heard.ENDED, end))

    def expected_end(self, line: int) -> float | None:
        """When line ``line`` is expected to have been heard to its end."""
        return self._ends.get(line)

    def next_deadline(self) -> float | None:
        return self._reports[0][0] if self._reports else None

    def due(self, now: float) -> list[Speech]:
        """The reports due by ``now``, in order."""
        reports: list[Speech] = []
        while self._reports and self._reports[0][0] <= now + 1e-9:
            report = heapq.heappop(self._reports)[2]
            if report.heard is not Heard.STARTED:
                self._ends.pop(report.line, None)
            reports.append(report)
        return reports

    def _cut(self, now: float) -> None:
        pending, self._reports = self._reports, []
        started = {r.line for _, _, r in pending if r.heard is Heard.STARTED and r.at > now}
        for at, _, report in sorted(pending):
            if report.heard is Heard.STARTED and report.at <= now:
                self._push(report)
            elif report.heard is Heard.ENDED:
                kind = Heard.DROPPED if report.line in started else Heard.ENDED
                self._push(Speech(report.line, kind, min(at, now)))
                self._ends[report.line] = min(at, now)
        self._free_at = now

    def _push(self, report: Speech) -> None:
        heapq.heappush(self._reports, (report.at, next(self._order), report))
