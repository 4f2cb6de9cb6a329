"""Each person's doses on the phone: the suggestion card, answering it, locking a dose, and
the owner's switch, through the pages and the JSON API, with and without the PIN."""

from __future__ import annotations

import re

import pytest

from device.events import State, Status
from routines.model import Dose, Suggestion
from routines.validation import parse_routine
from tests.web_support import WEDNESDAY_NOON, post_form
from web_config.access_pin import hash_pin

PIN = {"Authorization": "Bearer 2468"}
HOLD_RULES = {"every": 3, "steps": [{"hold_seconds": 5, "up_to": 45}, {"sets": 1, "up_to": 4}]}
REP_RULES = {"every": 3, "steps": [{"reps": 2, "up_to": 15}]}
GROWING = {
    "id": "growing",
    "name": "Growing",
    "checkin": "pain",
    "exercises": [
        {"name": "Wall sit", "sets": 3, "hold_seconds": 30, "progression": HOLD_RULES},
        {"name": "Bridges", "sets": 3, "reps": 10, "progression": REP_RULES},
        {"name": "Stretch", "sets": 1, "hold_seconds": 20},
    ],
}


@pytest.fixture
def growing(store):
    """The routine with rules, active for everyone; a second person, Sam."""
    store.save_routine(parse_routine(GROWING))
    store.set_active_routine("growing")
    store.create_profile({"name": "Sam", "routine_id": "growing"})
    return store


def offer(store, profile_id: int = 1, exercise: str = "Wall sit", direction: str = "up"):
    start = Dose(3, hold_seconds=30) if exercise == "Wall sit" else Dose(3, reps=10)
    to = Dose(3, hold_seconds=35) if exercise == "Wall sit" else Dose(3, reps=12)
    if direction != "up":
        start, to = to, start
        store.set_dose(profile_id, "growing", exercise, start, why="owner", at=WEDNESDAY_NOON - 9)
    return store.suggest_dose(
        Suggestion(profile_id, "growing", exercise, direction, start, to, WEDNESDAY_NOON - 5)
    )


def doses(client, profile_id: int = 1) -> dict:
    answer = client.get(f"/api/profiles/{profile_id}/doses")
    assert answer.status_code == 200
    return answer.get_json()


def dose_of(body: dict, exercise: str) -> dict:
    return next(e["dose"] for e in body["exercises"] if e["exercise"] == exercise)


def test_the_api_lists_the_doses_of_exercises_with_rules_and_what_is_offered(client, growing):
    made = offer(growing)
    body = doses(client)
    assert body["routine"] == {"id": "growing", "name": "Growing"} and body["progression"]
    # The exercise without rules has a fixed dose: not listed.
    assert [e["exercise"] for e in body["exercises"]] == ["Wall sit", "Bridges"]
    assert dose_of(body, "Wall sit") == {"sets": 3, "reps": None, "hold_seconds": 30}
    [shown] = body["suggestions"]
    assert shown["id"] == made.id and shown["to"]["hold_seconds"] == 35
    assert "Wall sit" in shown["sentence"] and "3 \u00d7 35 s" in shown["sentence"]
    # Offered to one person only.
    assert doses(client, 2)["suggestions"] == []
    # Another routine by its id; an unknown one is named.
    assert client.get("/api/profiles/1/doses?routine=lower-back").get_json()["suggestions"] == []
    unknown = client.get("/api/profiles/1/doses?routine=gone")
    assert unknown.status_code == 422 and "routine" in unknown.get_json()["fields"]
    assert client.get("/api/profiles/9/doses").status_code == 404


def test_accepting_changes_that_persons_dose_only_and_answers_once(client, growing):
    made = offer(growing)
    url = f"/api/profiles/1/suggestions/{made.id}"
    answer = client.post(url, json={"answer": "accepted"})
    assert answer.status_code == 200
    assert answer.get_json()["suggestion"]["answer"] == "accepted"
    assert dose_of(doses(client), "Wall sit")["hold_seconds"] == 35
    assert dose_of(doses(client, 2), "Wall sit")["hold_seconds"] == 30
    assert doses(client)["suggestions"] == []
    again = client.post(url, json={"answer": "declined"})
    assert again.status_code == 409 and "accepted already" in again.get_json()["error"]
    assert dose_of(doses(client), "Wall sit")["hold_seconds"] == 35


