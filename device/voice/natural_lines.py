"""Which lines have audio in the natural voice, and the background rendering of the rest.

The natural voice only ever adds to the classic one: it renders, in the order
given, the lines Spotter knows in advance, into the same WAV cache, on a render
queue of its own so that a slow neural render never holds up the classic voice.
Until a line's natural audio is ready the voice speaks it in the classic voice.
When the natural renderer fails, that is logged once and nothing else changes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from device.voice.cache import WavCache
from device.voice.render_queue import RenderJob, RenderQueue
from device.voice.tts import Renderer, VoiceSettings

log = logging.getLogger(__name__)

# The renderer bounds its own start-up and each line; this only catches what slips past it.
BACKSTOP_SECONDS = 180.0


class NaturalLines:
    """Natural-voice audio for the lines asked for, filled in the background."""

    def __init__(
        self, renderer: Renderer, cache: WavCache, *, timeout: float = BACKSTOP_SECONDS
    ) -> None:
        self._renderer = renderer
        self._cache = cache
        self._timeout = timeout
        self._lock = threading.Lock()
        self._ready: dict[str, str] = {}  # text -> its natural audio, for ``_settings``
        self._settings: VoiceSettings | None = None
        self._queue: RenderQueue | None = None  # threads only once there is work
        self._warned = False

    def path(self, text: str) -> str | None:
        """The natural audio of ``text``, if it is ready."""
        with self._lock:
            return self._ready.get(text)

    def prepare(
        self, texts: Iterable[str], settings: VoiceSettings, *, urgent: bool = False
    ) -> None:
        """Render these lines (first things first) with ``settings`` in the background;
        ``urgent`` ones before any line asked for earlier."""
        with self._lock:
            if settings != self._settings:
                self._settings = settings
                self._ready.clear()
            missing = [text for text in texts if text not in self._ready]
            if not missing:
                return
            if self._queue is None:
                self._queue = RenderQueue(
                    self._renderer,
                    self._cache,
                    on_done=self._rendered,
                    timeout=self._timeout,
                    name="natural speech",
                )
            queue = self._queue
        for text in missing:
            queue.request(RenderJob(text, settings), urgent=urgent)

    def kept(self) -> set[Path]:
        """The files in use, which tidying the cache must leave alone."""
        with self._lock:
            return {Path(path) for path in self._ready.values()}

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every requested render is done; False on timeout."""
        queue = self._queue
        return queue is None or queue.wait_idle(timeout)

    def close(self) -> None:
        """Stop rendering; the renderer's worker, if any, is stopped too."""
        stop = getattr(self._renderer, "close", None)
        if stop is not None:
            stop()  # first, so that a line in progress ends now
        if self._queue is not None:
            self._queue.close()
        if stop is not None:
            stop()  # and any worker started for a line taken meanwhile

    def _rendered(self, job: RenderJob, path: Path | None, error: str | None) -> None:
        with self._lock:
            if path is not None and job.settings == self._settings:
                self._ready[job.text] = str(path)
            if error is None or self._warned:
                return
            self._warned = True
        log.warning("%s; the classic voice speaks instead", error)
