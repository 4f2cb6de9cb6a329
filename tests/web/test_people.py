"""The People page: add, rename and remove people with forms, every rule named in place."""

from __future__ import annotations

import pytest

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
    assert control.names() == ["reload"] * 4


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
