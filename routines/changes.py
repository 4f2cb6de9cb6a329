"""What a committed write changed, by kind of data, for those who keep a copy of it.

The store announces each transaction to its subscribers (the daemon's worker re-reads
what its next press needs), so nobody who writes has to remember to tell anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Final


class Data(StrEnum):
    """The kinds of data the store keeps, one repository each."""

    ROUTINES = "routines"
    PROFILES = "profiles"  # who trains, each one's routine and goal, and who is training now
    HISTORY = "history"
    SETTINGS = "settings"
    PROGRESS = "progress"  # the workout in progress, kept for a resume
    SECRETS = "secrets"
    DOSES = "doses"  # each person's dose of each exercise, its changes and suggestions
    # Not a kind of data but what became of all of it: a restore put another file in
    # place, so a workout under way belongs to data that is gone.
    REPLACED = "replaced"


# Another program changed the file: anything may have changed.
EVERYTHING: Final = frozenset(Data) - {Data.REPLACED}
# A restore replaced the file: everything changed, and what was under way is void.
REPLACED_FILE: Final = frozenset(Data)

Listener = Callable[[frozenset[Data]], object]
"""Called on the writer's thread with the store's lock held: it must only take note."""
