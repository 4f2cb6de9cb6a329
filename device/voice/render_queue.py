"""The threads that talk to the renderer, with a watchdog for a render that never ends.

espeak-ng is process-global and not thread-safe, so a renderer in this process
gets one thread, and every call into it runs there, one at a time. A renderer
that hands each call to one of several processes of its own (``workers``) gets a
thread per process, and lines render side by side, one per core. Work for a line
someone is waiting to hear goes before background pre-rendering, which goes in
the order it was asked for; urgent work a press has made moot is taken back out
(``keep_urgent``). A task that runs past its time is reported as failed by the
watchdog; until the renderer answers again, urgent work fails at once instead of
queueing behind it; a renderer that can be aborted (the engine's own process) is
killed on the spot. Whenever the queue runs dry, the cache's folder is synced
once for the batch.

The queue heals itself. A line that failed is tried again in the background, after
a delay that doubles each time. When the disk is full, rendering pauses: the cache
is asked to free what it may, and the queue looks again, less and less often,
until a write works; then it carries on with everything that was waiting.
"""

from __future__ import annotations

import heapq
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

# Retries of a failed line: after 0.5 s, 1 s, 2 s ... at most a minute apart, six times.
RETRY_FIRST = 0.5
RETRY_LONGEST = 60.0
RETRY_ATTEMPTS = 6
# While the disk is full: look again after 1 s, 2 s, 4 s ... at most every 30 s.
SPACE_FIRST = 1.0
SPACE_LONGEST = 30.0


@dataclass(frozen=True, slots=True)
class RenderHealth:
    """How rendering is going: paused for space, and since when nothing has worked."""

    paused_for_space: bool
    failing_since: float | None  # monotonic time of the first failure since the last success


@dataclass(frozen=True, slots=True)
class _Call:
    fn: Callable[[], Any]
    future: Future[Any]


_Task = RenderJob | _Call


