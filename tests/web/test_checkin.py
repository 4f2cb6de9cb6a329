"""Pain check-ins from the phone: POST /api/checkin and the Now page's 0-10 buttons."""

from __future__ import annotations

import json
from typing import Any

import pytest

from device.events import State, Status
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, post_form

JSON = {"Content-Type": "application/json"}


def checkin(client: Any, body: Any) -> Any:
    return client.post("/api/checkin", data=json.dumps(body), headers=JSON)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"moment": "during", "score": 3}, "moment"),
        ({"score": 3}, "moment"),
        ({"moment": "before", "score": 11}, "score"),
        ({"moment": "before", "score": -1}, "score"),
        ({"moment": "before", "score": 4.0}, "score"),
        ({"moment": "before", "score": "4"}, "score"),
        ({"moment": "before", "score": True}, "score"),
        ({"moment": "before"}, "score"),
        ({"moment": "before", "score": 4, "mood": "ok"}, "mood"),
    ],
)
def test_bad_fields_get_422_and_nothing_is_stored(client, store, control, body, field):
    add_workout(store, WEDNESDAY_NOON - 600, 20)
    control.current = Status(state=State.SET, routine_id="lower-back")
    before = contents(store)
    response = checkin(client, body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize("moment", ["before", "after"])
def test_it_answers_the_question_being_asked(client, store, control, moment):
    state = State.IDLE if moment == "before" else State.DONE
    control.current = Status(state=state, question=f"pain_{moment}")
    before = contents(store)
    response = checkin(client, {"moment": moment, "score": 4})
    assert response.status_code == 200
    assert control.calls == [("answer", (f"pain_{moment}", 4))]
    # The daemon stores it with the workout: nothing is written here, so it counts once.
    assert contents(store) == before


def test_it_goes_with_the_workout_under_way(client, control):
    control.current = Status(state=State.REST, routine_id="lower-back")
    assert checkin(client, {"moment": "before", "score": 0}).status_code == 200
    assert checkin(client, {"moment": "after", "score": 10}).status_code == 200
    assert control.calls == [("answer", ("pain_before", 0)), ("answer", ("pain_after", 10))]


def test_an_after_score_goes_on_a_workout_that_ended_in_the_last_two_hours(client, store):
    sam = store.create_profile({"name": "Sam"}).id
    mine = add_workout(store, WEDNESDAY_NOON - 3600, 20)
    add_workout(store, WEDNESDAY_NOON - 600, 20, profile_id=sam)  # someone else's, later
    response = checkin(client, {"moment": "after", "score": 2})
    assert response.get_json() == {"moment": "after", "score": 2, "workout": mine.id}
    assert [e.pain_after for e in store.history()] == [None, 2]


@pytest.mark.parametrize(
    ("ended_ago", "moment"),
    [(3 * 3600, "after"), (600, "before"), (None, "after")],
)
def test_otherwise_409_and_nothing_changes(client, store, control, ended_ago, moment):
    if ended_ago is not None:
        add_workout(store, WEDNESDAY_NOON - ended_ago, 20)
    before = contents(store)
    response = checkin(client, {"moment": moment, "score": 5})
    assert response.status_code == 409
    assert "no workout to record this on" in response.get_json()["error"]
    assert contents(store) == before
    assert control.calls == []


def test_the_now_page_shows_the_question_with_eleven_buttons(client, control):
    assert "how much pain" not in client.get("/now/panel").get_data(as_text=True)
    control.current = Status(state=State.IDLE, routine_id="lower-back", question="pain_before")
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "Before the workout: how much pain in your back?" in panel
    for n in range(11):
        assert f'action="/now/pain/before/{n}"' in panel
    # While Spotter asks, the page offers no start of its own.
    assert "Start " not in panel
    response = post_form(client, "/now/pain/before/6")
    assert response.status_code == 302
    assert control.calls == [("answer", ("pain_before", 6))]
    assert post_form(client, "/now/pain/before/11").status_code == 404


def test_picking_a_name_while_spotter_asks_answers_it(client, store, control):
    sam = store.create_profile({"name": "Sam"}).id
    control.current = Status(state=State.IDLE, routine_id="lower-back", question="who")
    panel = client.get("/now/panel").get_data(as_text=True)
    assert f'action="/now/profile/{sam}"' in panel
    post_form(client, f"/now/profile/{sam}")
    assert control.calls == [("answer", ("who", sam))]
    # The daemon makes the choice and keeps it; the page does not write it too.
    assert store.current_profile().id == 1


def test_the_question_on_the_now_page_names_the_routines_body_part(client, control):
    control.current = Status(
        state=State.IDLE,
        routine_id="knee",
        question="pain_after",
        checkin_area="knee",
        press_does="choose the number you hear",
    )
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "After the workout: how much pain in your knee?" in panel
    assert "Press: choose the number you hear" in panel
    assert client.get("/api/status").get_json()["checkin_area"] == "knee"


def test_the_now_page_says_what_press_does_and_what_follows_the_rest(client, control):
    control.current = Status(
        state=State.REST,
        routine_id="knee",
        exercise_index=0,
        exercise_name="Wall sit",
        set=2,
        sets=3,
        remaining_seconds=8,
        press_does="skip the rest",
        next_up="Set 2 of 3: 30 s hold",
    )
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "Press: skip the rest" in panel
    assert "Set 2 of 3: 30 s hold" in panel
    body = client.get("/api/status").get_json()
    assert (body["press_does"], body["next_up"]) == ("skip the rest", "Set 2 of 3: 30 s hold")
