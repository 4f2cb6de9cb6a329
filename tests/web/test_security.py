"""Who may change things: every write URL against CSRF, Origin, body type, size and PIN."""

from __future__ import annotations

import json
from typing import Any

import pytest

from routines.model import Dose, Suggestion
from routines.validation import parse_routine
from tests.web.test_doses import GROWING
from tests.web_support import (
    WEDNESDAY_NOON,
    add_workout,
    contents,
    csrf,
    post_form,
    simple_routine,
)
from web_config.access_pin import hash_pin, verify_pin

# Every request that changes something, with a body it would accept. A test below checks
# this list against the app's own URL map, so a new write route cannot be forgotten.
FORM_WRITES: list[tuple[str, dict[str, Any]]] = [
    ("/login", {"pin": "246810"}),
    ("/logout", {}),
    ("/now/press", {}),
    ("/now/repeat", {}),
    ("/now/pause", {}),
    ("/now/skip", {}),
    ("/now/end", {}),
    ("/now/extend_rest", {}),
    ("/now/start", {}),
    ("/now/fresh", {}),
    ("/now/profile/2", {}),
    ("/now/pain/after/3", {}),
    ("/now/suggestion/1/1/accepted", {}),
    ("/now/dose/agree", {}),
    ("/people/", {"name": "Zed"}),
    ("/people/2", {"name": "Guest two"}),
    ("/people/2/delete", {}),
    ("/people/pair-clicker", {}),
    ("/people/1/lock", {"exercise": "Wall sit", "locked": "yes"}),
    ("/routines/new", {"name": "X", "exercise_count": "1", "ex-0-name": "Y"}),
    ("/routines/lower-back/edit", {"name": "X", "exercise_count": "1", "ex-0-name": "Y"}),
    ("/routines/lower-back/duplicate", {}),
    ("/routines/lower-back/delete", {}),
    ("/routines/lower-back/activate", {}),
    ("/routines/import", {}),
    ("/settings/", {"voice_rate": "200"}),
    ("/settings/test-voice", {"text": "hello"}),
    ("/settings/pin", {"pin": "135790", "pin_again": "135790"}),
    ("/settings/pin/remove", {}),
]
API_WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/api/button", {"gesture": "press"}),
    ("POST", "/api/button", {"action": "extend_rest"}),
    ("POST", "/api/routines", simple_routine()),
    ("PUT", "/api/routines/lower-back", simple_routine()),
    ("DELETE", "/api/routines/lower-back", None),
    ("POST", "/api/routines/lower-back/activate", None),
    ("PUT", "/api/settings", {"voice_rate": 200}),
    ("POST", "/api/profiles", {"name": "Sam"}),
    ("PUT", "/api/profiles/2", {"name": "Guest two"}),
    ("DELETE", "/api/profiles/2", None),
    ("POST", "/api/profiles/2/choose", None),
    ("POST", "/api/checkin", {"moment": "after", "score": 3}),
    ("POST", "/api/profiles/1/suggestions/1", {"answer": "accepted"}),
    ("POST", "/api/profiles/1/doses/lock", {"exercise": "Wall sit", "locked": True}),
]
ALL_WRITES = [("POST", url, data) for url, data in FORM_WRITES] + API_WRITES
FORM_IDS = [url for url, _ in FORM_WRITES]
API_IDS = [f"{m} {url}" for m, url, _ in API_WRITES]
ALL_IDS = [f"{m} {url}" for m, url, _ in ALL_WRITES]


def api(client: Any, method: str, url: str, body: Any, **headers: str) -> Any:
    return client.open(
        url,
        method=method,
        data=None if body is None else json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
    )


@pytest.fixture(autouse=True)
def second_profile(store):
    """A profile the profile writes above can change and delete, and a workout that ended
    ten minutes ago for a pain score to go on."""
    store.create_profile({"name": "Guest"})
    add_workout(store, WEDNESDAY_NOON - 600, 20)
    # A routine with rules for the first profile, and a longer hold offered (id 1).
    store.save_routine(parse_routine(GROWING))
    store.update_profile(1, {"routine_id": "growing"})
    store.suggest_dose(
        Suggestion(1, "growing", "Wall sit", "up", Dose(3, hold_seconds=30),
                   Dose(3, hold_seconds=35), WEDNESDAY_NOON - 300)
    )  # fmt: skip


