"""The People page: add, rename and remove people with forms, every rule named in place."""

from __future__ import annotations

import pytest

from routines.changes import Data
from tests.web_support import WEDNESDAY_NOON, add_workout, contents, post_form


def test_add_rename_and_remove_someone(client, store, control):
    assert post_form(client, "/people/", {"name": "Sam"}).status_code == 302
    sam = store.profiles()[-1]
    assert sam.name == "Sam"
    page = client.get("/people/").get_data(as_text=True)
    assert "Added Sam." in page
    assert f'action="/people/{sam.id}/delete"' in page
    post_form(client, f"/people/{sam.id}", {"name": "Samira", "weekly_goal": "2"})
    assert store.get_profile(sam.id).weekly_goal == 2  # type: ignore[union-attr]
    post_form(client, f"/people/{sam.id}", {"name": "Samira", "weekly_goal": ""})
    assert store.get_profile(sam.id).weekly_goal is None  # type: ignore[union-attr]
    post_form(client, f"/people/{sam.id}/delete")
    assert [p.name for p in store.profiles()] == ["Me"]
    assert control.heard() == [{Data.PROFILES}] * 3 + [{Data.PROFILES, Data.HISTORY, Data.DOSES}]


@pytest.mark.parametrize(
    ("name", "words"),
    [("", "blank"), ("x" * 41, "at most 40"), ("me", "already called")],
)
def test_a_bad_name_is_named_beside_its_field_and_nothing_changes(client, store, name, words):
    before = contents(store)
    response = post_form(client, "/people/", {"name": name})
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert contents(store) == before


def test_removing_someone_with_workouts_needs_the_box_ticked(client, store):
    sam = store.create_profile({"name": "Sam"}).id
    add_workout(store, WEDNESDAY_NOON - 3600, 20, profile_id=sam)
    page = client.get("/people/").get_data(as_text=True)
    assert "Also delete Sam's 1 workout" in page
    before = contents(store)
    response = post_form(client, f"/people/{sam}/delete")
    assert response.status_code == 409
    assert "tick the box" in response.get_data(as_text=True)
    assert contents(store) == before
    response = post_form(client, f"/people/{sam}/delete", {"confirm": "yes"}, follow_redirects=True)
    assert "Removed Sam and 1 workout." in response.get_data(as_text=True)
    assert store.history() == []


def test_the_last_person_stays(client, store):
    assert "Remove Me" not in client.get("/people/").get_data(as_text=True)
    response = post_form(client, "/people/1/delete", {"confirm": "yes"})
    assert response.status_code == 409
    assert len(store.profiles()) == 1


def test_each_person_chooses_their_own_routine_on_the_people_page(client, store, control):
    from routines.validation import parse_routine
    from tests.web_support import simple_routine

    store.save_routine(parse_routine({**simple_routine("Knee"), "id": "knee"}))
    sam = store.create_profile({"name": "Sam"}).id
    page = client.get("/people/").get_data(as_text=True)
    assert f'<select id="routine-{sam}" name="routine_id">' in page
    assert '<option value="knee">Knee</option>' in page
    response = post_form(client, f"/people/{sam}", {"name": "Sam", "routine_id": "knee"})
    assert response.status_code == 302
    assert store.active_routine(sam).routine.id == "knee"  # type: ignore[union-attr]
    assert store.active_routine(1).routine.id == "lower-back"  # type: ignore[union-attr]
    assert Data.PROFILES in control.heard()[-1]
    page = client.get("/people/").get_data(as_text=True)
    assert '<option value="knee" selected>Knee</option>' in page
    # Blank gives them no routine of their own again: the first one.
    post_form(client, f"/people/{sam}", {"name": "Sam", "routine_id": ""})
    assert store.get_profile(sam).routine_id is None  # type: ignore[union-attr]


def test_a_routine_gone_meanwhile_is_named_beside_the_field(client, store):
    sam = store.create_profile({"name": "Sam"}).id
    before = contents(store)
    response = post_form(client, f"/people/{sam}", {"name": "Sam", "routine_id": "gone"})
    assert response.status_code == 422
    assert "there is no routine with id" in response.get_data(as_text=True)
    assert contents(store) == before


def test_a_persons_clicker_is_chosen_on_their_row(client, store, control):
    from device.control import ClickerInfo

    control.clicker_list = [ClickerInfo("red"), ClickerInfo("blue", pinned_owner="Ann")]
    ann = store.create_profile({"name": "Ann"}).id
    page = client.get("/people/").get_data(as_text=True)
    assert '<option value="red"' in page
    assert '<option value="blue"' not in page  # the config file already gives it to Ann
    assert "blue is theirs by the config file." in page
    before = len(control.heard())
    post_form(client, f"/people/{ann}", {"name": "Ann", "clicker": "red"})
    assert store.clicker_owners() == {"red": ann}
    assert control.heard()[before:] == [{Data.PROFILES}] * 2  # the daemon hears of it
    post_form(client, "/people/1", {"name": "Me", "clicker": "red"})
    assert store.clicker_owners() == {"red": 1}
    post_form(client, "/people/1", {"name": "Me", "clicker": ""})
    assert store.clicker_owners() == {}


@pytest.mark.parametrize("clicker", ["blue", "green"])
def test_a_clicker_the_page_cannot_give_is_refused_and_nothing_changes(
    client, store, control, clicker
):
    from device.control import ClickerInfo

    control.clicker_list = [ClickerInfo("red"), ClickerInfo("blue", pinned_owner="Ann")]
    before = contents(store)
    response = post_form(client, "/people/1", {"name": "Renamed", "clicker": clicker})
    assert response.status_code == 422
    assert "not a clicker the page can give out" in response.get_data(as_text=True)
    assert contents(store) == before
    assert store.clicker_owners() == {}


def test_pairing_a_clicker_from_the_page_asks_the_daemon_only_between_workouts(client, control):
    from device.events import State, Status

    page = post_form(client, "/people/pair-clicker", follow_redirects=True)
    assert "Pairing: listen to Spotter" in page.get_data(as_text=True)
    assert control.names().count("pair_clicker") == 1
    control.current = Status(state=State.SET)
    page = post_form(client, "/people/pair-clicker", follow_redirects=True)
    assert "between workouts" in page.get_data(as_text=True)
    assert control.names().count("pair_clicker") == 1
