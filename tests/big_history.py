"""A store holding a long history, written straight into its SQLite file in one go: the
attack tests and the bench need hundreds of thousands of workouts in seconds."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from routines import history_rows
from routines.store import Store

DAY = 86400.0
SHORT_SET = json.dumps(
    [{"exercise": "Glute hip thrusts", "set": 2, "done": 7, "planned": 10, "side": None}]
)


def _rows(
    count: int, profiles: tuple[int, ...], now: float, years: float
) -> Iterator[tuple[object, ...]]:
    step = years * 365 * DAY / count
    for n in range(count):
        # Every fifth workout finishes in the same second as the one before it: the pages
        # must tell such rows apart by id.
        finished = now - 3600 - (n - n % 5 // 4) * step
        pain = n % 3 == 0
        yield (
            "lower-back",
            "Lower-back relief",
            finished - 1200 - n % 600,
            finished,
            4,
            12 - n % 2,
            int(n % 17 != 0),
            profiles[n % len(profiles)],
            4 + n % 5 if pain else None,
            2 + n % 4 if pain else None,
            12,
            SHORT_SET if n % 7 == 0 else "[]",
        )


def fill(data_dir: Path, count: int, *, people: int = 2, years: float = 5.0) -> list[int]:
    """A store in ``data_dir`` with ``count`` workouts over the last ``years``, shared among
    ``people`` profiles (made here, "Me" first); the profiles' ids."""
    with Store.open(data_dir) as store:
        ids = [store.current_profile().id]
        ids += [store.create_profile({"name": f"Member {i}"}).id for i in range(2, people + 1)]
    conn = sqlite3.connect(data_dir / "spotter.db")
    try:
        with conn:
            conn.executemany(history_rows.INSERT, _rows(count, tuple(ids), time.time(), years))
    finally:
        conn.close()
    return ids


def add_to(store: Store, count: int, *, years: float = 2.0) -> None:
    """``count`` workouts of the current profile written into an open store."""
    from routines.changes import Data

    profile = store.current_profile().id
    with store.db.transaction(Data.HISTORY) as conn:
        conn.executemany(history_rows.INSERT, _rows(count, (profile,), time.time(), years))
