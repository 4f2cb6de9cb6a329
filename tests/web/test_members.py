"""Members press, owners configure: with a PIN set, the session buttons stay open (a
setting, on by default) while every change to configuration still needs the PIN."""

from __future__ import annotations

import json

import pytest

from device.events import Action, Gesture, State, Status
from tests.web_support import contents, csrf, post_form
from web_config.access_pin import hash_pin

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.fixture
def locked(store, control):
    store.update_settings({"pin_hash": hash_pin("2468")})
    # The open buttons drive a workout under way (tests/attack/test_member_reach.py).
    control.current = Status(state=State.SET, set=1, sets=3)
    return store


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/now/press", ("gesture", Gesture.PRESS)),
        ("/now/repeat", ("act", Action.REPEAT)),
        ("/now/pause", ("act", Action.PAUSE)),
        ("/now/extend_rest", ("act", Action.EXTEND_REST)),
    ],
)
def test_the_now_page_buttons_work_without_the_pin(client, locked, control, url, expected):
    response = post_form(client, url, headers={"Accept": "application/json"})
    assert response.status_code == 202
    assert control.calls == [expected]


def test_the_button_api_works_without_the_pin_but_not_with_a_wrong_one(client, locked, control):
    body = json.dumps({"gesture": "press"})
    assert client.post("/api/button", data=body, headers=JSON).status_code == 202
    action = json.dumps({"action": "pause"})
    assert client.post("/api/button", data=action, headers=JSON).status_code == 202
    wrong = client.post("/api/button", data=body, headers={**JSON, "Authorization": "Bearer 1"})
    assert wrong.status_code == 401
    assert control.calls == [("gesture", Gesture.PRESS), ("act", Action.PAUSE)]


def test_configuration_still_needs_the_pin(client, locked, control):
    before = contents(locked)
    settings = client.put("/api/settings", data=json.dumps({"voice_rate": 200}), headers=JSON)
    assert settings.status_code == 401
    form = post_form(client, "/settings/", {"voice_rate": "200"})
    assert "/login" in form.headers["Location"]
    assert post_form(client, "/routines/lower-back/delete").status_code == 302
    assert contents(locked) == before
    assert control.calls == []


def test_the_owner_can_close_the_buttons_on_the_settings_page(client, locked, control):
    post_form(client, "/login", {"pin": "2468"})
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="open_session_buttons" value="on" checked' in page
    fields = {"csrf_token": csrf(client), "open_session_buttons": "off"}
    assert client.post("/settings/", data=fields).status_code == 302
    assert locked.settings().open_session_buttons is False
    client.post("/logout", data={"csrf_token": csrf(client)})
    control.calls.clear()  # the settings change asked the worker to reload

    refused = post_form(client, "/now/press", headers={"Accept": "application/json"})
    assert refused.status_code == 401
    assert "enter it</a> to use these buttons" in client.get("/").get_data(as_text=True)
    assert control.calls == []


def test_the_setting_is_a_true_or_false(client):
    response = client.put(
        "/api/settings", data=json.dumps({"open_session_buttons": "yes"}), headers=JSON
    )
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"open_session_buttons": "must be true or false"}
