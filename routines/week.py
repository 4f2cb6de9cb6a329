"""Which sessions count toward "this week": the same rule for the voice and the page."""

from __future__ import annotations

from datetime import datetime, timedelta

from routines.model import Routine
from routines.settings import Settings


def week_start(now: float) -> float:
    """Local midnight of the Monday that starts the week holding ``now`` (epoch seconds)."""
    day = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day - timedelta(days=day.weekday())).timestamp()


def weekly_goal(
    routine: Routine | None, settings: Settings, profile_goal: int | None = None
) -> int | None:
    """Sessions a week to aim for: the person's own goal, else the routine's, else the
    device's. The voice and the History page both ask here, so they always agree."""
    return profile_goal or (routine.sessions_per_week if routine else None) or settings.weekly_goal
