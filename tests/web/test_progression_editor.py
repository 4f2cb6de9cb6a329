"""An exercise's progression block in the routine editor and the routines API."""

from __future__ import annotations

import re

from tests.web.test_routines import editor_fields, new_routine_form
from tests.web_support import post_form

RULES = {
    "every": 3,
    "steps": [{"hold_seconds": 5, "up_to": 45}, {"sets": 1, "up_to": 4}],
    "pain": {"good_if_after_at_most": 3, "worse_by": 2, "step_back_after_bad": 2},
}


def growing_form(**changes: str) -> dict[str, str]:
    """The desk routine with rules on its hold: longer holds first, then a set more."""
    return new_routine_form(
        **{
            "ex-0-progression": "on",
            "ex-0-every": "3",
            "ex-0-step-0-field": "hold_seconds",
            "ex-0-step-0-by": "5",
            "ex-0-step-0-up_to": "45",
            "ex-0-step-1-field": "sets",
            "ex-0-step-1-by": "1",
            "ex-0-step-1-up_to": "4",
            "ex-0-good_if_after_at_most": "3",
            "ex-0-worse_by": "2",
            "ex-0-step_back_after_bad": "2",
            **changes,
        }
    )


def test_the_form_saves_the_rules_and_shows_them_again_unchanged(client, store):
    saved = post_form(client, "/routines/new", growing_form())
    assert saved.status_code == 302
    routine = store.get_routine("desk-break").routine
    assert routine.exercises[0].to_dict()["progression"] == RULES
    # The other exercise was given none.
    assert routine.exercises[1].progression is None

    page = client.get("/routines/desk-break/edit").get_data(as_text=True)
    fields = editor_fields(page)
    assert fields["ex-0-progression"] == "on"
    assert (fields["ex-0-step-1-field"], fields["ex-0-step-1-by"]) == ("sets", "1")
    # One blank row for another step; the exercise without rules has its box unticked.
    assert fields["ex-0-step-2-by"] == "" and "ex-1-progression" not in fields
    again = post_form(client, "/routines/desk-break/edit", fields)
    assert again.status_code == 302
    assert store.get_routine("desk-break").routine == routine


def test_unticking_the_box_drops_the_rules(client, store):
    post_form(client, "/routines/new", growing_form())
    fields = editor_fields(client.get("/routines/desk-break/edit").get_data(as_text=True))
    del fields["ex-0-progression"]
    assert post_form(client, "/routines/desk-break/edit", fields).status_code == 302
    assert store.get_routine("desk-break").routine.exercises[0].progression is None


def error_at(page: str, field: str) -> str:
    found = re.search(rf'<small class="error" id="{re.escape(field)}-error">([^<]*)</small>', page)
    assert found, f"no error shown at {field}"
    return found.group(1)


def test_each_bad_rule_is_shown_at_its_field_and_nothing_typed_is_lost(client, store):
    answer = post_form(
        client,
        "/routines/new",
        growing_form(
            **{
                "ex-0-every": "0",
                "ex-0-step-0-up_to": "",
                "ex-0-step-1-field": "reps",
                "ex-0-worse_by": "11",
            }
        ),
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert error_at(page, "ex-0-every")
    assert "required" in error_at(page, "ex-0-step-0-up_to")
    # A hold cannot grow reps: said at the step's choice of what grows.
    assert "hold" in error_at(page, "ex-0-step-1-field")
    assert error_at(page, "ex-0-worse_by")
    assert 'aria-invalid="true" aria-describedby="ex-0-every-error"' in page
    # The summary names the place in words.
    assert "exercise 1, progression step 1, up to" in page
    # Everything typed is still there, and the block is open on the page.
    fields = editor_fields(page)
    assert fields["ex-0-step-0-by"] == "5" and fields["ex-0-every"] == "0"
    assert fields["ex-0-progression"] == "on"
    step = r'name="ex-0-step-1-field"[^>]*>.*?<option value="(\w+)" selected'
    chosen = re.search(step, page, re.S)
    assert chosen and chosen.group(1) == "reps"
    assert re.search(r'class="for-progression keep"', page)
    assert store.get_routine("desk-break") is None


def test_the_api_round_trips_the_rules_and_names_a_bad_field(client, store):
    routine = {
        "name": "Hold on",
        "exercises": [{"name": "Wall sit", "sets": 2, "hold_seconds": 20, "progression": RULES}],
    }
    created = client.post("/api/routines", json=routine)
    assert created.status_code == 201
    assert created.get_json()["exercises"][0]["progression"] == RULES
    read = client.get("/api/routines/hold-on").get_json()
    assert read["exercises"][0]["progression"] == RULES

    bad = {**read, "exercises": [{**read["exercises"][0]}]}
    bad["exercises"][0]["progression"] = {**RULES, "steps": [{"hold_seconds": 5}]}
    refused = client.put("/api/routines/hold-on", json=bad)
    assert refused.status_code == 422
    assert "exercises[0].progression.steps[0].up_to" in refused.get_json()["fields"]
    assert store.get_routine("hold-on").routine.exercises[0].to_dict()["progression"] == RULES
