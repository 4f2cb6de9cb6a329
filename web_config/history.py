"""History: one profile's workouts, its pain check-ins and weeks against its goal."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, render_template, request, session
from markupsafe import Markup

from routines.model import HistoryEntry
from routines.profiles import Profile
from routines.repo_routines import StoredRoutine
from routines.week import week_start, weekly_goal
from web_config.charts import PainPoint, WeekBar, pain_chart, weeks_chart
from web_config.context import link, store
from web_config.errors import ApiError
from web_config.history_doses import dose_drawings
from web_config.kept_pages import KeptPages
from web_config.parsing import is_whole_number

bp = Blueprint("history", __name__)

CHART_WEEKS = 12
# The page lists and charts at most this many of the twelve weeks' workouts (the newest):
# one a day, more than anyone trains, and a bound on the page whatever is stored.
RECENT_SHOWN = 84
PAIN_POINTS = 84
# Weeks read at a time when counting the run of weeks with the goal met, and the longest
# run counted (twenty years: more than a device lives, and a bound on the reads).
STREAK_BATCH = 26
STREAK_WEEKS = 1040
# Pages kept for a request that finds the store and the day as they were: one per
# profile asked for, more than a household has.
KEPT_PAGES = 8
_PAGES = "spotter.history_pages"


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


@dataclass(frozen=True, slots=True)
class WeekCount:
    start: float
    sessions: int


def minutes(entry: HistoryEntry) -> float:
    """Active minutes of a workout (pauses left out), to one decimal."""
    return round(max(0.0, entry.finished_at - entry.started_at) / 60, 1)


def entry_dict(entry: HistoryEntry, names: dict[int, str]) -> dict[str, Any]:
    """One workout as the API shows it; ``names`` maps profile ids to names."""
    return {
        "id": entry.id,
        "profile": {"id": entry.profile_id, "name": names.get(entry.profile_id)},
        "routine_id": entry.routine_id,
        "routine_name": entry.routine_name,
        "started_at": entry.started_at,
        "finished_at": entry.finished_at,
        "minutes": minutes(entry),
        "active_minutes": minutes(entry),
        "exercises_done": entry.exercises_done,
        "sets_done": entry.sets_done,
        "sets_planned": entry.sets_planned,
        "sets": [s.to_dict() for s in entry.set_reps],
        "reps_short": entry.reps_short,
        "completed": entry.completed,
        "ended_early": not entry.completed,
        "pain_before": entry.pain_before,
        "pain_after": entry.pain_after,
    }


def pain_areas() -> dict[str, str]:
    """The body part each stored routine's check-in asks about, by routine id. A workout
    of a routine deleted since has no known area."""
    return {stored.routine.id: stored.routine.checkin_area for stored in store().list_routines()}


def profile_names() -> dict[int, str]:
    return {p.id: p.name for p in store().profiles()}


def chosen_profile() -> Profile:
    """The profile named by ``?profile=ID``, else the one training now; 422 for a bad id."""
    raw = request.args.get("profile")
    if raw is None:
        return store().current_profile()
    profile = store().get_profile(int(raw)) if is_whole_number(raw) else None
    if profile is None:
        raise ApiError(422, "There is no such profile.", {"profile": "must be a profile's id"})
    return profile


def goal_for(
    profile: Profile, active: StoredRoutine | None
) -> tuple[str | None, str | None, int | None]:
    """The profile's routine ``active`` (id, name) and its weekly goal: the profile's own,
    else the routine's, else the device's."""
    routine = active.routine if active is not None else None
    return (
        routine.id if routine else None,
        routine.name if routine else None,
        weekly_goal(routine, store().settings(), profile.weekly_goal),
    )


def week_summary(profile: Profile) -> WeekSummary:
    """This week's numbers; the goal is counted as the spoken summary counts it: finished
    workouts of the profile's routine against its weekly goal."""
    return week_at(profile, link().clock(), store().active_routine(profile.id))


def week_at(profile: Profile, now: float, active: StoredRoutine | None) -> WeekSummary:
    """This week's numbers at ``now``, ``active`` being the profile's routine."""
    # The same week rule as the spoken summary, so the page and the voice always agree.
    since = week_start(now)
    # A workout stamped before the wall clock was set back is in the future: not this week's.
    this_week = store().history_totals(profile_id=profile.id, since=since, until=now)
    routine_id, routine_name, goal = goal_for(profile, active)
    done = (
        store().sessions_since(since, routine_id, profile_id=profile.id, until=now)
        if routine_id
        else 0
    )
    return WeekSummary(
        since=since,
        sessions=this_week.completed,
        minutes=round(this_week.minutes, 1),
        routine_id=routine_id,
        routine_name=routine_name,
        goal_done=done,
        goal=goal,
    )


def week_starts(end: float, weeks: int) -> list[float]:
    """The starts of ``weeks`` weeks, oldest first, the last being the week holding ``end``."""
    starts = [week_start(end)]
    while len(starts) < weeks:
        # The second before a Monday midnight is in the week before, whatever the DST.
        starts.append(week_start(starts[-1] - 1))
    starts.reverse()
    return starts


def week_counts(profile_id: int, now: float, weeks: int) -> list[WeekCount]:
    """Finished workouts in each of the last ``weeks`` weeks, oldest first (this week last,
    with any workout stamped later than now)."""
    starts = week_starts(now, weeks)
    counts = store().completed_per_span([*starts, math.inf], profile_id=profile_id)
    return [WeekCount(s, c) for s, c in zip(starts, counts, strict=True)]