def test_declining_keeps_the_dose(client, growing):
    made = offer(growing)
    answer = client.post(f"/api/profiles/1/suggestions/{made.id}", json={"answer": "declined"})
    assert answer.status_code == 200
    assert dose_of(answer.get_json(), "Wall sit")["hold_seconds"] == 30
    assert answer.get_json()["suggestions"] == []


def test_a_bad_answer_names_its_field_and_changes_nothing(client, growing):
    made = offer(growing)
    url = f"/api/profiles/1/suggestions/{made.id}"
    for body, field in (
        ({"answer": "yes"}, "answer"),
        ({}, "answer"),
        ({"answer": "accepted", "when": "now"}, "when"),
    ):
        refused = client.post(url, json=body)
        assert refused.status_code == 422, body
        assert field in refused.get_json()["fields"]
    # Someone else's suggestion, or none by that id: not found.
    for elsewhere in (f"2/suggestions/{made.id}", "1/suggestions/999", "9/suggestions/1"):
        missing = client.post(f"/api/profiles/{elsewhere}", json={"answer": "accepted"})
        assert missing.status_code == 404, elsewhere
    assert doses(client)["suggestions"][0]["answer"] == "pending"


def test_with_a_pin_answering_and_locking_need_it(client, growing):
    made = offer(growing)
    growing.update_settings({"pin_hash": hash_pin("2468")})
    url = f"/api/profiles/1/suggestions/{made.id}"
    assert client.post(url, json={"answer": "accepted"}).status_code == 401
    lock = {"exercise": "Bridges", "locked": True}
    assert client.post("/api/profiles/1/doses/lock", json=lock).status_code == 401
    wrong = {"Authorization": "Bearer 1"}
    assert client.post(url, json={"answer": "accepted"}, headers=wrong).status_code == 401
    # Each person's doses are their health record: reading them needs the PIN too.
    assert client.get("/api/profiles/1/doses").status_code == 401
    pending = client.get("/api/profiles/1/doses", headers=PIN).get_json()["suggestions"]
    assert pending[0]["answer"] == "pending"
    assert client.post(url, json={"answer": "accepted"}, headers=PIN).status_code == 200
    assert client.post("/api/profiles/1/doses/lock", json=lock, headers=PIN).status_code == 200
    body = client.get("/api/profiles/1/doses", headers=PIN).get_json()
    assert dose_of(body, "Wall sit")["hold_seconds"] == 35
    assert [e["locked"] for e in body["exercises"]] == [False, True]


def test_a_lock_keeps_the_dose_and_withdraws_the_offer(client, growing):
    offer(growing, exercise="Bridges")
    locked = client.post("/api/profiles/1/doses/lock", json={"exercise": "Bridges", "locked": True})
    assert locked.status_code == 200
    body = locked.get_json()
    assert next(e for e in body["exercises"] if e["exercise"] == "Bridges")["locked"]
    assert body["suggestions"] == []
    # Sam's dose is his own.
    assert not any(e["locked"] for e in doses(client, 2)["exercises"])
    freed = client.post("/api/profiles/1/doses/lock", json={"exercise": "Bridges", "locked": False})
    assert not any(e["locked"] for e in freed.get_json()["exercises"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"exercise": "Stretch", "locked": True}, "exercise"),
        ({"exercise": "Nothing", "locked": True}, "exercise"),
        ({"locked": True}, "exercise"),
        ({"exercise": "Bridges", "locked": "yes"}, "locked"),
        ({"exercise": "Bridges", "locked": True, "routine_id": "gone"}, "routine_id"),
        ({"exercise": "Bridges", "locked": True, "why": "x"}, "why"),
    ],
)
def test_a_bad_lock_names_the_field(client, growing, body, field):
    refused = client.post("/api/profiles/1/doses/lock", json=body)
    assert refused.status_code == 422
    assert field in refused.get_json()["fields"]
    assert not any(e["locked"] for e in doses(client)["exercises"])


