"""For tests about the button, the voice and the daemon rather than the check-in."""

from __future__ import annotations

import dataclasses

from routines.store import Store


def without_checkins(store: Store) -> None:
    """Keep every routine without its pain check-in, so a press starts the workout at once
    (the shipped routine asks first; tests/engine/test_checkin.py covers that)."""
    for stored in store.list_routines():
        if stored.routine.checkin != "none":
            store.save_routine(dataclasses.replace(stored.routine, checkin="none"))
