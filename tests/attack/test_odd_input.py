"""Odd requests get a clear 4xx, change nothing and echo little: the low findings."""

from __future__ import annotations

import io
import json

import pytest

from routines.errors import RoutineError
from routines.validation import routine_from_yaml
from tests.web_support import add_workout, contents, post_form, simple_routine

pytestmark = pytest.mark.attack


def send_json(client, method: str, url: str, raw: str, **headers: str):
    return client.open(
        url, method=method, data=raw.encode(), content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    "target",
    ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%0D%2Fevil.example",
     "/%5Cevil.example", "https://evil.example/", "%20//evil.example", "/%00//evil.example",
     "javascript:alert(1)", "%2F%2F%2Fevil.example"],
)  # fmt: skip
def test_next_only_goes_to_pages_on_this_device(client, target):
    response = client.get(f"/login?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_keeps_a_plain_local_path(client):
    assert client.get("/login?next=/history%3Fx%3D1").headers["Location"] == "/history?x=1"


def test_cr_lf_in_next_is_not_a_server_error(client):
    response = client.get("/login?next=/x%0d%0aSet-Cookie:%20a=b")
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers.get("Location", "")


@pytest.mark.parametrize(
    ("method", "url"), [("POST", "/api/routines"), ("PUT", "/api/routines/lower-back")]
)
def test_a_lone_surrogate_in_json_is_a_400(client, store, method, url):
    before = contents(store)
    raw = json.dumps(simple_routine("Bad \ud800 name"))
    assert "\\ud800" in raw
    response = send_json(client, method, url, raw)
    assert response.status_code == 400
    assert "not valid" in response.get_json()["error"]
    assert contents(store) == before


def test_a_lone_surrogate_in_settings_is_a_400(client, store):
    before = contents(store)
    response = send_json(client, "PUT", "/api/settings", '{"voice_id": "\\udfff"}')
    assert response.status_code == 400
    assert contents(store) == before


def test_a_lone_surrogate_in_a_routine_file_is_refused(client, store):
    text = 'name: "Bad \\ud800"\nexercises:\n- name: Bridges\n  sets: 2\n  reps: 8\n'
    with pytest.raises(RoutineError):
        routine_from_yaml(text)
    before = contents(store)
    response = post_form(
        client, "/routines/import", {"file": (io.BytesIO(text.encode()), "r.yaml")}
    )
    assert response.status_code == 422
    assert contents(store) == before


def test_a_huge_if_match_is_a_400(client, store):
    before = contents(store)
    response = send_json(
        client, "PUT", "/api/routines/lower-back", json.dumps(simple_routine()),
        **{"If-Match": '"' + "9" * 100_000 + '"'},
    )  # fmt: skip
    assert response.status_code == 400
    assert "If-Match" in response.get_json()["error"]
    assert contents(store) == before


@pytest.mark.parametrize(
    "url", ["/", "/api/routines", "/api/history", "/api/settings", "/api/status",
            "/routines/", "/history", "/settings/", "/routines/lower-back/export"],
)  # fmt: skip
def test_reads_through_a_public_domain_name_are_refused(client, url):
    response = client.get(url, headers={"Host": "evil.example"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Lower-back" not in body
    assert "network address" in body


def test_reads_through_home_network_names_still_work(client):
    for host in ("spotter.local", "192.168.1.20:8080", "spotter", "[fe80::1]:8080"):
        assert client.get("/api/routines", headers={"Host": host}).status_code == 200


def test_an_error_answer_echoes_only_a_short_excerpt(client, store):
    huge = {f"unknown_field_{i:06d}_" + "x" * 40: 1 for i in range(3500)}
    raw = json.dumps({**simple_routine(), **huge})
    assert len(raw) > 180_000
    response = send_json(client, "POST", "/api/routines", raw)
    assert response.status_code == 422
    assert len(response.get_data()) < 8192
    assert len(response.get_json()["fields"]) <= 20


def test_a_long_bad_value_is_not_echoed_in_full(client):
    raw = json.dumps(simple_routine(sides="s" * 200_000))
    response = send_json(client, "POST", "/api/routines", raw)
    assert response.status_code == 422
    assert len(response.get_data()) < 8192


def test_json_refuses_a_key_given_twice(client, store):
    before = contents(store)
    raw = '{"name": "A", "name": "B", "exercises": [{"name": "X", "sets": 1, "reps": 2}]}'
    response = send_json(client, "POST", "/api/routines", raw)
    assert response.status_code == 400
    assert "'name' is given twice" in response.get_json()["error"]
    assert contents(store) == before


def _yaml(line: str) -> str:
    return f"name: Odd numbers\nexercises:\n- name: Bridges\n  sets: 2\n  {line}\n"


def test_yaml_reads_a_leading_zero_as_decimal():
    assert routine_from_yaml(_yaml("reps: 010")).exercises[0].reps == 10


@pytest.mark.parametrize("line", ["hold_seconds: 1:30", "reps: 0b101", "reps: 1_0"])
def test_yaml_refuses_numbers_written_the_yaml_1_1_way(line):
    key = line.split(":")[0]
    with pytest.raises(RoutineError) as refused:
        routine_from_yaml(_yaml(line))
    assert f"exercises[0].{key}" in refused.value.errors


def test_a_session_stamped_in_the_future_is_not_this_weeks(client, store, web_clock):
    add_workout(store, web_clock() - 3600, 20)
    # The wall clock was ahead when this was saved, then jumped back.
    add_workout(store, web_clock() + 5 * 86400, 20)
    week = client.get("/api/history").get_json()["week"]
    assert week["sessions"] == 1
    assert week["goal_done"] == 1


def test_a_routine_file_that_holds_itself_is_refused_at_once():
    with pytest.raises(RoutineError):
        routine_from_yaml("name: Loop\nexercises: &x [*x]\n")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(9)
    )
    with pytest.raises(RoutineError):
        routine_from_yaml(laughs)


def test_problems_past_the_twentieth_are_counted_outside_the_fields(client):
    # Every key of "fields" names a field; how many more there were is said beside them.
    doc = simple_routine()
    doc["exercises"] = [{"name": "", "sets": 0} for _ in range(15)]
    answer = client.post("/api/routines", json=doc).get_json()
    assert len(answer["fields"]) == 20
    assert all(key.startswith("exercises[") for key in answer["fields"])
    # Each exercise breaks three rules: an empty name, no sets, no reps or hold.
    assert answer["more_problems"] == 15 * 3 - 20