def test_the_owner_turns_progression_off_for_everyone(client, growing):
    made = offer(growing)
    growing.update_settings({"pin_hash": hash_pin("2468")})
    assert client.put("/api/settings", json={"progression": False}).status_code == 401
    assert client.put("/api/settings", json={"progression": "no"}, headers=PIN).status_code == 422
    off = client.put("/api/settings", json={"progression": False}, headers=PIN)
    assert off.status_code == 200 and off.get_json()["progression"] is False
    body = client.get("/api/profiles/1/doses", headers=PIN).get_json()
    assert body["progression"] is False and body["suggestions"] == []
    refused = client.post(
        f"/api/profiles/1/suggestions/{made.id}", json={"answer": "accepted"}, headers=PIN
    )
    assert refused.status_code == 409 and "off" in refused.get_json()["error"]
    assert growing.doses(1, "growing") == {}
    assert "Suggested" not in client.get("/").get_data(as_text=True)


def test_the_settings_page_switches_progression(client, growing):
    page = client.get("/settings/").get_data(as_text=True)
    assert re.search(r'id="progression" name="progression" value="on" checked', page)
    form = {"progression": "off"}
    assert post_form(client, "/settings/", form).status_code == 302
    assert growing.settings().progression is False
    assert post_form(client, "/settings/", {"progression": ["on", "off"]}).status_code == 302
    assert growing.settings().progression is True


def test_the_now_page_shows_the_offer_to_the_one_training_and_takes_the_answer(client, growing):
    made = offer(growing, direction="down")
    page = client.get("/").get_data(as_text=True)
    assert "Suggested for Me" in page and "see a physiotherapist" in page
    assert "Agree: 3 \u00d7 30 s" in page and "Keep 3 \u00d7 35 s" in page
    growing.set_current_profile(2)
    assert "Suggested" not in client.get("/now/panel").get_data(as_text=True)
    growing.set_current_profile(1)
    answered = post_form(client, f"/now/suggestion/1/{made.id}/accepted")
    assert answered.status_code == 302
    assert dose_of(doses(client), "Wall sit")["hold_seconds"] == 30
    assert "Suggested" not in client.get("/").get_data(as_text=True)


def test_the_people_page_locks_and_frees_a_dose(client, growing):
    page = client.get("/people/").get_data(as_text=True)
    assert "Sam's doses of Growing" in page and "Keep it here" in page
    kept = post_form(client, "/people/2/lock", {"exercise": "Wall sit", "locked": "yes"})
    assert kept.status_code == 302
    assert [e["locked"] for e in doses(client, 2)["exercises"]] == [True, False]
    assert "Let it grow again" in client.get("/people/").get_data(as_text=True)
    post_form(client, "/people/2/lock", {"exercise": "Wall sit", "locked": "no"})
    assert [e["locked"] for e in doses(client, 2)["exercises"]] == [False, False]


def test_while_spotter_offers_aloud_the_page_answers_it_as_the_button_would(
    client, growing, control
):
    refused = post_form(client, "/now/dose/agree", headers={"Accept": "application/json"})
    assert refused.status_code == 409 and control.calls == []
    control.current = Status(state=State.DONE, question="dose", last_spoken="Next time: more.")
    page = client.get("/now/panel").get_data(as_text=True)
    assert "Agree" in page and "Keep the dose" in page
    assert post_form(client, "/now/dose/keep").status_code == 302
    assert post_form(client, "/now/dose/agree").status_code == 302
    assert control.calls == [("answer", ("dose", 0)), ("answer", ("dose", 1))]
    growing.update_settings({"pin_hash": hash_pin("2468")})
    assert post_form(client, "/now/dose/agree").status_code == 302  # to the login
    assert control.calls == [("answer", ("dose", 0)), ("answer", ("dose", 1))]
