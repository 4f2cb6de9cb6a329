"""Finished workouts the store could not take yet (a full disk, a read-only or damaged
file): never dropped, kept in memory and in ``spotter.db.pending`` until a write works."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from routines import history_rows
from routines.model import HistoryEntry
from routines.store_files import fsync_dir, match_owner

log = logging.getLogger(__name__)


class PendingWorkouts:
    """The waiting workouts, oldest first; the caller holds the database's lock."""

    def __init__(self, path: Path | None) -> None:
        self.entries: list[HistoryEntry] = []
        self._path = path

    def keep(self, entry: HistoryEntry) -> None:
        """Add one to wait, on disk too in case the power goes before the store works."""
        self.entries.append(entry)
        self._save()

    def flush(
        self, begin: Callable[[], AbstractContextManager[None]], conn: sqlite3.Connection
    ) -> bool:
        """Write the waiting workouts in one transaction; True if they were."""
        if not self.entries:
            return False
        waiting = list(self.entries)
        self.entries.clear()
        try:
            with begin():
                for entry in waiting:
                    history_rows.insert(conn, entry)
        except (sqlite3.Error, OSError):
            self.entries[:0] = waiting
            return False
        log.info("stored %d workout(s) that had been waiting for the store", len(waiting))
        if self._path is not None:
            self._path.unlink(missing_ok=True)
        return True

    def load(self) -> None:
        """Workouts left waiting by an earlier run (the power went before the store worked)."""
        if self._path is None or not self._path.exists():
            return
        for line in self._path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = history_rows.checked(history_rows.from_line(json.loads(line)))
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
                log.warning("skipping a waiting workout that cannot be read: %s", err)
            else:
                self.entries.append(entry)
        if not self.entries:
            self._path.unlink(missing_ok=True)

    def _save(self) -> None:
        target = self._path
        if target is None:
            return
        text = "".join(json.dumps(history_rows.to_row(e)) + "\n" for e in self.entries)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            match_owner(partial, target.parent)
            partial.replace(target)
            fsync_dir(target.parent)
        except OSError as err:
            log.info("the waiting workouts are kept in memory only for now: %s", err)
            partial.unlink(missing_ok=True)