def test_the_lists_cover_every_write_route(app):
    adapter = app.url_map.bind("localhost")
    listed = {(adapter.match(url, method=method)[0], method) for method, url, _ in ALL_WRITES}
    # Backups are files, not JSON or small forms: tests/web/test_backup.py covers them.
    listed |= {("backup.api_restore", "POST"), ("backup.form_restore", "POST")}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"GET", "HEAD", "OPTIONS"}
    }
    assert routes == listed


def set_pin(store, pin: str = "246810") -> None:
    store.update_settings({"pin_hash": hash_pin(pin)})


# -- forms: the CSRF token ----------------------------------------------------------------


@pytest.mark.parametrize(("url", "data"), FORM_WRITES, ids=FORM_IDS)
@pytest.mark.parametrize("token", ["missing", "wrong", "empty", "non-ascii"])
def test_a_form_without_this_browsers_token_is_refused(client, store, control, url, data, token):
    csrf(client)  # the browser has a session and a token, but the form does not carry it
    sent = {"missing": {}, "wrong": {"csrf_token": "x" * 43}, "empty": {"csrf_token": ""}}.get(
        token, {"csrf_token": "é" * 10}
    )
    before = contents(store)
    response = client.post(url, data={**data, **sent})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert contents(store) == before
    assert control.calls == []


def test_a_token_from_another_browser_is_refused(app, store):
    mine, theirs = app.test_client(), app.test_client()
    before = contents(store)
    response = theirs.post("/routines/lower-back/delete", data={"csrf_token": csrf(mine)})
    assert response.status_code == 400
    assert contents(store) == before


# -- every write: cross-site, wrong body type, size -----------------------------------------


@pytest.mark.parametrize(("method", "url", "data"), ALL_WRITES, ids=ALL_IDS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:8081"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
    ids=["other-site", "null-origin", "other-port", "fetch-metadata"],
)
def test_cross_site_writes_are_refused(client, store, control, method, url, data, headers):
    before = contents(store)
    if url.startswith("/api/"):
        response = api(client, method, url, data, **headers)
    else:
        response = client.post(url, data={"csrf_token": csrf(client), **data}, headers=headers)
    assert response.status_code == 403
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize(("method", "url", "data"), ALL_WRITES, ids=ALL_IDS)
def test_writes_through_a_public_domain_name_are_refused(client, store, control, method, url, data):
    # DNS rebinding: evil.example resolves to the Pi, so Origin and Host agree.
    headers = {"Host": "evil.example:8080", "Origin": "http://evil.example:8080"}
    before = contents(store)
    if url.startswith("/api/"):
        response = api(client, method, url, data, **headers)
    else:
        token = csrf(client)
        response = client.post(url, data={"csrf_token": token, **data}, headers=headers)
    assert response.status_code == 403
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize(
    "host",
    ["192.168.1.20:8080", "[fe80::1]:8080", "10.0.0.5", "raspberrypi:8080", "spotter.local",
     "spotter.lan:8080", "gym-pi.home.arpa", "SPOTTER.LOCAL."],
)  # fmt: skip
def test_writes_through_home_network_names_are_accepted(client, control, host):
    response = api(client, "POST", "/api/button", {"gesture": "press"}, Host=host)
    assert response.status_code == 202


def test_extra_host_names_can_be_allowed(store, control, web_clock):
    from web_config import create_app

    app = create_app(
        {"TESTING": True, "CLOCK": web_clock, "ALLOWED_HOSTS": ["gym.example.org"]},
        store=store,
        control=control,
    )
    response = api(
        app.test_client(), "POST", "/api/button", {"gesture": "press"}, Host="gym.example.org"
    )
    assert response.status_code == 202


@pytest.mark.parametrize(("method", "url", "data"), API_WRITES, ids=API_IDS)
def test_same_origin_api_writes_are_accepted(client, method, url, data):
    response = api(client, method, url, data, Origin="http://localhost")
    assert response.status_code < 300


