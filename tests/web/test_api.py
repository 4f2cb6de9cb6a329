"""The JSON API: good paths, every kind of bad body, and the store unchanged after each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from device.events import Action, Gesture, State, Status
from routines.changes import Data
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, simple_routine

JSON = {"Content-Type": "application/json"}


def send(client: Any, method: str, url: str, body: Any = None, **headers: str) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.open(url, method=method, data=data, headers={**JSON, **headers})


# -- status and the button ----------------------------------------------------------------


def test_status_is_the_engine_snapshot_with_nulls_where_nothing_applies(client, control):
    body = client.get("/api/status").get_json()
    assert body == {
        "state": "idle",
        "routine": None,
        "exercise": None,
        "set": None,
        "sets": None,
        "side": None,
        "rep": None,
        "reps": None,
        "remaining_seconds": None,
        "last_spoken": None,
        "question": None,
        "checkin_area": None,
        "press_does": None,
        "next_up": None,
        "counted_clickers": [],
        "connected_clickers": [],
    }
    control.current = Status(
        state=State.SET,
        routine_id="lower-back",
        routine_name="Lower-back relief",
        exercise_index=1,
        exercise_name="Reverse ab curls",
        set=2,
        sets=3,
        rep=4,
        reps=10,
        last_spoken="Four.",
    )
    body = client.get("/api/status").get_json()
    assert body["state"] == "set"
    assert body["routine"] == {"id": "lower-back", "name": "Lower-back relief"}
    assert body["exercise"] == {"index": 1, "name": "Reverse ab curls"}
    assert (body["set"], body["sets"], body["rep"], body["reps"]) == (2, 3, 4, 10)


def test_status_answers_304_to_a_client_that_already_has_it(client, control):
    first = client.get("/api/status")
    etag = first.headers["ETag"]
    assert client.get("/api/status", headers={"If-None-Match": etag}).status_code == 304
    control.current = Status(state=State.PAUSED)
    changed = client.get("/api/status", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["state"] == "paused"


@pytest.mark.parametrize("gesture", [g.value for g in Gesture])
def test_button_queues_the_gesture(client, control, gesture):
    response = send(client, "POST", "/api/button", {"gesture": gesture})
    assert response.status_code == 202
    assert control.calls[0] == ("gesture", Gesture(gesture))


@pytest.mark.parametrize("action", ["next", "back", "repeat", "pause", "resume", "skip", "end"])
def test_button_queues_an_action_by_name(client, control, action):
    response = send(client, "POST", "/api/button", {"action": action})
    assert response.status_code == 202
    assert response.get_json() == {"queued": action}
    assert control.calls == [("act", Action(action))]


def test_a_bad_action_is_named_with_every_choice(client, control):
    response = send(client, "POST", "/api/button", {"action": "undo"})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "action": "must be one of: next, back, skip, repeat, pause, resume, end, extend_rest"
    }
    assert control.calls == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "gesture"),
        ({"gesture": "squeeze"}, "gesture"),
        ({"gesture": 1}, "gesture"),
        ({"gesture": ["press"]}, "gesture"),
        ({"gesture": None}, "gesture"),
        ({"gesture": "press", "times": 2}, "times"),
        ({"action": "jump"}, "action"),
        ({"action": "press"}, "action"),
        ({"action": None}, "action"),
        ({"action": "back", "gesture": "press"}, "action"),
    ],
)
def test_button_names_the_bad_field(client, control, body, field):
    response = send(client, "POST", "/api/button", body)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert control.calls == []


# -- routines -------------------------------------------------------------------------------


def test_list_shows_every_routine_with_versions_and_the_active_one(client):
    body = client.get("/api/routines").get_json()
    assert body["active"] == "lower-back"
    assert [r["id"] for r in body["routines"]] == ["lower-back"]
    assert body["routines"][0]["version"] == 1
    assert len(body["routines"][0]["exercises"]) == 4


def test_get_one_routine_in_the_file_shape_with_its_version_as_etag(client, store):
    response = client.get("/api/routines/lower-back")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    body = response.get_json()
    assert body.pop("version") == 1
    assert body == store.get_routine("lower-back").routine.to_dict()


def test_create_answers_201_with_the_stored_routine_and_an_id_made_from_the_name(
    client, store, control
):
    response = send(client, "POST", "/api/routines", simple_routine("Morning mobility"))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] == "morning-mobility"
    assert body["version"] == 1
    assert response.headers["Location"].endswith("/api/routines/morning-mobility")
    assert store.get_routine("morning-mobility").routine.name == "Morning mobility"
    # Not the active routine, so the daemon need not re-read anything.
    assert control.calls == []


def test_create_with_a_taken_id_gets_a_free_one(client):
    body = send(client, "POST", "/api/routines", simple_routine(id="lower-back")).get_json()
    assert body["id"] == "lower-back-2"


def test_create_the_first_routine_reloads_the_daemon(client, store, control):
    store.delete_routine("lower-back")
    control.stored.clear()
    assert send(client, "POST", "/api/routines", simple_routine()).status_code == 201
    assert control.heard() == [{Data.ROUTINES}]
    assert control.calls == []


def test_put_replaces_a_routine_and_bumps_its_version(client, store, control):
    body = client.get("/api/routines/lower-back").get_json()
    body["name"] = "Back care"
    response = send(client, "PUT", "/api/routines/lower-back", body)
    assert response.status_code == 200
    assert response.get_json()["version"] == 2
    assert response.headers["ETag"] == '"2"'
    assert store.get_routine("lower-back").routine.name == "Back care"
    assert control.heard() == [{Data.ROUTINES}]


def test_put_with_if_match_of_the_current_version_saves(client, store):
    response = send(
        client, "PUT", "/api/routines/lower-back", simple_routine(), **{"If-Match": '"1"'}
    )
    assert response.status_code == 200
    assert store.get_routine("lower-back").version == 2


@pytest.mark.parametrize("how", ["if-match", "version-field"])
def test_a_stale_edit_gets_409_and_changes_nothing(client, store, how):
    first_phone = client.get("/api/routines/lower-back").get_json()
    second_phone = dict(first_phone)
    first_phone["name"] = "Saved first"
    assert send(client, "PUT", "/api/routines/lower-back", first_phone).status_code == 200
    before = contents(store)
    second_phone["name"] = "Saved second"
    if how == "if-match":
        del second_phone["version"]
        response = send(
            client, "PUT", "/api/routines/lower-back", second_phone, **{"If-Match": '"1"'}
        )
    else:
        response = send(client, "PUT", "/api/routines/lower-back", second_phone)
    assert response.status_code == 409
    body = response.get_json()
    assert body["current"]["name"] == "Saved first"
    assert body["current"]["version"] == 2
    assert contents(store) == before


def test_unknown_ids_are_404_for_every_verb(client, store, control):
    before = contents(store)
    assert client.get("/api/routines/nope").status_code == 404
    assert send(client, "PUT", "/api/routines/nope", simple_routine()).status_code == 404
    assert send(client, "DELETE", "/api/routines/nope").status_code == 404
    response = send(client, "POST", "/api/routines/nope/activate")
    assert response.status_code == 404
    assert "nope" in response.get_json()["error"]
    assert contents(store) == before
    assert control.calls == []


def test_delete_removes_and_reloads_when_it_was_active(client, store, control):
    assert send(client, "DELETE", "/api/routines/lower-back").status_code == 204
    assert store.get_routine("lower-back") is None
    # Whoever had it chosen has none now.
    assert control.heard() == [{Data.ROUTINES, Data.PROFILES}]


def test_delete_with_a_stale_if_match_is_409(client, store):
    send(client, "PUT", "/api/routines/lower-back", simple_routine())
    before = contents(store)
    response = send(client, "DELETE", "/api/routines/lower-back", **{"If-Match": '"1"'})
    assert response.status_code == 409
    assert contents(store) == before


def test_activate_chooses_the_routine_and_reloads(client, store, control):
    send(client, "POST", "/api/routines", simple_routine("Evening"))
    control.stored.clear()
    response = send(client, "POST", "/api/routines/evening/activate")
    assert response.status_code == 200
    assert store.active_routine().routine.id == "evening"
    assert control.heard() == [{Data.PROFILES}]


BAD_ROUTINES: list[tuple[Any, int, str | None]] = [
    # (body, status, a field named in the answer)
    ("{not json", 400, None),
    ("", 400, None),
    ("[" * 50_000 + "]" * 50_000, 400, None),
    (b"\xff\xfe\x00", 400, None),
    ("[1, 2]", 400, None),
    ('"just text"', 400, None),
    ("null", 400, None),
    ({}, 422, "name"),
    ({"name": "No moves"}, 422, "exercises"),
    ({"name": "Empty", "exercises": []}, 422, "exercises"),
    ({"name": 7, "exercises": [{"name": "A", "sets": 1, "reps": 1}]}, 422, "name"),
    ({**simple_routine(), "exercises": "squats"}, 422, "exercises"),
    ({**simple_routine(), "exercises": [{"name": "A", "sets": "3", "reps": 5}]}, 422, None),
    ({**simple_routine(), "exercises": [{"name": "A", "sets": 3, "reps": 5.0}]}, 422, None),
    ({**simple_routine(), "exercises": [{"name": "A", "sets": True, "reps": 5}]}, 422, None),
    ({**simple_routine(), "exercises": [{"name": "A", "sets": 3, "reps": 900}]}, 422, None),
    ({**simple_routine(), "exercises": [{"name": "A", "sets": 3, "rep": 5}]}, 422, None),
    ({**simple_routine(), "exercises": [None]}, 422, "exercises[0]"),
    ({**simple_routine(), "sessions_per_week": -1}, 422, "sessions_per_week"),
    ({**simple_routine(), "id": "Bad Id!"}, 422, "id"),
    ({**simple_routine(), "colour": "red"}, 422, "colour"),
    ({**simple_routine(), "name": "x" * 5000}, 422, "name"),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_ROUTINES)
@pytest.mark.parametrize(
    ("method", "url"), [("POST", "/api/routines"), ("PUT", "/api/routines/lower-back")]
)
def test_bad_routine_bodies_are_refused_and_store_nothing(
    client, store, control, method, url, body, status, field
):
    before = contents(store)
    response = send(client, method, url, body)
    assert response.status_code == status
    answer = response.get_json()
    assert set(answer) >= {"error", "fields"}
    assert isinstance(answer["error"], str) and answer["error"]
    if status == 422:
        assert answer["fields"], "a 422 names the fields at fault"
        assert all(isinstance(v, str) and v for v in answer["fields"].values())
    if field is not None:
        assert field in answer["fields"]
    assert contents(store) == before
    assert control.calls == []


def test_every_error_of_a_routine_is_reported_at_once(client):
    body = {
        "name": "",
        "exercises": [{"name": "A", "sets": 0, "reps": 5}, {"name": "B", "sets": 2, "reps": 0}],
    }
    fields = send(client, "POST", "/api/routines", body).get_json()["fields"]
    assert {"name", "exercises[0].sets", "exercises[1].reps"} <= set(fields)
    assert fields["exercises[1].reps"] == "must be a whole number from 1 to 200"


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        ({**simple_routine(), "id": "other"}, {}, 422, "id"),
        ({**simple_routine(), "version": "1"}, {}, 422, "version"),
        ({**simple_routine(), "version": True}, {}, 422, "version"),
        ({**simple_routine(), "version": 0}, {}, 422, "version"),
        (simple_routine(), {"If-Match": '"one"'}, 400, None),
        (simple_routine(), {"If-Match": '"1", "2"'}, 400, None),
    ],
)
def test_put_refuses_a_wrong_id_or_version(client, store, body, headers, status, field):
    before = contents(store)
    response = send(client, "PUT", "/api/routines/lower-back", body, **headers)
    assert response.status_code == status
    if field:
        assert field in response.get_json()["fields"]
    assert contents(store) == before


# -- settings -------------------------------------------------------------------------------


def test_settings_show_everything_but_the_pin_hash(client):
    body = client.get("/api/settings").get_json()
    assert body["voice_rate"] == 165
    assert body["pin_set"] is False
    assert "pin_hash" not in body
    assert body["gesture_actions"]["press"] == "next"


def test_put_settings_changes_only_the_keys_given_and_reloads(client, store, control):
    response = send(
        client, "PUT", "/api/settings", {"voice_rate": 200, "gesture_actions": {"hold": "skip"}}
    )
    assert response.status_code == 200
    settings = store.settings()
    assert settings.voice_rate == 200
    assert settings.gesture_actions["hold"] == "skip"
    assert settings.default_rest_seconds == 30
    assert control.heard() == [{Data.SETTINGS}]


def test_put_settings_can_set_and_remove_the_pin(client, store):
    assert send(client, "PUT", "/api/settings", {"pin": "246810"}).status_code == 200
    assert store.settings().pin_hash.startswith("scrypt$")
    assert "246810" not in store.settings().pin_hash
    auth = {"Authorization": "Bearer 246810"}
    response = send(client, "PUT", "/api/settings", {"pin": ""}, **auth)
    assert response.status_code == 200
    assert response.get_json()["pin_set"] is False


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"voice_rate": "fast"}, {"voice_rate"}),
        ({"voice_rate": 20, "voice_volume": 3}, {"voice_rate", "voice_volume"}),
        ({"voice_volume": True}, {"voice_volume"}),
        ({"hold_ms": 5000, "long_hold_ms": 2000}, {"long_hold_ms"}),
        ({"gesture_actions": {"press": "dance"}}, {"gesture_actions.press"}),
        ({"gesture_actions": {"press": "skip", "double": "skip"}}, {"gesture_actions"}),
        ({"gesture_actions": "press=next"}, {"gesture_actions"}),
        ({"weekly_goal": 0}, {"weekly_goal"}),
        ({"speed": 3}, {"speed"}),
        ({"pin_hash": ""}, {"pin_hash"}),
        ({"pin": "12"}, {"pin"}),
        ({"pin": 1234}, {"pin"}),
        ({"pin": "12ab"}, {"pin"}),
        ({"pin": "123", "voice_rate": 1}, {"pin", "voice_rate"}),
        ({"voice_id": "klingon"}, {"voice_id"}),
        ({"voice_id": 5}, {"voice_id"}),
    ],
)
def test_bad_settings_name_every_field_and_change_nothing(client, store, control, body, fields):
    before = contents(store)
    response = send(client, "PUT", "/api/settings", body)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize("raw", ["nope", "[]", "3", ""])
def test_settings_body_must_be_a_json_object(client, store, raw):
    before = contents(store)
    assert send(client, "PUT", "/api/settings", raw).status_code == 400
    assert contents(store) == before


# -- history --------------------------------------------------------------------------------


def test_history_lists_workouts_newest_first_with_the_week_against_the_goal(client, store):
    add_workout(store, WEDNESDAY_NOON - 8 * 86400, 20)  # the week before
    add_workout(store, WEDNESDAY_NOON - 86400, 18)  # Tuesday
    add_workout(store, WEDNESDAY_NOON - 3600, 6, completed=False)  # today, ended early
    body = client.get("/api/history").get_json()
    assert [s["minutes"] for s in body["sessions"]] == [6.0, 18.0, 20.0]
    assert body["sessions"][0]["completed"] is False
    week = body["week"]
    assert week["sessions"] == 1
    assert week["minutes"] == 24.0
    assert week["goal"] == 3  # lower-back asks for three a week
    assert week["goal_done"] == 1
    assert week["routine"] == {"id": "lower-back", "name": "Lower-back relief"}


def test_api_errors_are_json_even_for_unknown_addresses_and_methods(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]
    response = send(client, "PATCH", "/api/routines/lower-back", {})
    assert response.status_code == 405
    assert "Allow" in response.headers
    assert response.get_json()["fields"] == {}


def test_settings_the_config_file_sets_are_shown_and_not_changed_here(client, store, control):
    control.pinned = {"hold_ms": 900}
    shown = client.get("/api/settings").get_json()
    assert shown["hold_ms"] == 900  # what is in force, not what the store holds
    assert shown["pinned"] == {"hold_ms": "/etc/spotter/spotter.toml"}
    before = store.settings()
    refused = client.put("/api/settings", json={"hold_ms": 1200, "voice_rate": 150})
    assert refused.status_code == 422
    assert "spotter.toml" in refused.get_json()["fields"]["hold_ms"]
    assert store.settings() == before
    # Sending back the value in force is no change, so it is accepted with the rest.
    same = client.put("/api/settings", json={"hold_ms": 900, "voice_rate": 150})
    assert same.status_code == 200
    assert store.settings().voice_rate == 150
    assert store.settings().hold_ms == before.hold_ms
    page = client.get("/settings/").get_data(as_text=True)
    assert "Set in /etc/spotter/spotter.toml" in page
    assert 'name="hold_ms"' not in page  # the form does not send it