def streak(profile_id: int, now: float, goal: int | None, latest: Sequence[WeekCount] = ()) -> int:
    """Weeks in a row with the goal met, up to last week (and this week once it is met).
    ``latest`` may hold the counts of the last weeks up to this one, already read."""
    if not goal:
        return 0
    if len(latest) < STREAK_BATCH:
        latest = week_counts(profile_id, now, STREAK_BATCH)
    starts = [w.start for w in latest[-STREAK_BATCH:]]
    counts = [w.sessions for w in latest[-STREAK_BATCH:]]
    if counts[-1] < goal:
        counts.pop()  # this week is not over: it cannot break the streak yet
    run = 0
    # Half a year of weeks at a time, newest first, until one falls short of the goal.
    while run < STREAK_WEEKS:
        for count in reversed(counts):
            if count < goal:
                return run
            run += 1
        end = starts[0]
        starts = week_starts(end - 1, STREAK_BATCH)
        counts = store().completed_per_span([*starts, end], profile_id=profile_id)
    return run


def short_date(epoch: float) -> str:
    """A day in the device's local time: ``3 Mar``."""
    # time.strftime, not datetime's formatting: a tenth of the time, and a page of a
    # year's weeks and workouts writes dozens of these.
    moment = time.localtime(epoch)
    return time.strftime(f"{moment.tm_mday} %b", moment)


def charts(
    profile: Profile, goal: int | None, now: float, weeks: list[WeekCount]
) -> dict[str, Any]:
    """Both charts of the last twelve weeks (``weeks`` ending with this one), and the
    figures for their tables."""
    first = weeks[0].start
    checked = store().checkins(PAIN_POINTS, profile_id=profile.id, since=first)
    # One slot per workout, in order: two workouts on one day are two points, which a
    # twelve-week time axis would draw on top of each other.
    slots = max(1, len(checked) - 1)
    points = [PainPoint(i / slots, e.pain_before, e.pain_after) for i, e in enumerate(checked)]
    who = profile.name
    pain: Markup = pain_chart(
        points,
        f"Pain before and after each workout, last {CHART_WEEKS} weeks ({who})",
        short_date(checked[0].finished_at if checked else first),
        short_date(checked[-1].finished_at if checked else now),
    )
    bars: Markup = weeks_chart(
        [WeekBar(short_date(w.start), w.sessions) for w in weeks],
        goal,
        f"Workouts per week against the goal, last {CHART_WEEKS} weeks ({who})",
    )
    return {"pain_chart": pain, "pain_rows": checked, "weeks_chart": bars, "weeks": weeks}


@bp.route("/history")
def page() -> str:
    """One profile's last twelve weeks: charts, streak, and the latest workouts themselves."""
    # Taken before anything is read: a write that lands while the page is being made
    # changes it, so the next request makes the page again rather than keep a stale one.
    revision = store().revision()
    now = link().clock()
    if session.get("_flashes"):
        return _page(now)[0]  # a page with a message is for this once
    kept: KeptPages = current_app.extensions.setdefault(_PAGES, KeptPages(KEPT_PAGES))
    key = (revision, request.args.get("profile"), request.script_root)
    html = kept.get(key, now)
    if html is None:
        html, until = _page(now)
        kept.keep(key, html, now, until)
    return html


def _page(now: float) -> tuple[str, float]:
    """The page at ``now``, and the moment it may first read differently with the store
    unchanged: the next midnight (a week begins at one), or at once if a workout is
    stamped later than now (it joins this week when the clock reaches it)."""
    profile = chosen_profile()
    active = store().active_routine(profile.id)
    week = week_at(profile, now, active)
    # The streak's first half year of weeks holds the chart's twelve: read once.
    latest = week_counts(profile.id, now, STREAK_BATCH)
    drawn = charts(profile, week.goal, now, latest[-CHART_WEEKS:])
    since = drawn["weeks"][0].start
    recent = store().history_totals(profile_id=profile.id, since=since)
    everything = store().history_totals(profile_id=profile.id, minutes=False)
    html = render_template(
        "history.html",
        profile=profile,
        profiles=store().profiles(),
        entries=store().history(RECENT_SHOWN, profile_id=profile.id, since=since),
        recent=recent.workouts,
        older=everything.workouts - recent.workouts,
        week=week,
        streak=streak(profile.id, now, week.goal, latest),
        minutes=minutes,
        total_minutes=round(recent.minutes, 1),
        short_date=short_date,
        areas=pain_areas(),
        # Placed as the pain chart places the workouts it draws (newest first here).
        doses=dose_drawings(profile, active, drawn["pain_rows"][::-1], since, CHART_WEEKS),
        **drawn,
    )
    later = store().history_totals(profile_id=profile.id, since=now, minutes=False).workouts
    return html, now if later else next_midnight(now)


def next_midnight(now: float) -> float:
    """The local midnight that ends the day holding ``now``."""
    day = datetime.fromtimestamp(now).date() + timedelta(days=1)
    return datetime.combine(day, datetime.min.time()).timestamp()


@bp.app_template_filter("when")
def when(epoch: float) -> str:
    """A moment in the device's local time, short enough for a phone: ``Mon 3 Mar, 18:20``."""
    moment = time.localtime(epoch)
    return time.strftime(f"%a {moment.tm_mday} %b, %H:%M", moment)
