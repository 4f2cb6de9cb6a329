"""Where an after-workout pain score goes once the question about it has closed.

Given on the phone a while after the workout ended, it still belongs to that workout,
but only for so long: by then the back may feel different for other reasons.
"""

from __future__ import annotations

from typing import Final

# How long after a workout ends its after-score may still be given.
AFTER_SCORE_WINDOW: Final = 2 * 3600.0


def takes_late_score(finished_at: float, now: float) -> bool:
    """True if a workout that ended at ``finished_at`` (wall clock) may take an after-score
    given at ``now``."""
    return now - finished_at <= AFTER_SCORE_WINDOW


def late_score_since(now: float) -> float:
    """The earliest end of a workout that an after-score given at ``now`` may go on."""
    return now - AFTER_SCORE_WINDOW
