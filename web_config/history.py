"""History: finished workouts, minutes, and this week against the goal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template

from routines.store import HistoryEntry
from routines.week import week_start
from web_config.context import link, store

bp = Blueprint("history", __name__)


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """This week so far: every workout, and the active routine's progress to its goal."""

    since: float
    sessions: int
    minutes: float
    routine_id: str | None
    routine_name: str | None
    goal_done: int
    goal: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "sessions": self.sessions,
            "minutes": self.minutes,
            "routine": (
                {"id": self.routine_id, "name": self.routine_name} if self.routine_id else None
            ),
            "goal_done": self.goal_done,
            "goal": self.goal,
        }


def minutes(entry: HistoryEntry) -> float:
    """How long a workout took, in minutes to one decimal."""
    return round(max(0.0, entry.finished_at - entry.started_at) / 60, 1)


def entry_dict(entry: HistoryEntry) -> dict[str, Any]:
    """One workout as the API shows it."""
    return {
        "id": entry.id,
        "routine_id": entry.routine_id,
        "routine_name": entry.routine_name,
        "started_at": entry.started_at,
        "finished_at": entry.finished_at,
        "minutes": minutes(entry),
        "exercises_done": entry.exercises_done,
        "sets_done": entry.sets_done,
        "completed": entry.completed,
    }


def week_summary(entries: list[HistoryEntry]) -> WeekSummary:
    """This week's numbers; the goal is counted as the spoken summary counts it: finished
    workouts of the active routine against its weekly goal (or the device's)."""
    # The same week rule as the spoken summary, so the page and the voice always agree.

    s = store()
    since = week_start(link().clock())
    this_week = [e for e in entries if e.finished_at >= since]
    active = s.active_routine()
    routine = active.routine if active is not None else None
    return WeekSummary(
        since=since,
        sessions=sum(1 for e in this_week if e.completed),
        minutes=round(sum(minutes(e) for e in this_week), 1),
        routine_id=routine.id if routine else None,
        routine_name=routine.name if routine else None,
        goal_done=s.sessions_since(since, routine.id) if routine else 0,
        goal=(routine.sessions_per_week if routine else None) or s.settings().weekly_goal,
    )


@bp.route("/history")
def page() -> str:
    """Finished workouts, newest first, with this week's progress."""
    entries = store().history()
    return render_template(
        "history.html",
        entries=entries,
        week=week_summary(entries),
        minutes=minutes,
        total_minutes=round(sum(minutes(e) for e in entries), 1),
    )


@bp.app_template_filter("when")
def when(epoch: float) -> str:
    """A moment in the device's local time, short enough for a phone: ``Mon 3 Mar, 18:20``."""
    moment = datetime.fromtimestamp(epoch)
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"
