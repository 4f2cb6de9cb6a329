"""What a History request costs in its structure (timings are the benches' business): a
bounded number of reads however long the history, and a page kept while nothing it
shows can have changed, and never a moment longer."""

from __future__ import annotations

import re
import sqlite3

import pytest

from routines import history_rows
from routines.changes import Data
from routines.model import HistoryEntry
from tests.web_support import WEDNESDAY_NOON, add_workout

DAY = 86400.0
WEEK = 7 * DAY
# Every read of a year of History (charts, streak, this week, the list, the doses).
COLD_STATEMENTS = 20
# With nothing changed: whether anything has, and the PIN's check before every view.
KEPT_STATEMENTS = 2


def workouts(store, weeks: int, per_week: int, *, profile_id: int = 1) -> None:
    """``per_week`` finished workouts in each of the ``weeks`` weeks before this one."""
    rows = [
        history_rows.to_row(
            HistoryEntry(
                routine_id="lower-back",
                routine_name="Lower-back relief",
                started_at=at - 1200,
                finished_at=at,
                exercises_done=4,
                sets_done=12,
                completed=True,
                profile_id=profile_id,
                pain_before=5 if n % 2 else None,
                pain_after=3 if n % 2 else None,
            )
        )
        for week in range(1, weeks + 1)
        for n in range(per_week)
        if (at := WEDNESDAY_NOON - week * WEEK + n * 3600)
    ]
    with store.db.transaction(Data.HISTORY) as conn:
        conn.executemany(history_rows.INSERT, [tuple(r.values()) for r in rows])


def statements(store, client, url: str = "/history") -> tuple[list[str], str]:
    """The SQL statements one request ran, and the page it gave."""
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)
    try:
        response = client.get(url)
    finally:
        store.db.conn.set_trace_callback(None)
    assert response.status_code == 200
    return seen, response.get_data(as_text=True)


def this_week(html: str) -> str:
    found = re.search(r'<p class="big-figure">([^<]*)</p>', html)
    assert found is not None
    return found.group(1)


def test_a_year_of_workouts_is_read_in_a_few_statements(client, store):
    workouts(store, 52, 3)  # the goal (3) met every week: the streak reads back a year
    seen, html = statements(store, client)
    assert "Goal met 52 weeks in a row." in html
    assert len(seen) <= COLD_STATEMENTS, seen


def test_more_workouts_in_the_weeks_shown_take_no_more_statements(client, store):
    store.create_profile({"name": "Busy"})
    workouts(store, 12, 1, profile_id=1)
    workouts(store, 12, 8, profile_id=2)  # more than the 84 the page lists
    few, _ = statements(store, client, "/history?profile=1")
    many, html = statements(store, client, "/history?profile=2")
    assert html.count('<li class="card">') == 84
    assert len(many) == len(few)


def test_an_unchanged_store_gives_the_kept_page_without_reading_it(client, store):
    workouts(store, 52, 3)
    _, first = statements(store, client)
    seen, again = statements(store, client)
    assert again == first
    assert len(seen) <= KEPT_STATEMENTS, seen


def test_the_kept_page_is_not_given_after_a_write_of_its_own(client, store):
    workouts(store, 4, 3)
    before = this_week(client.get("/history").get_data(as_text=True))
    add_workout(store, WEDNESDAY_NOON - 3600, 20)
    assert this_week(client.get("/history").get_data(as_text=True)) != before


def test_the_kept_page_is_not_given_after_another_process_writes(client, store):
    workouts(store, 4, 3)
    before = client.get("/history").get_data(as_text=True)
    # The daemon writes the file through its own connection.
    other = sqlite3.connect(store.path())
    try:
        with other:
            row = history_rows.to_row(
                HistoryEntry(
                    routine_id="lower-back",
                    routine_name="Lower-back relief",
                    started_at=WEDNESDAY_NOON - 4000,
                    finished_at=WEDNESDAY_NOON - 3600,
                    exercises_done=4,
                    sets_done=12,
                    completed=True,
                )
            )
            other.execute(history_rows.INSERT, tuple(row.values()))
    finally:
        other.close()
    after = client.get("/history").get_data(as_text=True)
    assert this_week(after) != this_week(before)
    assert after.count('<li class="card">') == before.count('<li class="card">') + 1


def test_a_workout_stamped_later_joins_this_week_when_the_clock_reaches_it(
    client, store, web_clock
):
    # Finished an hour from now by the clock: the wall clock was set back since.
    add_workout(store, WEDNESDAY_NOON + 3600, 20)
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("0 workouts")
    web_clock.advance(3600)
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("1 workout ")


def test_a_new_week_is_shown_from_its_first_second(client, store, web_clock):
    add_workout(store, WEDNESDAY_NOON - 3600, 20)
    web_clock.advance(4.5 * DAY - 1)  # Sunday, a second before midnight
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("1 workout ")
    web_clock.advance(1)
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("0 workouts")


def test_a_clock_set_back_is_not_given_a_page_made_later(client, store, web_clock):
    add_workout(store, WEDNESDAY_NOON - 3600, 20)
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("1 workout ")
    web_clock.now = WEDNESDAY_NOON - WEEK
    assert this_week(client.get("/history").get_data(as_text=True)).startswith("0 workouts")


@pytest.mark.parametrize("query", ["", "?profile=2"])
def test_each_profile_has_its_own_kept_page(client, store, query):
    sam = store.create_profile({"name": "Sam"}).id
    add_workout(store, WEDNESDAY_NOON - 3600, 20, profile_id=sam)
    client.get("/history")
    client.get("/history?profile=2")
    html = client.get("/history" + query).get_data(as_text=True)
    assert this_week(html).startswith("1 workout " if query else "0 workouts")


def test_a_store_file_put_in_place_is_a_new_revision(store, tmp_path):
    before = store.revision()
    copy = tmp_path / "copy.db"
    store.backup_to(copy)
    store.replace_file(copy, keep_previous=tmp_path / "previous.db")
    assert store.revision() != before
