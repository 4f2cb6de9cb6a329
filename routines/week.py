"""Which sessions count toward "this week": the same rule for the voice and the page."""

from __future__ import annotations

from datetime import datetime, timedelta


def week_start(now: float) -> float:
    """Local midnight of the Monday that starts the week holding ``now`` (epoch seconds)."""
    day = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return (day - timedelta(days=day.weekday())).timestamp()
