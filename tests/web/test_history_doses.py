"""Doses in History: the step line beside the pain chart, and the dose columns of the CSV."""

from __future__ import annotations

import csv
import io
import itertools
import re

from routines.model import Dose, HistoryEntry, Suggestion
from routines.validation import parse_routine
from tests.web.test_doses import GROWING
from tests.web_support import WEDNESDAY_NOON
from web_config.api_history import CSV_HEADER
from web_config.charts import LEFT, RIGHT, WIDTH

DAY = 86400.0


def workout(store, finished_at: float, before: int, after: int) -> HistoryEntry:
    return store.add_history(
        HistoryEntry(
            routine_id="growing",
            routine_name="Growing",
            started_at=finished_at - 20 * 60,
            finished_at=finished_at,
            exercises_done=3,
            sets_done=7,
            completed=True,
            pain_before=before,
            pain_after=after,
            sets_planned=7,
        )
    )


def four_workouts_with_a_step_up_after_the_second(store) -> list[float]:
    """Four workouts two days apart; the longer hold agreed to between the second and third."""
    store.save_routine(parse_routine(GROWING))
    store.set_active_routine("growing")
    times = [WEDNESDAY_NOON - (8 - 2 * i) * DAY for i in range(4)]
    for t in times:
        workout(store, t, 4, 3)
    made = store.suggest_dose(
        Suggestion(1, "growing", "Wall sit", "up", Dose(3, hold_seconds=30),
                   Dose(3, hold_seconds=35), times[1] + 60)
    )  # fmt: skip
    store.answer_suggestion(made.id, "accepted", via="accepted", at=times[1] + 3600)
    return times


def x_of(at: float) -> float:
    return round(LEFT + at * (WIDTH - LEFT - RIGHT), 1)


def test_the_dose_line_steps_up_between_the_workouts_the_change_came_between(client, store):
    four_workouts_with_a_step_up_after_the_second(store)
    page = client.get("/history").get_data(as_text=True)
    chart = re.search(
        r'<svg class="chart dose-chart"[^>]*aria-labelledby="dose-0-title">.*?</svg>', page, re.S
    )
    assert chart, "no dose chart for the first exercise"
    svg = chart.group(0)
    assert "Dose of Wall sit at each workout" in svg
    points = [
        tuple(map(float, p.split(",")))
        for p in re.search(r'<polyline class="dose" points="([^"]+)"', svg).group(1).split()
    ]
    # Level, one step, level: the step is where both its points share an x.
    steps = [(a, b) for a, b in itertools.pairwise(points) if a[0] == b[0] and a[1] != b[1]]
    assert len(steps) == 1
    (x, low), (_, high) = steps[0]
    assert high < low, "the line steps up (a smaller y is higher)"
    # Workouts sit where the pain chart puts them: 0, 1/3, 2/3 and 1 across; the change
    # came between the second and the third.
    assert x_of(1 / 3) < x < x_of(2 / 3)
    assert x == x_of(0.5)
    pain = re.search(r'aria-labelledby="pain-title">.*?</svg>', page, re.S).group(0)
    cxs = [float(c) for c in re.findall(r'<circle class="before" cx="([\d.]+)"', pain)[:-1]]
    assert cxs[1] < x < cxs[2]
    # The mark at the step, and the doses at either end.
    assert re.search(rf'<circle class="change" cx="{x}"', svg)
    assert "3 \u00d7 30 s" in svg and "now 3 \u00d7 35 s" in svg
    # The exercise whose dose never changed is listed; the one without rules is not.
    assert "Dose of Bridges" not in page
    assert re.search(r'<p class="steady">Unchanged: Bridges 3 \u00d7 10 reps.</p>', page)
    assert "Stretch" not in page


def test_no_change_no_step(client, store):
    store.save_routine(parse_routine(GROWING))
    store.set_active_routine("growing")
    for i in range(3):
        workout(store, WEDNESDAY_NOON - (i + 1) * DAY, 3, 2)
    page = client.get("/history").get_data(as_text=True)
    # A level line would say no more than the dose itself: the doses are listed instead.
    assert "dose-chart" not in page
    steady = re.search(r'<p class="steady">([^<]*)</p>', page).group(1)
    assert steady == "No change yet: Wall sit 3 \u00d7 30 s; Bridges 3 \u00d7 10 reps."


def test_the_csv_carries_the_dose_in_force_at_each_workout(client, store):
    four_workouts_with_a_step_up_after_the_second(store)
    text = client.get("/api/history.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_HEADER
    assert CSV_HEADER[-4:] == ("dose_exercises", "dose_sets", "dose_reps", "dose_hold_seconds")
    assert [r["dose_hold_seconds"] for r in rows] == ["30; ; 20"] * 2 + ["35; ; 20"] * 2
    assert {r["dose_exercises"] for r in rows} == {"Wall sit; Bridges; Stretch"}
    assert {r["dose_sets"] for r in rows} == {"3; 3; 1"}
    assert {r["dose_reps"] for r in rows} == {"; 10; "}


def test_a_workout_of_a_deleted_routine_has_blank_dose_cells(client, store):
    store.save_routine(parse_routine(GROWING))
    workout(store, WEDNESDAY_NOON - DAY, 3, 2)
    store.delete_routine("growing")
    [row] = list(csv.DictReader(io.StringIO(client.get("/api/history.csv").get_data(as_text=True))))
    assert [row[c] for c in CSV_HEADER[-4:]] == ["", "", "", ""]
