"""The History page, its charts and weight, and the history as JSON and CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest

from routines.store import SetReps
from tests.web_support import WEDNESDAY_NOON, add_workout, weigh
from web_config.api_history import CSV_HEADER
from web_config.history import streak, week_counts

DAY = 86400.0
WEEK = 7 * DAY
WEIGHT_LIMIT = 40 * 1024


def a_year_of_workouts(store, profile_id: int = 1) -> None:
    """Three lower-back workouts a week for a year, with check-ins and a short set now and then."""
    for week in range(52):
        for day in (0, 2, 4):
            at = WEDNESDAY_NOON - 2 * DAY - week * WEEK + day * DAY - 3600
            if at > WEDNESDAY_NOON:
                continue
            n = week * 3 + day
            add_workout(
                store,
                at,
                21.5,
                completed=n % 17 != 0,
                profile_id=profile_id,
                pain_before=4 + n % 4,
                pain_after=2 + n % 5,
                sets_planned=12,
                set_reps=(SetReps("Glute hip thrusts", 3, 7, 10),) if n % 5 == 0 else (),
            )


def test_entries_carry_profile_pain_minutes_and_reps(client, store):
    sam = store.create_profile({"name": "Sam"}).id
    add_workout(
        store,
        WEDNESDAY_NOON - 3600,
        18,
        completed=False,
        profile_id=sam,
        pain_before=6,
        pain_after=3,
        sets_planned=12,
        set_reps=(SetReps("Reverse ab curls", 2, 6, 10), SetReps("Glute hip thrusts", 1, 10, 10)),
    )
    add_workout(store, WEDNESDAY_NOON - 7200, 20)
    entries = client.get("/api/history").get_json()["sessions"]
    assert [e["profile"] for e in entries] == [{"id": sam, "name": "Sam"}, {"id": 1, "name": "Me"}]
    first = entries[0]
    assert (first["pain_before"], first["pain_after"]) == (6, 3)
    assert first["active_minutes"] == 18.0
    assert first["ended_early"] is True
    assert first["sets_planned"] == 12
    assert first["reps_short"] == 4
    assert first["sets"][0] == {
        "exercise": "Reverse ab curls",
        "set": 2,
        "side": None,
        "done": 6,
        "planned": 10,
    }
    assert entries[1]["pain_before"] is None and entries[1]["ended_early"] is False


def test_profile_filters_the_history_and_its_week(client, store):
    sam = store.create_profile({"name": "Sam", "weekly_goal": 2}).id
    add_workout(store, WEDNESDAY_NOON - 3600, 18, profile_id=sam)
    add_workout(store, WEDNESDAY_NOON - 7200, 20)
    add_workout(store, WEDNESDAY_NOON - 9000, 20)
    body = client.get(f"/api/history?profile={sam}").get_json()
    assert [e["profile"]["id"] for e in body["sessions"]] == [sam]
    assert body["week"]["goal"] == 2 and body["week"]["goal_done"] == 1
    assert body["week"]["profile"]["name"] == "Sam"
    mine = client.get("/api/history?profile=1").get_json()
    assert len(mine["sessions"]) == 2 and mine["week"]["goal_done"] == 2
    assert len(client.get("/api/history").get_json()["sessions"]) == 3
    for bad in ("99", "x", "-1", ""):
        response = client.get(f"/api/history?profile={bad}")
        assert response.status_code == 422
        assert "profile" in response.get_json()["fields"]


def test_csv_has_the_header_and_one_row_per_workout(client, store):
    sam = store.create_profile({"name": "=Sam"}).id
    add_workout(store, WEDNESDAY_NOON - 7200, 20, pain_before=5, pain_after=3, sets_planned=12)
    add_workout(
        store,
        WEDNESDAY_NOON - 3600,
        7.5,
        completed=False,
        profile_id=sam,
        set_reps=(SetReps("Reverse ab curls", 1, 7, 10),),
    )
    response = client.get("/api/history.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(rows[0]) == CSV_HEADER
    # The dose columns at the end: tests/web/test_history_doses.py.
    assert rows[1][:-4] == [
        "2025-03-05 10:00",
        "Me",
        "Lower-back relief",
        "20.0",
        "12",
        "12",
        "0",
        "back",
        "5",
        "3",
        "no",
    ]
    # A name a spreadsheet would run as a formula is kept as text.
    assert rows[2][:-4] == [
        "2025-03-05 11:00",
        "'=Sam",
        "Lower-back relief",
        "7.5",
        "12",
        "",
        "3",
        "",
        "",
        "",
        "yes",
    ]
    assert len(rows) == 3
    only_sam = list(
        csv.DictReader(
            io.StringIO(client.get(f"/api/history.csv?profile={sam}").get_data(as_text=True))
        )
    )
    assert [r["ended_early"] for r in only_sam] == ["yes"]


def test_csv_of_a_year_opens_in_the_csv_module(client, store):
    a_year_of_workouts(store)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/history.csv").get_data(as_text=True))))
    assert len(rows) == len(store.history(10_000))
    assert all(0 <= int(r["pain_before"]) <= 10 for r in rows)


def test_the_history_page_draws_both_charts_with_tables(client, store):
    add_workout(store, WEDNESDAY_NOON - 3 * WEEK, 20, pain_before=7, pain_after=4)
    add_workout(
        store,
        WEDNESDAY_NOON - DAY,
        20,
        pain_before=5,
        pain_after=6,
        set_reps=(SetReps("Glute hip thrusts", 2, 8, 10),),
        sets_planned=12,
    )
    page = client.get("/history").get_data(as_text=True)
    svgs = re.findall(r"<svg class=\"chart\" .*?</svg>", page, re.S)
    assert len(svgs) == 2
    pain, weeks = svgs
    assert "<title" in pain and "Pain before and after" in pain
    assert pain.count('<circle class="before"') == 3  # two workouts and the legend
    assert pain.count('<rect class="after"') == 3
    assert weeks.count('class="bar ') == 12
    assert 'class="goal"' in weeks
    # The figures are in tables too, for screen readers.
    assert "<td>back</td><td>7</td><td>4</td>" in page
    assert "Glute hip thrusts set 2, 8 of 10" in page
    assert "back pain 5 → 6" in page
    assert 'href="/api/history.csv?profile=1"' in page


def test_the_page_shows_one_profile_and_links_to_the_others(client, store):
    sam = store.create_profile({"name": "Sam"}).id
    add_workout(store, WEDNESDAY_NOON - 3600, 33, profile_id=sam)
    add_workout(store, WEDNESDAY_NOON - 7200, 44)
    mine = client.get("/history").get_data(as_text=True)
    assert "44.0 min" in mine and "33.0 min" not in mine
    sams = client.get(f"/history?profile={sam}").get_data(as_text=True)
    assert "33.0 min" in sams and "44.0 min" not in sams
    assert f'href="/history?profile={sam}"' in mine
    assert client.get("/history?profile=77").status_code == 422


def test_a_year_of_three_workouts_a_week_stays_under_40_kb(client, store):
    a_year_of_workouts(store)
    html, weight = weigh(client, "/history")
    assert weight <= WEIGHT_LIMIT, f"/history weighs {weight} bytes"
    assert "older workouts are in the download" in html


def test_week_counts_put_each_workout_in_its_week(app, store):
    add_workout(store, WEDNESDAY_NOON - 3600, 10)
    add_workout(store, WEDNESDAY_NOON - 3 * DAY, 10)  # Sunday: the week before
    add_workout(store, WEDNESDAY_NOON - 3 * DAY - 60, 10, completed=False)
    with app.app_context():
        counts = week_counts(1, WEDNESDAY_NOON, 3)
    assert [c.sessions for c in counts] == [0, 1, 1]


@pytest.mark.parametrize(
    ("per_week", "goal", "expected"),
    [
        ([3, 3, 3, 0], 3, 3),  # this week not met yet: the run up to last week counts
        ([3, 3, 3, 3], 3, 4),  # met this week too
        ([3, 1, 3, 3], 3, 2),
        ([3, 3, 1, 0], 3, 0),
        ([2, 2, 2, 2], 3, 0),
        ([2, 2, 2, 2], None, 0),
    ],
)
def test_streak_counts_weeks_in_a_row_with_the_goal_met(app, store, per_week, goal, expected):
    for i, count in enumerate(reversed(per_week)):
        for k in range(count):
            # Monday to Wednesday of each week, before the Wednesday noon "now".
            at = WEDNESDAY_NOON - i * WEEK - (k + 1) * 3600
            add_workout(store, at, 10)
    with app.app_context():
        assert streak(1, WEDNESDAY_NOON, goal) == expected


def test_two_workouts_on_one_day_are_two_points(client, store):
    add_workout(store, WEDNESDAY_NOON - 5 * 3600, 20, pain_before=6, pain_after=3)
    add_workout(store, WEDNESDAY_NOON - 3600, 20, pain_before=4, pain_after=2)
    page = client.get("/history").get_data(as_text=True)
    pain = re.findall(r"<svg.*?</svg>", page, re.S)[0]
    spots = re.findall(r'<circle class="before" cx="([\d.]+)" cy="([\d.]+)"', pain)[:-1]
    xs = [float(x) for x, _ in spots]
    assert len(xs) == 2
    assert xs[1] - xs[0] > 100  # far apart, not drawn on top of each other


def test_a_knee_routines_check_ins_say_knee_in_history_and_csv(client, store):
    from routines.validation import parse_routine
    from tests.web_support import simple_routine

    store.save_routine(
        parse_routine(
            {**simple_routine("Knee"), "id": "knee", "checkin": {"kind": "pain", "area": "knee"}}
        )
    )
    store.add_history(
        dataclasses.replace(
            add_workout(store, WEDNESDAY_NOON - 3600, 20, pain_before=3, pain_after=5),
            id=None,
            started_at=WEDNESDAY_NOON - 3000,
            finished_at=WEDNESDAY_NOON - 1800,
            routine_id="knee",
            routine_name="Knee",
        )
    )
    page = client.get("/history").get_data(as_text=True)
    assert "knee pain 3 → 5" in page
    assert "<td>knee</td><td>3</td><td>5</td>" in page
    rows = list(csv.DictReader(io.StringIO(client.get("/api/history.csv").get_data(as_text=True))))
    assert [r["pain_area"] for r in rows] == ["back", "knee"]


def test_the_history_comes_in_pages_that_follow_each_other(client, store):
    for n in range(7):
        add_workout(store, WEDNESDAY_NOON - 3600 * (n // 2), 10)  # pairs in the same second
    seen, path = [], "/api/history?limit=3"
    while path:
        body = client.get(path).get_json()
        assert len(body["sessions"]) <= 3
        seen += [(s["finished_at"], s["id"]) for s in body["sessions"]]
        path = body["next"] and f"/api/history?limit=3&before={body['next']}"
    assert len(seen) == 7 and len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_a_page_carries_on_where_the_last_ended_when_a_workout_ends_meanwhile(client, store):
    for n in range(4):
        add_workout(store, WEDNESDAY_NOON - 3600 * (n + 1), 10)
    first = client.get("/api/history?limit=2").get_json()
    add_workout(store, WEDNESDAY_NOON - 60, 10)  # newer than everything
    rest = client.get(f"/api/history?limit=2&before={first['next']}").get_json()
    assert [s["finished_at"] for s in first["sessions"] + rest["sessions"]] == [
        WEDNESDAY_NOON - 3600 * (n + 1) for n in range(4)
    ]
    assert rest["next"] is None


def test_the_default_page_is_fifty_and_no_more_than_two_hundred(client, store):
    for n in range(60):
        add_workout(store, WEDNESDAY_NOON - 3600 * (n + 1), 10)
    body = client.get("/api/history").get_json()
    assert len(body["sessions"]) == 50 and body["next"]
    assert len(client.get("/api/history?limit=200").get_json()["sessions"]) == 60


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=x", "limit"),
        ("limit=", "limit"),
        ("limit=-5", "limit"),
        ("before=x", "before"),
        ("before=12", "before"),
        ("before=nan:3", "before"),
        ("before=inf:3", "before"),
        ("before=100:-1", "before"),
        ("before=100:1e3", "before"),
        ("before=100:" + "9" * 40, "before"),
    ],
)
def test_a_bad_page_is_a_422_naming_the_parameter(client, store, query, field):
    response = client.get(f"/api/history?{query}")
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == [field]


def test_the_csv_is_streamed(client, store):
    a_year_of_workouts(store)
    response = client.get("/api/history.csv")
    assert response.is_streamed
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 1 + len(
        store.history(10_000)
    )


def test_the_page_lists_the_newest_of_a_crowded_twelve_weeks(client, store):
    from web_config.history import RECENT_SHOWN

    for n in range(RECENT_SHOWN + 5):
        add_workout(store, WEDNESDAY_NOON - 3600 * (n + 1), 10, pain_before=3, pain_after=2)
    page = client.get("/history").get_data(as_text=True)
    assert page.count('<li class="card">') == RECENT_SHOWN
    assert (
        f"{RECENT_SHOWN + 5} in the last twelve weeks, {(RECENT_SHOWN + 5) * 10}.0 minutes" in page
    )
    assert f"The newest {RECENT_SHOWN} are listed here" in page


def test_a_streak_longer_than_one_read_of_weeks_is_counted_whole(app, store):
    from web_config.history import STREAK_BATCH

    weeks = STREAK_BATCH + 4
    for i in range(1, weeks + 1):  # last week and the ones before; none yet this week
        for k in range(2):
            add_workout(store, WEDNESDAY_NOON - i * WEEK - (k + 1) * 3600, 10)
    with app.app_context():
        assert streak(1, WEDNESDAY_NOON, 2) == weeks
        assert streak(1, WEDNESDAY_NOON, 3) == 0
