"""A process that writes Spotter's store in a loop until it is killed.

Every write of round ``n`` carries ``n`` in all of its fields, so whoever opens the
store after a SIGKILL can tell, field by field, which round each object comes from:
an object whose fields disagree was torn by the kill.

Run as ``python -m tests.store_writer DATA_DIR FIRST_ROUND``. It prints ``ready``
once the store is open, then each round's number once all of its writes committed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from routines.model import Exercise, Routine
from routines.store import HistoryEntry, Store

ROUTINE_ID = "power-cut"


def routine_for(n: int) -> Routine:
    """Round ``n``'s routine: three exercises whose every field is made from ``n``."""
    exercises = tuple(
        Exercise(
            name=f"Move {i} of round {n}",
            sets=1 + (n + i) % 20,
            # Within the cap of 3,000 counted reps a routine: 20 sets x 50 reps x 3.
            reps=1 + (n * 7 + i) % 50,
            rest_seconds=(n + i) % 601,
            equipment=(f"mat {n}",),
            setup=tuple(f"setup {j} of round {n}" for j in range(3)),
            cues=tuple(f"cue {j} of round {n}" for j in range(4)),
        )
        for i in range(3)
    )
    return Routine(
        id=ROUTINE_ID,
        name=f"Round {n}",
        exercises=exercises,
        description=f"Written in round {n}. " * 20,
        sessions_per_week=1 + n % 14,
    )


def settings_for(n: int) -> dict[str, object]:
    """Round ``n``'s settings: every key changes from one round to the next."""
    hold = 300 + n % 2000
    return {
        "voice_rate": 80 + n % 221,
        "voice_volume": (n % 101) / 100,
        "double_press_ms": 150 + n % 1351,
        "hold_ms": hold,
        "long_hold_ms": hold + 1000 + n % 97,
        "debounce_ms": n % 201,
        "default_rest_seconds": n % 601,
        "weekly_goal": 1 + n % 14,
        "voice_id": f"en-x{n}",
    }


def progress_for(n: int) -> dict[str, Any]:
    """Round ``n``'s session snapshot, big enough to span several database pages."""
    return {"round": n, "exercise": n % 4, "set": n % 3, "marks": [n] * 2000}


def history_for(n: int) -> HistoryEntry:
    """Round ``n``'s history entry."""
    return HistoryEntry(
        routine_id=ROUTINE_ID,
        routine_name=f"Round {n}",
        started_at=float(n),
        finished_at=float(n) + 0.5,
        exercises_done=n % 5,
        sets_done=n % 13,
        completed=n % 2 == 0,
    )


def write_round(store: Store, n: int) -> None:
    """Every kind of write the daemon and the web page make, once each."""
    store.save_routine(routine_for(n))
    store.update_settings(settings_for(n))
    store.save_progress(progress_for(n))
    store.add_history(history_for(n))


def main(argv: list[str]) -> int:
    data_dir, first = Path(argv[0]), int(argv[1])
    store = Store.open(data_dir)
    print("ready", flush=True)
    n = first
    while True:
        write_round(store, n)
        print(n, flush=True)
        n += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
