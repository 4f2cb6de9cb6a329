"""M1: PIN guessing is slow for everyone, the owner is never kept out for long, and a
login can be ended for good."""

from __future__ import annotations

import re
import threading

import pytest

from device.service.pin_throttle import MAX_WAIT
from routines.store import Store
from tests.web_support import post_form
from web_config.access_pin import hash_pin
from web_config.logins import IDLE_LIMIT, MAX_AGE

pytestmark = pytest.mark.attack

PIN = "246810"
WAIT = re.compile(r"Try again in (\d+) seconds?")


def set_pin(store: Store, pin: str = PIN) -> None:
    store.update_settings({"pin_hash": hash_pin(pin)})


def guess(client, pin: str, address: str):
    return post_form(client, "/login", {"pin": pin}, environ_base={"REMOTE_ADDR": address})


def test_guesses_from_150_addresses_are_at_most_ten_a_minute(app, store, web_clock):
    set_pin(store)
    attacker = app.test_client()
    judged_per_minute = []
    for _minute in range(5):
        judged = 0
        for second in range(60):
            address = f"127.0.0.{1 + (second * 7) % 150}"
            if guess(attacker, "000000", address).status_code == 401:
                judged += 1
            web_clock.advance(1)
        judged_per_minute.append(judged)
    assert max(judged_per_minute) <= 10, judged_per_minute
    assert sum(judged_per_minute[1:]) <= 8, judged_per_minute


def test_the_page_says_how_long_to_wait_and_it_is_never_over_a_minute(app, store, web_clock):
    set_pin(store)
    attacker, owner = app.test_client(), app.test_client()
    for i in range(40):
        guess(attacker, "000000", f"127.0.0.{i + 1}")
        web_clock.advance(1)
    refused = guess(owner, PIN, "192.168.1.20")
    assert refused.status_code == 429
    shown = WAIT.search(refused.get_data(as_text=True))
    assert shown, refused.get_data(as_text=True)
    seconds = int(shown.group(1))
    assert 0 < seconds <= MAX_WAIT
    assert int(refused.headers["Retry-After"]) == seconds
    web_clock.advance(seconds)
    assert guess(owner, PIN, "192.168.1.20").status_code == 302


def test_a_phone_that_logged_in_before_is_never_slowed_by_strangers(app, store, web_clock):
    set_pin(store)
    owner, attacker = app.test_client(), app.test_client()
    assert guess(owner, PIN, "192.168.1.20").status_code == 302
    post_form(owner, "/logout")
    for i in range(30):
        guess(attacker, "000000", f"127.0.0.{i + 1}")
    assert guess(attacker, PIN, "127.0.0.99").status_code == 429
    assert guess(owner, PIN, "192.168.1.20").status_code == 302


def test_a_known_phone_still_has_a_limit_of_its_own(app, store, web_clock):
    set_pin(store)
    owner = app.test_client()
    assert guess(owner, PIN, "192.168.1.20").status_code == 302
    post_form(owner, "/logout")
    codes = [guess(owner, "999999", "192.168.1.20").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    web_clock.advance(60)
    assert guess(owner, PIN, "192.168.1.20").status_code == 302


def test_forty_guesses_at_once_from_one_address_are_not_all_judged(app, store):
    set_pin(store)
    clients = [app.test_client() for _ in range(40)]
    for c in clients:
        c.get("/login")  # each has its form token before the race starts
    start = threading.Barrier(40)
    codes: list[int] = []

    def one(c):
        start.wait()
        codes.append(guess(c, "000000", "127.0.0.5").status_code)

    threads = [threading.Thread(target=one, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(codes) == 40
    assert codes.count(401) <= 5, codes
    assert set(codes) <= {401, 429}


def test_the_bearer_pin_is_limited_like_the_login_form(app, store):
    set_pin(store)
    script = app.test_client()
    codes = [
        script.put(
            "/api/settings",
            json={},
            headers={"Authorization": "Bearer 000000"},
            environ_base={"REMOTE_ADDR": f"127.0.0.{i + 1}"},
        ).status_code
        for i in range(10)
    ]
    assert codes.count(401) <= 5
    assert codes[-1] == 429


@pytest.mark.parametrize("pin", ["2468", "13579"])
def test_new_pins_need_six_digits(client, store, pin):
    response = post_form(client, "/settings/pin", {"pin": pin, "pin_again": pin})
    assert response.status_code == 422
    assert "6 to 12 digits" in response.get_data(as_text=True)
    assert store.settings().pin_hash == ""
    api = client.put("/api/settings", json={"pin": pin})
    assert api.status_code == 422
    assert "6 to 12 digits" in api.get_json()["fields"]["pin"]


def test_an_older_short_pin_still_works_with_a_warning(client, store):
    set_pin(store, "2468")
    assert guess(client, "2468", "192.168.1.20").status_code == 302
    page = client.get("/settings/").get_data(as_text=True)
    assert "shorter than 6 digits" in page


def test_logout_ends_the_login_even_for_a_copied_cookie(app, store):
    set_pin(store)
    phone, thief = app.test_client(), app.test_client()
    guess(phone, PIN, "192.168.1.20")
    cookie = phone.get_cookie("spotter_session")
    assert cookie is not None
    thief.set_cookie("spotter_session", cookie.value)
    assert thief.get("/settings/").status_code == 200
    post_form(phone, "/logout")
    assert thief.get("/settings/").status_code == 302
    assert thief.put("/api/settings", json={"voice_rate": 150}).status_code == 401


def test_a_login_left_unused_ends(app, store, web_clock):
    set_pin(store)
    phone = app.test_client()
    guess(phone, PIN, "192.168.1.20")
    web_clock.advance(IDLE_LIMIT - 60)
    assert phone.get("/settings/").status_code == 200
    web_clock.advance(IDLE_LIMIT + 1)
    assert phone.get("/settings/").status_code == 302


def test_a_login_in_daily_use_still_ends_after_its_maximum_age(app, store, web_clock):
    set_pin(store)
    phone = app.test_client()
    guess(phone, PIN, "192.168.1.20")
    for _ in range(int(MAX_AGE // 86400)):
        assert phone.get("/settings/").status_code == 200
        web_clock.advance(86400)
    web_clock.advance(1)
    assert phone.get("/settings/").status_code == 302
