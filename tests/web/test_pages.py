"""The Now, Settings and History pages, error pages, and what every page weighs."""

from __future__ import annotations

import re

import pytest

from device.events import Action, Gesture, State, Status
from routines.changes import Data
from routines.store import Store
from routines.validation import parse_routine
from tests.dummy_control import DummyControl
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, csrf, post_form, weigh
from web_config import create_app
from web_config.access_pin import hash_pin

PAGES = [
    "/",
    "/routines/",
    "/routines/new",
    "/routines/lower-back/edit",
    "/routines/lower-back/preview",
    "/routines/lower-back/delete",
    "/routines/import",
    "/settings/",
    "/history",
    "/people/",
]
WEIGHT_LIMIT = 40 * 1024


# -- Now ------------------------------------------------------------------------------------


def test_now_shows_the_live_session(client, control):
    control.current = Status(
        state=State.HOLD,
        routine_id="lower-back",
        routine_name="Lower-back relief",
        exercise_index=0,
        exercise_name="Hip flexor wall stretch",
        set=2,
        sets=3,
        side="left",
        remaining_seconds=17,
        last_spoken="Hold it there.",
    )
    page = client.get("/").get_data(as_text=True)
    assert "Holding" in page
    assert "Hip flexor wall stretch" in page
    assert "2 of 3" in page
    assert "<dd>Left</dd>" in page
    assert 'data-remaining="17"' in page
    assert "Hold it there." in page
    for label in ("Press", "Repeat", "Pause / resume", "Skip exercise", "End workout"):
        assert f">{label}</button>" in page


def test_idle_now_offers_to_start_the_active_routine(client):
    page = client.get("/").get_data(as_text=True)
    assert "Ready" in page
    assert "Start Lower-back relief" in page


