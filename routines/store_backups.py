"""When the store is copied to its backup: soon after a change, at most once per interval.

The copy runs on its own thread so that no press or page waits for it. The same
thread looks at the store's file now and then, so that a store deleted or replaced
while Spotter runs is noticed even when nothing is being written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class BackupPolicy:
    """Decides when a backup is due: pure, so a test can drive it with a fake clock."""

    def __init__(self, interval: float, clock: Clock = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        # Counted from the start: a process that writes and is gone within the minute
        # backs up as it closes, and start-up is not slowed by a copy.
        self._last = clock()
        self._dirty = False

    @property
    def dirty(self) -> bool:
        """True when something changed since the last backup."""
        return self._dirty

    def changed(self) -> None:
        self._dirty = True

    def due_in(self) -> float | None:
        """Seconds until a backup is due (0 = now), or None when nothing changed."""
        if not self._dirty:
            return None
        return max(0.0, self._last + self.interval - self._clock())

    def done(self) -> None:
        self._dirty = False
        self._last = self._clock()

    def failed(self) -> None:
        # Try again one interval later, not in a tight loop on a full disk.
        self._last = self._clock()


class BackupThread:
    """Runs ``backup`` when the policy says so and ``check`` every ``check_interval``."""

    def __init__(
        self,
        backup: Callable[[], None],
        check: Callable[[], object],
        *,
        interval: float,
        check_interval: float = 60.0,
    ) -> None:
        self._backup = backup
        self._check = check
        self._check_interval = check_interval
        self.policy = BackupPolicy(interval)
        self._cond = threading.Condition()
        self._closed = False
        self._warned = False
        self._thread: threading.Thread | None = None

    def changed(self) -> None:
        """Something was written: a backup becomes due (started lazily on first change)."""
        with self._cond:
            if self._closed:
                return
            self.policy.changed()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="spotter-store-backup", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self) -> bool:
        """Back up now if anything changed since the last backup; True if it worked."""
        with self._cond:
            if not self.policy.dirty:
                return True
        return self._run_backup()

    def close(self) -> None:
        """Stop the thread; a change not yet backed up is backed up first."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10.0)
        self.flush()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    due = self.policy.due_in()
                    if due is not None and due <= 0:
                        break
                    wait = self._check_interval if due is None else min(due, self._check_interval)
                    if not self._cond.wait(wait):
                        break  # the check interval passed
                if self._closed:
                    return
                due = self.policy.due_in()
            try:
                self._check()
            except Exception:
                log.exception("could not check the store's file")
            if due is not None and due <= 0:
                self._run_backup()

    def _run_backup(self) -> bool:
        with self._cond:
            # Marked clean before copying: a change made during the copy makes it due again.
            self.policy.done()
        if self._guarded(self._backup):
            return True
        with self._cond:
            self.policy.changed()
            self.policy.failed()
        return False

    def _guarded(self, fn: Callable[[], None]) -> bool:
        try:
            fn()
        except Exception as err:
            if not self._warned:
                self._warned = True
                log.warning("could not back up the store (will try again): %s", err)
            return False
        if self._warned:
            self._warned = False
            log.info("the store's backup works again")
        return True
