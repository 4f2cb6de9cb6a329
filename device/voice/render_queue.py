"""The one thread that talks to the renderer, with a watchdog for a render that never ends.

espeak-ng is process-global and not thread-safe, so every render, and every
other call into the renderer, runs on this thread, one at a time. Work for a
line someone is waiting to hear goes before background pre-rendering. A task
that runs past its time is reported as failed by the watchdog; until the
renderer answers again, urgent work fails at once instead of queueing behind it.
Whenever the queue runs dry, the cache's folder is synced once for the batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.voice.cache import WavCache
from device.voice.tts import Renderer, VoiceSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenderJob:
    """A line to have in the cache with these settings."""

    text: str
    settings: VoiceSettings


# Called with the job, the cached file (None if it failed) and what went wrong.
RenderDone = Callable[[RenderJob, Path | None, str | None], None]


@dataclass(frozen=True, slots=True)
class _Call:
    fn: Callable[[], Any]
    future: Future[Any]


_Task = RenderJob | _Call


class RenderQueue:
    """Runs renders and calls on one thread: urgent first, then background, each in order."""

    def __init__(
        self, renderer: Renderer, cache: WavCache, *, on_done: RenderDone, timeout: float = 5.0
    ) -> None:
        self._renderer = renderer
        self._cache = cache
        self._on_done = on_done
        self._timeout = timeout
        self._cond = threading.Condition()
        self._urgent: deque[_Task] = deque()
        self._background: deque[_Task] = deque()
        self._queued: dict[RenderJob, bool] = {}  # job -> in the urgent queue
        self._running: _Task | None = None
        self._deadline = 0.0
        self._hung = False
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="spotter-render", daemon=True)
        self._watchdog = threading.Thread(
            target=self._watch, name="spotter-render-watchdog", daemon=True
        )
        self._thread.start()
        self._watchdog.start()

    @property
    def hung(self) -> bool:
        """True while a task has overrun its time and the renderer has not answered since."""
        return self._hung

    def request(self, job: RenderJob, *, urgent: bool) -> bool:
        """Queue ``job`` (once; an urgent request moves a queued background one forward).
        False if it cannot be done soon: closed, or urgent while the renderer is hung."""
        with self._cond:
            if self._closed or (urgent and self._hung):
                return False
            queued_urgent = self._queued.get(job)
            if queued_urgent is None:
                (self._urgent if urgent else self._background).append(job)
                self._queued[job] = urgent
                self._cond.notify_all()
            elif urgent and not queued_urgent:
                self._background.remove(job)
                self._urgent.append(job)
                self._queued[job] = True
            return True

    def call(self, fn: Callable[[], Any], *, urgent: bool = True) -> Future[Any]:
        """Run ``fn`` on the render thread; its result or exception arrives in the future."""
        future: Future[Any] = Future()
        with self._cond:
            if self._closed or (urgent and self._hung):
                future.set_exception(RuntimeError("the speech engine is not answering"))
                return future
            (self._urgent if urgent else self._background).append(_Call(fn, future))
            self._cond.notify_all()
        return future

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or running (a stuck render counts); False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not (self._running or self._urgent or self._background), timeout
            )

    def close(self) -> None:
        """Stop taking work and let the threads end (a hung render is left behind)."""
        with self._cond:
            self._closed = True
            pending = [*self._urgent, *self._background]
            self._urgent.clear()
            self._background.clear()
            self._queued.clear()
            self._cond.notify_all()
        for task in pending:
            if isinstance(task, _Call):
                task.future.cancel()
        self._thread.join(timeout=1.0)
        self._watchdog.join(timeout=1.0)

    def _work(self) -> None:
        while True:
            with self._cond:
                idle = not (self._urgent or self._background)
            if idle:
                self._sync_cache()
            with self._cond:
                while not self._closed and not (self._urgent or self._background):
                    self._cond.wait()
                if self._closed:
                    return
                task = (self._urgent or self._background).popleft()
                if isinstance(task, RenderJob):
                    self._queued.pop(task, None)
                self._running = task
                self._deadline = time.monotonic() + self._timeout
                self._cond.notify_all()
            started = time.monotonic()
            outcome = self._run(task)
            with self._cond:
                late = self._hung
                self._hung = False
                self._running = None
                self._cond.notify_all()
            if late:
                # The watchdog already reported this task as failed.
                log.warning(
                    "the speech engine answered again after %.1f s", time.monotonic() - started
                )
            else:
                self._report(task, *outcome)

    def _sync_cache(self) -> None:
        """One folder sync for the batch of renders just finished."""
        try:
            self._cache.sync_directory()
        except OSError as err:
            log.info("could not sync the speech cache's folder: %s", err)

    def _run(self, task: _Task) -> tuple[Any, BaseException | None]:
        try:
            if isinstance(task, _Call):
                return task.fn(), None
            path = self._cache.path_for(task.text, task.settings, self._renderer.version)
            if not self._cache.lookup(path):
                with self._cache.writing(path) as partial:
                    self._renderer.render(task.text, task.settings, partial)
            return path, None
        except Exception as err:
            return None, err

    def _report(self, task: _Task, result: Any, error: BaseException | None) -> None:
        if isinstance(task, _Call):
            if error is None:
                task.future.set_result(result)
            else:
                task.future.set_exception(error)
        elif error is None:
            self._on_done(task, result, None)
        else:
            self._on_done(task, None, f"cannot render speech ({error})")

    def _watch(self) -> None:
        while True:
            with self._cond:
                overrun = self._wait_for_overrun()
                if overrun is None:
                    return
                self._hung = True
                # Urgent work would only queue behind the stuck render: fail it now.
                # Background work stays, for when the renderer answers again.
                dropped = list(self._urgent)
                self._urgent.clear()
                for task in dropped:
                    if isinstance(task, RenderJob):
                        self._queued.pop(task, None)
                self._cond.notify_all()
            error = TimeoutError(f"the speech engine took more than {self._timeout:g} s")
            for task in [overrun, *dropped]:
                self._report(task, None, error)

    def _wait_for_overrun(self) -> _Task | None:
        while not self._closed:
            if self._running is None or self._hung:
                self._cond.wait()
                continue
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                return self._running
            self._cond.wait(remaining)
        return None
