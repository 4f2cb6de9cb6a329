"""The profiles API: every field rule, deleting with and without consent, choosing who trains."""

from __future__ import annotations

import json
from typing import Any

import pytest

from device.events import State, Status
from routines.changes import Data
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, post_form

JSON = {"Content-Type": "application/json"}


def send(client: Any, method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body)
    return client.open(url, method=method, data=data, headers=JSON)


def test_a_new_device_lists_one_profile(client):
    body = client.get("/api/profiles").get_json()
    assert body == {
        "profiles": [
            {"id": 1, "name": "Me", "routine_id": None, "weekly_goal": None, "workouts": 0}
        ],
        "current": 1,
    }


def test_create_read_rename_and_choose(client, store, control):
    response = send(client, "POST", "/api/profiles", {"name": "  Sam ", "weekly_goal": 2})
    assert response.status_code == 201
    sam = response.get_json()
    assert sam["name"] == "Sam" and sam["weekly_goal"] == 2
    assert response.headers["Location"].endswith(f"/api/profiles/{sam['id']}")
    assert client.get(f"/api/profiles/{sam['id']}").get_json() == sam
    renamed = send(client, "PUT", f"/api/profiles/{sam['id']}", {"name": "Samira"}).get_json()
    assert renamed["name"] == "Samira" and renamed["weekly_goal"] == 2
    assert send(client, "POST", f"/api/profiles/{sam['id']}/choose").get_json() == {
        "current": sam["id"]
    }
    assert store.current_profile().name == "Samira"
    # The daemon re-reads whose routine and week it is after each change.
    assert control.heard() == [{Data.PROFILES}] * 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 41}, "name"),
        ({"name": "me"}, "name"),  # a duplicate of "Me", whatever the case
        ({}, "name"),
        ({"name": None}, "name"),
        ({"name": "Ann", "weekly_goal": 15}, "weekly_goal"),
        ({"name": "Ann", "routine_id": "no-such-routine"}, "routine_id"),
        ({"name": "Ann", "age": 40}, "age"),
    ],
)
def test_bad_fields_get_422_naming_them_and_nothing_is_stored(client, store, body, field):
    before = contents(store)
    response = send(client, "POST", "/api/profiles", body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert contents(store) == before


def test_a_rename_to_a_taken_name_is_refused(client, store):
    sam = send(client, "POST", "/api/profiles", {"name": "Sam"}).get_json()
    before = contents(store)
    response = send(client, "PUT", f"/api/profiles/{sam['id']}", {"name": "ME"})
    assert response.status_code == 422
    assert "already called" in response.get_json()["fields"]["name"]
    assert contents(store) == before
    assert send(client, "PUT", "/api/profiles/99", {"name": "X"}).status_code == 404


def test_deleting_a_profile_with_history_needs_confirm(client, store):
    sam = send(client, "POST", "/api/profiles", {"name": "Sam"}).get_json()
    add_workout(store, WEDNESDAY_NOON - 7200, 20)
    add_workout(store, WEDNESDAY_NOON - 3600, 20, profile_id=sam["id"])
    before = contents(store)
    response = send(client, "DELETE", f"/api/profiles/{sam['id']}")
    assert response.status_code == 409
    assert response.get_json()["workouts"] == 1
    assert '"confirm": true' in response.get_json()["error"]
    assert contents(store) == before
    response = send(client, "DELETE", f"/api/profiles/{sam['id']}", {"confirm": "yes"})
    assert response.status_code == 422 and "confirm" in response.get_json()["fields"]
    response = send(client, "DELETE", f"/api/profiles/{sam['id']}", {"confirm": True})
    assert response.get_json() == {"deleted": sam["id"], "workouts_deleted": 1}
    assert [p.name for p in store.profiles()] == ["Me"]
    assert len(store.history()) == 1  # the other profile's workout stays


def test_a_profile_without_history_goes_without_confirm_but_the_last_one_stays(client, store):
    sam = send(client, "POST", "/api/profiles", {"name": "Sam"}).get_json()
    assert send(client, "DELETE", f"/api/profiles/{sam['id']}").get_json()["workouts_deleted"] == 0
    response = send(client, "DELETE", "/api/profiles/1", {"confirm": True})
    assert response.status_code == 409
    assert "last profile" in response.get_json()["error"]
    assert len(store.profiles()) == 1


def test_with_one_profile_the_now_page_says_nothing_about_people(client):
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "Who's training?" not in panel


def test_the_now_page_shows_and_picks_who_is_training(client, store, control):
    sam = store.create_profile({"name": "Sam"}).id
    panel = client.get("/now/panel").get_data(as_text=True)
    assert "Who's training?" in panel
    assert "· Me</p>" in panel
    assert f'action="/now/profile/{sam}"' in panel
    response = post_form(client, f"/now/profile/{sam}")
    assert response.status_code == 302
    assert store.current_profile().id == sam
    assert control.heard()[-1] == {Data.PROFILES}
    assert "· Sam</p>" in client.get("/now/panel").get_data(as_text=True)
    assert post_form(client, "/now/profile/99").status_code == 404


def test_who_is_training_cannot_change_mid_workout(client, store, control):
    sam = store.create_profile({"name": "Sam"}).id
    control.current = Status(state=State.SET, routine_id="lower-back", routine_name="L")
    response = post_form(client, f"/now/profile/{sam}", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert store.current_profile().id == 1
    assert control.names() == []
