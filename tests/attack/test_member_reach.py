"""What a stranger on the Wi-Fi can reach with a PIN set: the open buttons drive the
exercise under way and nothing else, no faster than a person presses, and nobody's
history or backup is readable without the PIN."""

from __future__ import annotations

import json

import pytest

from device.events import Action, Gesture, State, Status
from tests.web_support import add_workout, post_form
from web_config.access_pin import hash_pin
from web_config.press_limit import BURST

pytestmark = pytest.mark.attack

PIN = "2468"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}
OWNER = {**JSON, "Authorization": f"Bearer {PIN}"}
SET_UNDER_WAY = Status(state=State.SET, set=1, sets=3)


@pytest.fixture
def locked(store):
    store.update_settings({"pin_hash": hash_pin(PIN)})
    return store


def button(client, body: dict[str, str], headers: dict[str, str] = JSON, address: str = "10.0.0.9"):
    return client.post(
        "/api/button",
        data=json.dumps(body),
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.parametrize(
    "question", [Status(question="who"), Status(state=State.INTRO, question="pain_before"),
                 Status(state=State.DONE, question="pain_after")],
)  # fmt: skip
@pytest.mark.parametrize(
    "body", [{"gesture": "press"}, {"action": "next"}, {"gesture": "double"}, {"action": "back"}]
)
def test_a_question_is_not_answered_by_a_stranger(client, locked, control, question, body):
    control.current = question
    assert button(client, body).status_code == 401
    assert control.calls == []
    # The owner may.
    assert button(client, body, OWNER).status_code == 202


@pytest.mark.parametrize("state", [State.IDLE, State.DONE])
def test_a_stranger_cannot_start_a_workout(client, locked, control, state):
    control.current = Status(state=state)
    assert button(client, {"gesture": "press"}).status_code == 401
    assert button(client, {"action": "skip"}).status_code == 401
    for name in ("start", "fresh", "press"):
        answer = post_form(client, f"/now/{name}", headers={"Accept": "application/json"})
        assert answer.status_code == 401, name
    assert control.calls == []


def test_a_stranger_cannot_end_or_skip_a_workout(client, locked, control):
    control.current = SET_UNDER_WAY
    for body in ({"action": "end"}, {"action": "skip"}):
        assert button(client, body).status_code == 401, body
    for name in ("end", "skip"):
        answer = post_form(client, f"/now/{name}", headers={"Accept": "application/json"})
        assert answer.status_code == 401, name
    # Pausing a paused workout asks whether to end it.
    control.current = Status(state=State.PAUSED)
    assert button(client, {"action": "pause"}).status_code == 401
    assert button(client, {"gesture": "long_hold"}).status_code == 401
    assert control.calls == []


def test_the_open_buttons_still_drive_the_exercise(client, locked, control):
    control.current = SET_UNDER_WAY
    for body in ({"gesture": "press"}, {"action": "next"}, {"action": "back"},
                 {"action": "repeat"}, {"action": "extend_rest"}, {"action": "pause"}):  # fmt: skip
        assert button(client, body).status_code == 202, body
    control.current = Status(state=State.PAUSED)
    answer = post_form(client, "/now/pause", headers={"Accept": "application/json"})
    assert answer.status_code == 202
    assert control.calls[-1] == ("act", Action.RESUME)
    assert control.calls[0] == ("gesture", Gesture.PRESS)


def test_presses_from_one_address_are_limited_to_a_persons_pace(client, locked, control, web_clock):
    control.current = SET_UNDER_WAY
    answers = [button(client, {"action": "repeat"}).status_code for _ in range(BURST + 20)]
    assert answers[:BURST] == [202] * BURST
    assert set(answers[BURST:]) == {429}
    refused = button(client, {"action": "repeat"})
    assert int(refused.headers["Retry-After"]) >= 1
    assert "press" in refused.get_json()["error"]
    # Another phone is not held up by this one; this one may press again a moment later.
    assert button(client, {"action": "repeat"}, address="10.0.0.10").status_code == 202
    web_clock.advance(1)
    assert button(client, {"action": "repeat"}).status_code == 202
    assert len(control.calls) == BURST + 2


HEALTH = ["/api/history", "/api/history.csv", "/api/history.csv?profile=1", "/api/backup"]


@pytest.mark.parametrize("url", HEALTH)
def test_history_and_backups_need_the_pin(client, locked, url):
    add_workout(locked, 1_700_000_000, 20, pain_before=9)
    refused = client.get(url)
    assert refused.status_code == 401
    assert b"Lower-back" not in refused.get_data()
    assert client.get(url, headers={"Authorization": f"Bearer {PIN}"}).status_code == 200


def test_the_history_page_asks_for_the_pin(client, locked):
    add_workout(locked, 1_700_000_000, 20, pain_before=9)
    page = client.get("/history?profile=1")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/history")
    assert b"Lower-back" not in page.get_data()


@pytest.mark.parametrize("url", [*HEALTH, "/history"])
def test_without_a_pin_history_stays_open(client, url):
    assert client.get(url).status_code == 200


def test_the_owner_may_let_members_start_and_end_workouts_but_never_answer(client, locked, control):
    locked.update_settings({"members_start_workouts": True})
    control.current = Status(state=State.IDLE)
    assert button(client, {"action": "skip"}).status_code == 202
    answer = post_form(client, "/now/start", headers={"Accept": "application/json"})
    assert answer.status_code == 202
    control.current = SET_UNDER_WAY
    assert button(client, {"action": "end"}).status_code == 202
    control.current = Status(question="who")
    assert button(client, {"gesture": "press"}).status_code == 401
    assert control.calls[:2] == [("act", Action.SKIP), ("act", Action.NEXT)]
    assert control.calls[-1] == ("act", Action.END)


def test_the_settings_page_sets_who_may_start_workouts(client, store):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="members_start_workouts" value="on">' in page  # unticked by default
    fields = {"members_start_workouts": "on", "open_session_buttons": "on"}
    assert post_form(client, "/settings/", fields).status_code == 302
    assert store.settings().members_start_workouts is True