@pytest.mark.parametrize(("method", "url", "data"), API_WRITES, ids=API_IDS)
@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_api_writes_must_say_they_are_json(client, store, control, method, url, data, content_type):
    before = contents(store)
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.open(url, method=method, data=json.dumps(data or {}), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize(("method", "url", "data"), ALL_WRITES, ids=ALL_IDS)
def test_huge_bodies_get_a_clear_413(app, client, store, control, method, url, data):
    before = contents(store)
    huge = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    if url.startswith("/api/"):
        response = client.open(
            url, method=method, data=huge, headers={"Content-Type": "application/json"}
        )
        assert response.get_json()["error"].startswith("That was too big")
    else:
        response = client.post(url, data={"csrf_token": csrf(client), **data, "pad": huge})
        assert "too big" in response.get_data(as_text=True)
    assert response.status_code == 413
    assert contents(store) == before
    assert control.calls == []


def test_a_huge_upload_gets_a_clear_413(app, client, store):
    import io

    before = contents(store)
    big = io.BytesIO(b"name: x\n" + b"#" * app.config["MAX_CONTENT_LENGTH"])
    response = client.post(
        "/routines/import", data={"csrf_token": csrf(client), "file": (big, "big.yaml")}
    )
    assert response.status_code == 413
    assert "256 KB" in response.get_data(as_text=True)
    assert contents(store) == before


# -- the PIN --------------------------------------------------------------------------------


def test_without_a_pin_anyone_may_change_things_and_settings_says_so(client, store):
    page = client.get("/settings/").get_data(as_text=True)
    assert "No PIN is set: anyone on this Wi-Fi network can change" in page
    routines = len(store.list_routines())
    assert post_form(client, "/routines/lower-back/duplicate").status_code == 302
    assert len(store.list_routines()) == routines + 1


# Logging in is the one write that cannot need a login.
GUARDED = [w for w in ALL_WRITES if w[1] != "/login"]
GUARDED_IDS = [f"{m} {url}" for m, url, _ in GUARDED]


@pytest.mark.parametrize(("method", "url", "data"), GUARDED, ids=GUARDED_IDS)
def test_with_a_pin_every_write_needs_it(client, store, control, method, url, data):
    set_pin(store)
    # Members' presses are closed too (tests/web/test_members.py has them open).
    store.update_settings({"open_session_buttons": False})
    before = contents(store)
    if url.startswith("/api/"):
        response = api(client, method, url, data)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    else:
        response = client.post(url, data={"csrf_token": csrf(client), **data})
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    assert contents(store) == before
    assert control.calls == []


@pytest.mark.parametrize(("method", "url", "data"), API_WRITES, ids=API_IDS)
def test_the_pin_as_a_bearer_token_opens_the_api(client, store, method, url, data):
    set_pin(store)
    response = api(client, method, url, data, Authorization="Bearer 246810")
    assert response.status_code < 300


def test_a_wrong_bearer_pin_is_401_and_changes_nothing(client, store, control):
    set_pin(store)
    before = contents(store)
    response = api(client, "POST", "/api/button", {"gesture": "press"}, Authorization="Bearer 1111")
    assert response.status_code == 401
    assert contents(store) == before
    assert control.calls == []


def test_reading_stays_open_with_a_pin(client, store):
    # History and backups are the exception: health data (tests/attack/test_member_reach.py).
    set_pin(store)
    for url in ["/", "/now/panel", "/routines/", "/api/status", "/api/routines",
                "/api/settings", "/routines/lower-back/preview",
                "/routines/lower-back/export"]:  # fmt: skip
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "url",
    ["/settings/", "/routines/new", "/routines/lower-back/edit", "/routines/lower-back/delete",
     "/routines/import"],
)  # fmt: skip
def test_form_pages_send_you_to_log_in_first(client, store, url):
    set_pin(store)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + url