def test_no_routine_at_all_points_to_the_editor(client, store):
    store.delete_routine("lower-back")
    page = client.get("/").get_data(as_text=True)
    assert "There is no routine yet" in page
    assert "Start " not in page


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("press", ("gesture", Gesture.PRESS)),
        ("back", ("act", Action.BACK)),
        ("repeat", ("act", Action.REPEAT)),
        ("pause", ("act", Action.PAUSE)),
        ("skip", ("act", Action.SKIP)),
        ("end", ("act", Action.END)),
        ("start", ("act", Action.NEXT)),
        ("fresh", ("act", Action.SKIP)),
    ],
)
def test_each_button_queues_its_command_and_comes_back_to_now(client, control, name, call):
    response = post_form(client, f"/now/{name}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert control.calls[0] == call


def test_pause_while_paused_resumes_instead_of_asking_to_end(client, control):
    control.current = Status(state=State.PAUSED)
    post_form(client, "/now/pause")
    assert control.calls == [("act", Action.RESUME)]


def test_start_after_a_summary_is_one_start(client, control):
    # After a summary the engine starts the next workout on the first NEXT.
    control.current = Status(state=State.DONE)
    post_form(client, "/now/start")
    post_form(client, "/now/fresh")
    assert control.calls == [("act", Action.NEXT), ("act", Action.SKIP)]


def test_a_saved_workout_is_offered_to_resume_or_start_over(client, store):
    assert "Resume the workout" not in client.get("/").get_data(as_text=True)
    store.save_progress({"routine_id": "lower-back", "exercise": 1})
    page = client.get("/").get_data(as_text=True)
    assert "Resume the workout" in page
    assert "Start over" in page
    assert "Start Lower-back relief" not in page


def test_buttons_answer_json_to_the_pages_script(client, control):
    response = post_form(client, "/now/skip", headers={"Accept": "application/json"})
    assert response.status_code == 202
    assert response.get_json() == {"queued": "skip"}


def test_start_during_a_workout_does_nothing(client, control):
    control.current = Status(state=State.SET)
    response = post_form(client, "/now/start", follow_redirects=True)
    assert "already under way" in response.get_data(as_text=True)
    json_answer = post_form(client, "/now/start", headers={"Accept": "application/json"})
    assert json_answer.status_code == 409
    assert control.calls == []


def test_an_unknown_button_is_404(client, control):
    assert post_form(client, "/now/explode").status_code == 404
    assert control.calls == []


def test_the_panel_is_the_status_part_and_answers_304_while_unchanged(client, control):
    first = client.get("/now/panel")
    assert first.status_code == 200
    assert "<html" not in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert client.get("/now/panel", headers={"If-None-Match": etag}).status_code == 304
    control.current = Status(state=State.REST, remaining_seconds=30)
    later = client.get("/now/panel", headers={"If-None-Match": etag})
    assert later.status_code == 200
    assert "Resting" in later.get_data(as_text=True)


def test_with_a_pin_now_says_how_to_unlock_the_buttons(client, store):
    store.update_settings({"pin_hash": hash_pin("2468")})
    assert "to use these buttons" not in client.get("/").get_data(as_text=True)  # members press
    store.update_settings({"open_session_buttons": False})
    assert "enter it</a> to use these buttons" in client.get("/").get_data(as_text=True)
    post_form(client, "/login", {"pin": "2468"})
    assert "to use these buttons" not in client.get("/").get_data(as_text=True)


def test_the_kept_now_page_carries_each_browsers_own_token(app, control):
    phones = [app.test_client() for _ in range(3)]
    tokens = []
    for phone in phones:
        page = phone.get("/").get_data(as_text=True)
        found = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        assert len(found) == 1
        tokens.append(found.pop())
    assert len(set(tokens)) == 3
    for phone, token in zip(phones, tokens, strict=True):
        # Each page's token is the one its own session accepts.
        response = phone.post("/now/press", data={"csrf_token": token})
        assert response.status_code == 302
    assert control.calls == [("gesture", Gesture.PRESS)] * 3


def test_the_kept_now_page_follows_the_session_and_the_pin(client, app, control, store):
    assert "Ready" in client.get("/").get_data(as_text=True)
    control.current = Status(state=State.REST, remaining_seconds=30)
    assert "Resting" in client.get("/").get_data(as_text=True)
    store.update_settings({"pin_hash": hash_pin("2468"), "open_session_buttons": False})
    stranger = app.test_client()
    assert "to use these buttons" in stranger.get("/").get_data(as_text=True)
    post_form(client, "/login", {"pin": "2468"})
    assert "to use these buttons" not in client.get("/").get_data(as_text=True)
    assert "to use these buttons" in stranger.get("/").get_data(as_text=True)


def test_a_message_to_flash_is_shown_once_on_the_kept_now_page(client, control):
    client.get("/")
    control.current = Status(state=State.SET, sets=3, set=1, reps=10, rep=1)
    post_form(client, "/now/start")  # refused during a workout, with a message
    assert "already under way" in client.get("/").get_data(as_text=True)
    assert "already under way" not in client.get("/").get_data(as_text=True)


# -- Settings -------------------------------------------------------------------------------


def settings_form(**changes: str) -> dict[str, str]:
    form = {
        "voice_id": "en-gb",
        "voice_rate": "180",
        "voice_volume": "70",
        "cue_sounds": "both",
        "gesture-press": "next",
        "gesture-double": "skip",
        "gesture-hold": "repeat",
        "gesture-long_hold": "pause",
        "double_press_ms": "350",
        "hold_ms": "900",
        "long_hold_ms": "2500",
        "debounce_ms": "25",
        "default_rest_seconds": "45",
        "weekly_goal": "4",
        "pace": "125",
        "verbosity": "brief",
        "idle_reminder_seconds": "90",
        "idle_pause_seconds": "300",
        "abandon_after_minutes": "60",
    }
    form.update(changes)
    return form


def test_settings_page_shows_the_current_values_and_installed_voices(client):
    page = client.get("/settings/").get_data(as_text=True)
    assert 'name="voice_rate" type="number" inputmode="numeric" value="165"' in page
    assert 'name="voice_volume" type="number" inputmode="numeric" value="100"' in page
    assert "English (Great Britain)" in page
    assert "Say it" in page


def test_saving_settings_stores_them_and_reloads(client, store, control):
    response = post_form(client, "/settings/", settings_form())
    assert response.status_code == 302
    s = store.settings()
    assert (s.voice_id, s.voice_rate, s.voice_volume, s.cue_sounds) == ("en-gb", 180, 0.7, "both")
    assert (s.double_press_ms, s.hold_ms, s.long_hold_ms, s.debounce_ms) == (350, 900, 2500, 25)
    assert (s.default_rest_seconds, s.weekly_goal) == (45, 4)
    assert (s.pace, s.verbosity) == (1.25, "brief")
    assert (s.idle_reminder_seconds, s.idle_pause_seconds, s.abandon_after_minutes) == (90, 300, 60)
    assert control.heard() == [{Data.SETTINGS}]


def test_an_empty_weekly_goal_means_none(client, store):
    post_form(client, "/settings/", settings_form(weekly_goal="4"))
    post_form(client, "/settings/", settings_form(weekly_goal=""))
    assert store.settings().weekly_goal is None


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"voice_volume": "281"}, "must be a whole percentage from 0 to 280"),
        ({"voice_volume": "loud"}, "must be a whole percentage from 0 to 280"),
        ({"cue_sounds": "beeps"}, "must be one of: words, tones, both"),
        ({"voice_id": "xx-made-up"}, "must be one of the voices installed"),
        ({"voice_rate": ""}, "must be a whole number from 80 to 300"),
        ({"hold_ms": "3000", "long_hold_ms": "2000"}, "must be longer than hold_ms"),
        ({"gesture-press": "fly"}, "must be one of: next, back, skip"),
        ({"gesture-press": "skip"}, "one gesture must do next"),
        ({"weekly_goal": "0"}, "must be a whole number from 1 to 14"),
        ({"pace": "200"}, "must be a whole percentage from 75 to 150"),
        ({"verbosity": "chatty"}, "must be one of: auto, full, brief"),
        ({"idle_pause_seconds": "80"}, "must be longer than idle_reminder_seconds"),
        ({"abandon_after_minutes": "1"}, "must be a whole number from 10 to 1440"),
    ],
)
def test_bad_settings_are_shown_and_nothing_changes(client, store, control, changes, shown):
    before = contents(store)
    response = post_form(client, "/settings/", settings_form(**changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was saved yet" in page
    assert shown in page
    assert contents(store) == before
    assert control.calls == []


def test_every_bad_setting_shows_at_once(client):
    form = settings_form(voice_volume="300", voice_rate="5", debounce_ms="-1")
    page = post_form(client, "/settings/", form).get_data(as_text=True)
    assert page.count('class="error"') == 3


def test_test_voice_speaks_the_line_or_a_default(client, control):
    post_form(client, "/settings/test-voice", {"text": "  Ready   when you are  "})
    post_form(client, "/settings/test-voice", {"text": ""})
    post_form(client, "/settings/test-voice", {"text": "a" * 1000})
    assert control.calls[0] == ("test_voice", "Ready when you are")
    # Left empty, the test says a line the way a workout does.
    assert control.calls[1][1].startswith("Set 2 of 3. 10 reps of")
    assert control.calls[2] == ("test_voice", "a" * 200)


# -- History --------------------------------------------------------------------------------


def test_history_shows_the_week_against_the_goal(client, store):
    add_workout(store, WEDNESDAY_NOON - 86400, 18)
    add_workout(store, WEDNESDAY_NOON - 3600, 7.5, completed=False)
    add_workout(store, WEDNESDAY_NOON - 9 * 86400, 20)
    page = client.get("/history").get_data(as_text=True)
    assert "1 workout · 25.5 min" in page
    assert "Lower-back relief: 1 of 3 this week" in page
    assert "ended early" in page
    assert "Tue 4 Mar, 12:00" in page
    assert "45.5 minutes in all" in page


def test_history_without_workouts_or_goal(client, store):
    store.delete_routine("lower-back")
    page = client.get("/history").get_data(as_text=True)
    assert "No workouts yet" in page
    assert "No weekly goal set" in page


def test_history_goal_falls_back_to_the_settings(client, store):
    store.delete_routine("lower-back")
    store.create_routine(
        parse_routine({"name": "No goal", "exercises": [{"name": "A", "sets": 1, "reps": 1}]})
    )
    store.update_settings({"weekly_goal": 2})
    assert "No goal: 0 of 2 this week" in client.get("/history").get_data(as_text=True)


# -- every page -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_each_page_with_its_css_and_js_stays_under_40_kb(client, url):
    _, weight = weigh(client, url)
    assert weight <= WEIGHT_LIMIT, f"{url} weighs {weight} bytes"


def test_the_settings_page_stays_light_with_every_espeak_voice(store, web_clock):
    voices = [(f"gmw/en-x-{i:03}", f"Voice number {i}") for i in range(250)]
    app = create_app(
        {"TESTING": True, "CLOCK": web_clock},
        store=store,
        control=DummyControl(voices, store=store),
    )
    client = app.test_client()
    weight = len(client.get("/settings/").data)
    weight += len(client.get("/static/spotter.css").data) + len(
        client.get("/static/spotter.js").data
    )
    assert weight <= WEIGHT_LIMIT


@pytest.mark.parametrize("url", PAGES)
def test_pages_load_nothing_from_elsewhere(client, url):
    html = client.get(url).get_data(as_text=True)
    assert not re.search(r'(?:src|href|action)="(?:https?:)?//', html)
    assert "<style" not in html and " style=" not in html  # the CSP allows our CSS file only
    assert "<script>" not in html


def test_static_files_reach_out_to_nowhere(client):
    for asset in ("/static/spotter.css", "/static/spotter.js"):
        text = client.get(asset).get_data(as_text=True)
        assert "http" not in text and "@import" not in text


@pytest.mark.parametrize("url", PAGES)
def test_every_form_carries_the_token(client, url):
    html = client.get(url).get_data(as_text=True)
    forms = re.findall(r"<form[^>]*>.*?</form>", html, re.S)
    posting = [f for f in forms if 'method="post"' in f]
    assert all(csrf(client) in f for f in posting)


def test_pages_are_built_for_phones(client):
    html = client.get("/").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = client.get("/static/spotter.css").get_data(as_text=True)
    assert "min-height:48px" in css  # thumb-sized targets


def test_unknown_pages_get_a_plain_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here by that name." in response.get_data(as_text=True)


class BrokenControl(DummyControl):
    def status(self) -> Status:
        raise RuntimeError("the worker is gone")


def test_an_internal_failure_is_a_plain_500_without_a_traceback(store, web_clock):
    app = create_app({"CLOCK": web_clock}, store=store, control=BrokenControl())
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 500
    assert "Something went wrong inside Spotter" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    api = client.get("/api/status")
    assert api.status_code == 500
    assert api.get_json()["error"].startswith("Something went wrong")


def test_the_secret_key_is_the_devices_own(app, store: Store):
    assert app.secret_key == store.secret("flask")
    assert len(app.secret_key) >= 32


def test_settings_put_voice_volume_and_verbosity_first_and_fold_the_rest(client):
    page = client.get("/settings/").get_data(as_text=True)
    first_fold = page.index("<details")
    for common in ('id="voice_id"', 'id="voice_volume"', 'id="verbosity"'):
        assert page.index(common) < first_fold
    for folded in (
        'id="voice_rate"',
        'id="gesture-press"',
        'id="default_rest_seconds"',
        'id="pin"',
    ):
        assert page.index(folded) > first_fold
    assert '<details class="card group" open' not in page


def test_a_folded_group_with_a_bad_field_opens(client, store):
    response = post_form(client, "/settings/", settings_form(hold_ms="3000", long_hold_ms="2000"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    opened = re.findall(r'<details class="card group" open>\s*<summary><h2>([^<]+)', page)
    assert opened == ["Button"]
