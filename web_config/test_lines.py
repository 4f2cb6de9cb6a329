"""The Settings page's "say it" button within bounds: every new test line costs a render
and a file in the voice cache, so new lines are allowed a few a minute for the whole
device, while the last few lines may be heard again at any time (they are cached)."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

RECENT = 5
NEW_PER_MINUTE = 5


class TestLines:
    """Decides whether a test line may be spoken now (thread-safe; time from ``clock``)."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._new: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_for(self, text: str) -> int:
        """0 when ``text`` may be spoken now (and it is counted), else whole seconds to wait."""
        with self._lock:
            if text in self._recent:
                self._recent.move_to_end(text)
                return 0
            now = self._clock()
            while self._new and self._new[0] <= now - 60:
                self._new.popleft()
            if len(self._new) >= NEW_PER_MINUTE:
                return max(1, int(self._new[0] + 60 - now + 0.999))
            self._new.append(now)
            self._recent[text] = None
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
            return 0