def test_logging_in_opens_the_forms_and_sets_a_strict_httponly_cookie(client, store):
    set_pin(store)
    response = post_form(client, "/login", {"pin": "246810", "next": "/settings/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/settings/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert client.get("/settings/").status_code == 200
    assert "A PIN is set" in client.get("/settings/").get_data(as_text=True)
    routines = len(store.list_routines())
    assert post_form(client, "/routines/lower-back/duplicate").status_code == 302
    assert len(store.list_routines()) == routines + 1


def test_login_only_returns_to_local_pages(client, store):
    set_pin(store)
    response = post_form(client, "/login", {"pin": "246810", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_a_wrong_pin_on_the_login_page_says_so(client, store):
    set_pin(store)
    response = post_form(client, "/login", {"pin": "1111"})
    assert response.status_code == 401
    assert "That PIN is not right." in response.get_data(as_text=True)
    assert client.get("/settings/").status_code == 302


def test_wrong_pins_slow_every_stranger_down_whatever_their_address(app, store, web_clock):
    set_pin(store)
    phone, other_phone = app.test_client(), app.test_client()
    for _ in range(3):
        assert post_form(phone, "/login", {"pin": "000000"}).status_code == 401
    # Now even the right PIN has to wait, from any address, the bearer way too.
    locked = post_form(phone, "/login", {"pin": "246810"})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 5
    bearer = api(phone, "PUT", "/api/settings", {}, Authorization="Bearer 246810")
    assert bearer.status_code == 429
    elsewhere = post_form(
        other_phone, "/login", {"pin": "246810"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert elsewhere.status_code == 429
    web_clock.advance(5)
    assert post_form(phone, "/login", {"pin": "246810"}).status_code == 302


def test_changing_the_pin_logs_every_other_browser_out(app, store):
    set_pin(store)
    first, second = app.test_client(), app.test_client()
    post_form(first, "/login", {"pin": "246810"})
    post_form(second, "/login", {"pin": "246810"})
    response = post_form(first, "/settings/pin", {"pin": "975310", "pin_again": "975310"})
    assert response.status_code == 302
    assert first.get("/settings/").status_code == 200  # the one that changed it stays in
    assert second.get("/settings/").status_code == 302


def test_the_pin_is_kept_as_a_salted_scrypt_hash(client, store):
    post_form(client, "/settings/pin", {"pin": "246810", "pin_again": "246810"})
    kept = store.settings().pin_hash
    assert kept.startswith("scrypt$")
    assert "246810" not in kept
    assert verify_pin("246810", kept)
    assert not verify_pin("24681011", kept)
    assert hash_pin("246810") != hash_pin("246810")  # salted


@pytest.mark.parametrize("damaged", ["", "scrypt$1$2", "md5$x$y$z$00$00", "scrypt$a$b$c$zz$yy"])
def test_a_damaged_hash_matches_no_pin(damaged):
    assert not verify_pin("246810", damaged)


@pytest.mark.parametrize(
    ("pin", "again", "problem"),
    [("12", "12", "6 to 12 digits"), ("12ab", "12ab", "6 to 12 digits"),
     ("246810", "24681011", "not the same"), ("1" * 13, "1" * 13, "6 to 12 digits")],
)  # fmt: skip
def test_a_bad_new_pin_is_refused_and_nothing_changes(client, store, pin, again, problem):
    before = contents(store)
    response = post_form(client, "/settings/pin", {"pin": pin, "pin_again": again})
    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)
    assert contents(store) == before


def test_removing_the_pin_opens_the_device_again(client, store):
    post_form(client, "/settings/pin", {"pin": "246810", "pin_again": "246810"})
    assert post_form(client, "/settings/pin/remove").status_code == 302
    assert store.settings().pin_hash == ""
    fresh = client.application.test_client()
    assert fresh.get("/settings/").status_code == 200


def test_logout_forgets_the_login(client, store):
    set_pin(store)
    post_form(client, "/login", {"pin": "246810"})
    post_form(client, "/logout")
    assert client.get("/settings/").status_code == 302


def test_login_page_with_no_pin_set_just_goes_on(client):
    response = client.get("/login?next=/history")
    assert response.status_code == 302
    assert response.headers["Location"] == "/history"


def test_pages_forbid_outside_scripts_and_framing(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
