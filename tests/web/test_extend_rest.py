"""Rest +15 s from the phone: the Now page's button and POST /api/button's actions."""

from __future__ import annotations

import json

import pytest

from device.events import Action
from tests.web_support import post_form

JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def test_the_api_queues_an_action_by_name(client, control):
    response = client.post("/api/button", data=json.dumps({"action": "extend_rest"}), headers=JSON)
    assert response.status_code == 202
    assert control.calls == [("act", Action.EXTEND_REST)]


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "gesture"), ({"action": "fly"}, "action"), ({"action": "pause", "x": 1}, "x")],
)
def test_a_bad_action_is_named_and_nothing_queued(client, control, body, field):
    response = client.post("/api/button", data=json.dumps(body), headers=JSON)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert control.calls == []


def test_the_now_page_has_a_rest_button(client, control):
    page = client.get("/").get_data(as_text=True)
    assert "Rest +15 s" in page
    response = post_form(client, "/now/extend_rest", headers={"Accept": "application/json"})
    assert response.status_code == 202
    assert control.calls == [("act", Action.EXTEND_REST)]