class RenderQueue:
    """Runs renders and calls on ``workers`` threads: urgent first, then background, each
    in the order asked."""

    def __init__(
        self,
        renderer: Renderer,
        cache: WavCache,
        *,
        on_done: RenderDone,
        timeout: float = 5.0,
        on_disk_full: Callable[[], object] | None = None,
        retry_first: float = RETRY_FIRST,
        space_first: float = SPACE_FIRST,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 1,
        on_idle: Callable[[], object] | None = None,
        name: str = "speech",
    ) -> None:
        """``on_disk_full`` is called on the render thread when a write finds no room
        (to free what may be freed); the retry and space delays start at the given values.
        ``workers`` above 1 only for a renderer that takes calls from several threads at
        once; ``on_idle`` is called each time the queue runs dry (after the folder sync).
        ``name`` says whose lines these are in the log line each batch ends with."""
        self._name = name
        # The batch since the queue last ran dry: lines rendered, found in the package's
        # audio, found in the cache.
        self._batch = {"rendered": 0, "shipped": 0, "cached": 0}
        self._renderer = renderer
        self._cache = cache
        self._on_done = on_done
        self._timeout = timeout
        self._on_disk_full = on_disk_full
        self._retry_first = retry_first
        self._space_first = space_first
        self._clock = clock
        self._attempts: dict[RenderJob, int] = {}
        self._delayed: list[tuple[float, int, RenderJob]] = []  # (due, order, job)
        self._order = 0
        self._paused = False
        self._space_wait = space_first
        self._space_check_at = 0.0
        self._failing_since: float | None = None
        self._cond = threading.Condition()
        self._urgent: deque[_Task] = deque()
        self._background: deque[_Task] = deque()
        self._queued: dict[RenderJob, bool] = {}  # job -> in the urgent queue
        self._on_idle = on_idle
        # worker -> (task, deadline); the workers whose task the watchdog has reported.
        self._running: dict[int, tuple[_Task, float]] = {}
        self._overrun: set[int] = set()
        self._hung = False
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, args=(n,), name=f"spotter-render-{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        self._watchdog = threading.Thread(
            target=self._watch, name="spotter-render-watchdog", daemon=True
        )
        for thread in self._threads:
            thread.start()
        self._watchdog.start()

    @property
    def hung(self) -> bool:
        """True while a task has overrun its time and the renderer has not answered since."""
        return self._hung

    @property
    def paused_for_space(self) -> bool:
        """True while rendering waits for the disk to take writes again."""
        return self._paused

    def health(self) -> RenderHealth:
        """A snapshot of how rendering is going."""
        with self._cond:
            return RenderHealth(self._paused, self._failing_since)

    def request(self, job: RenderJob, *, urgent: bool) -> bool:
        """Queue ``job`` (once; an urgent request moves a queued background one forward).
        False if it cannot be done soon: closed, or urgent while the renderer is hung."""
        with self._cond:
            if self._closed or (urgent and (self._hung or self._paused)):
                return False
            if any(job == task for task, _ in self._running.values()):
                return True  # already being rendered: its end is reported to everyone
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

    def keep_urgent(self, wanted: Callable[[RenderJob], bool]) -> int:
        """Take back out of the urgent queue every render no longer ``wanted`` (a press cut
        the line it was for): none of them is rendered before the new answer. They are
        not lost: each goes to the back of the background queue. How many moved."""
        with self._cond:
            moot = [t for t in self._urgent if isinstance(t, RenderJob) and not wanted(t)]
            for job in moot:
                self._urgent.remove(job)
                self._background.append(job)
                self._queued[job] = False
            return len(moot)

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
            self._delayed.clear()
            self._cond.notify_all()
        abort = getattr(self._renderer, "abort", None)
        if abort is not None and self._running:
            abort()  # a render in progress must not hold the shutdown
        for task in pending:
            if isinstance(task, _Call):
                task.future.cancel()
        for thread in self._threads:
            thread.join(timeout=1.0)
        self._watchdog.join(timeout=1.0)

    def _work(self, worker: int) -> None:
        while True:
            with self._cond:
                # The last one done syncs the batch (and lets the renderer rest).
                idle = not (self._urgent or self._background or self._running)
            if idle:
                self._sync_cache()
                self._log_batch()
                if self._on_idle is not None:
                    try:
                        self._on_idle()
                    except Exception:
                        log.exception("could not tidy up after rendering")
            with self._cond:
                task = self._next_task()
                if task is None:
                    return
                if isinstance(task, RenderJob):
                    self._queued.pop(task, None)
                self._running[worker] = (task, time.monotonic() + self._timeout)
                self._cond.notify_all()
            started = time.monotonic()
            outcome = self._run(task)
            with self._cond:
                late = worker in self._overrun
                self._overrun.discard(worker)
                self._hung = bool(self._overrun)
                del self._running[worker]
                self._cond.notify_all()
            if isinstance(task, RenderJob):
                self._after_render(task, outcome[1])
            if late:
                # The watchdog already reported this task as failed.
                log.warning(
                    "the speech engine answered again after %.1f s", time.monotonic() - started
                )
            else:
                self._report(task, *outcome)

    def _log_batch(self) -> None:
        """Say how the lines of the batch just finished came to be ready: on a new
        device, none rendered means the package's audio served the routine."""
        with self._cond:
            batch = dict(self._batch)
            if not any(batch.values()):
                return
            self._batch = dict.fromkeys(batch, 0)
        log.info(
            "%s for %d lines ready: %d rendered now, %d from the package, %d from the cache",
            self._name,
            sum(batch.values()),
            batch["rendered"],
            batch["shipped"],
            batch["cached"],
        )

    def _sync_cache(self) -> None:
        """One folder sync for the batch of renders just finished."""
        try:
            self._cache.sync_directory()
        except OSError as err:
            log.info("could not sync the speech cache's folder: %s", err)

    def _next_task(self) -> _Task | None:
        """Wait for the next task to run (None once closed); runs the space checks."""
        while not self._closed:
            now = self._clock()
            while self._delayed and self._delayed[0][0] <= now:
                _, _, job = heapq.heappop(self._delayed)
                if job not in self._queued:
                    self._background.append(job)
                    self._queued[job] = False
            if self._paused and now >= self._space_check_at:
                self._cond.release()
                try:
                    room = self._cache.has_room()
                finally:
                    self._cond.acquire()
                if room:
                    self._resume_locked()
                else:
                    self._space_wait = min(self._space_wait * 2, SPACE_LONGEST)
                    self._space_check_at = self._clock() + self._space_wait
                continue
            calls = [t for t in (*self._urgent, *self._background) if isinstance(t, _Call)]
            if self._paused and calls:
                # Calls (the voice list, tidying the cache) still run while renders wait.
                task: _Task = calls[0]
                (self._urgent if task in self._urgent else self._background).remove(task)
                return task
            if not self._paused and (self._urgent or self._background):
                return (self._urgent or self._background).popleft()
            waits = [self._delayed[0][0] - now] if self._delayed else []
            if self._paused:
                waits.append(self._space_check_at - now)
            self._cond.wait(max(0.0, min(waits)) if waits else None)
        return None

    def _after_render(self, job: RenderJob, error: BaseException | None) -> None:
        """Note a success, or plan the line's retry (at once when the disk had no room)."""
        if error is None:
            with self._cond:
                self._attempts.pop(job, None)
                self._failing_since = None
            return
        room = self._cache.has_room()
        if not room and self._on_disk_full is not None:
            try:
                self._on_disk_full()
            except Exception:
                log.exception("could not free space in the speech cache")
            room = self._cache.has_room()
        with self._cond:
            if self._failing_since is None:
                self._failing_since = self._clock()
            if self._closed:
                return
            if not room:
                if not self._paused:
                    log.warning(
                        "the disk is full: speech rendering is paused until writes work again"
                        " (cached lines still play)"
                    )
                    self._paused = True
                    self._space_wait = self._space_first
                    self._space_check_at = self._clock() + self._space_wait
                # Not the line's fault: it goes back, without using up a retry.
                self._delay_locked(job, self._space_check_at)
                return
            attempts = self._attempts.get(job, 0) + 1
            if attempts > RETRY_ATTEMPTS:
                self._attempts.pop(job, None)
                log.info("giving up on rendering %r for now", job.text[:60])
                return
            self._attempts[job] = attempts
            wait = min(self._retry_first * 2 ** (attempts - 1), RETRY_LONGEST)
            self._delay_locked(job, self._clock() + wait)

    def _delay_locked(self, job: RenderJob, due: float) -> None:
        self._order += 1
        heapq.heappush(self._delayed, (due, self._order, job))
        self._cond.notify_all()

    def _resume_locked(self) -> None:
        self._paused = False
        self._space_wait = self._space_first
        log.warning("the disk takes writes again: speech rendering carries on")
        # Everything that waited for space is due now.
        self._delayed = [(0.0, order, job) for _, order, job in self._delayed]
        heapq.heapify(self._delayed)
        self._cond.notify_all()

    def _run(self, task: _Task) -> tuple[Any, BaseException | None]:
        try:
            if isinstance(task, _Call):
                return task.fn(), None
            path = self._cache.path_for(task.text, task.settings, self._renderer.version)
            found = self._cache.find(path)
            confirm = getattr(self._renderer, "confirm_version", None)
            if found is None and confirm is not None:
                # The version may be one remembered from before: what is rendered now is
                # named by the version the engine itself says.
                confirm()
                path = self._cache.path_for(task.text, task.settings, self._renderer.version)
                found = self._cache.find(path)
            if found is None:
                with self._cache.writing(path) as partial:
                    self._renderer.render(task.text, task.settings, partial)
                found, kind = path, "rendered"
            else:
                kind = "cached" if found == path else "shipped"
            with self._cond:
                self._batch[kind] += 1
            return found, None
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
                found = self._wait_for_overrun()
                if found is None:
                    return
                worker, overrun = found
                self._overrun.add(worker)
                self._hung = True
                # Urgent work would only queue behind the stuck render: fail it now.
                # Background work stays, for when the renderer answers again.
                dropped = list(self._urgent)
                self._urgent.clear()
                for task in dropped:
                    if isinstance(task, RenderJob):
                        self._queued.pop(task, None)
                        self._delay_locked(task, self._clock() + self._retry_first)
                self._cond.notify_all()
            abort = getattr(self._renderer, "abort", None)
            if abort is not None:
                # The engine's own process: kill it, so the render thread is free again.
                abort()
            error = TimeoutError(f"the speech engine took more than {self._timeout:g} s")
            for task in [overrun, *dropped]:
                self._report(task, None, error)

    def _wait_for_overrun(self) -> tuple[int, _Task] | None:
        while not self._closed:
            watched = [(d, w, t) for w, (t, d) in self._running.items() if w not in self._overrun]
            if not watched:
                self._cond.wait()
                continue
            deadline, worker, task = min(watched, key=lambda item: item[0])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return worker, task
            self._cond.wait(remaining)
        return None
