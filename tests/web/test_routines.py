"""The Routines pages: the editor without JavaScript, and every way in and out of it."""

from __future__ import annotations

import html
import io
import re

import pytest
import yaml

from device.events import State, Status
from routines.changes import Data
from routines.validation import routine_to_yaml
from tests.web_support import contents, post_form, simple_routine


def editor_fields(page: str) -> dict[str, str]:
    """The values an editor page would post back (inputs, textareas, chosen options)."""
    values: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        values[name] = value
    for name, kind, value in re.findall(
        r'<input[^>]*type="radio" name="([^"]+)" value="([^"]+)"( checked)?', page
    ):
        if value:
            values[name] = kind
    for name, checked in re.findall(
        r'<input type="checkbox" name="([^"]+)" value="[^"]*"( checked)?', page
    ):
        if not checked:
            del values[name]  # a browser sends only ticked boxes
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        values[name] = text
    for name, body in re.findall(r'<select[^>]*name="([^"]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        if chosen:
            values[name] = chosen.group(1)
    return {k: html.unescape(v) for k, v in values.items()}


def names(page: str) -> list[str]:
    """The exercise names in an editor page, in order."""
    return re.findall(r'name="ex-\d+-name" type="text" value="([^"]*)"', page)


def new_routine_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "Desk break",
        "description": "Short moves between meetings.",
        "sessions_per_week": "5",
        "exercise_count": "2",
        "ex-0-name": "Neck rolls",
        "ex-0-sets": "2",
        "ex-0-kind": "hold",
        "ex-0-hold_seconds": "20",
        "ex-0-sides": "both",
        "ex-0-first_side": "right",
        "ex-0-rest_seconds": "5",
        "ex-0-rest_after_seconds": "15",
        "ex-0-equipment": "chair\n\n  towel  ",
        "ex-0-setup": "Sit tall.\nFeet flat.",
        "ex-0-cues": "Slowly.",
        "ex-1-name": "Calf raises",
        "ex-1-sets": "3",
        "ex-1-kind": "reps",
        "ex-1-reps": "12",
        "ex-1-count": "per_set",
        "ex-1-sides": "none",
    }
    form.update(changes)
    return form


def test_the_list_shows_each_routine_with_its_actions(client):
    page = client.get("/routines/").get_data(as_text=True)
    assert "Lower-back relief" in page
    assert "Active" in page
    for action in ("Edit", "Preview", "Duplicate", "Export", "Delete", "New routine", "Import"):
        assert action in page


def test_create_a_routine_with_every_field(client, store, control):
    response = post_form(client, "/routines/new", new_routine_form())
    assert response.status_code == 302
    routine = store.get_routine("desk-break").routine
    assert routine.description == "Short moves between meetings."
    assert routine.sessions_per_week == 5
    neck, calves = routine.exercises
    assert (neck.hold_seconds, neck.reps, neck.sides, neck.first_side) == (
        20,
        None,
        "both",
        "right",
    )
    assert (neck.rest_seconds, neck.rest_after_seconds) == (5, 15)
    assert neck.equipment == ("chair", "towel")
    assert neck.setup == ("Sit tall.", "Feet flat.")
    assert neck.cues == ("Slowly.",)
    assert (calves.reps, calves.count, calves.hold_seconds, calves.sides) == (
        12,
        "per_set",
        None,
        "none",
    )
    assert calves.rest_seconds is None  # blank: the device's default rest
    assert control.calls == []  # not the active routine
    assert "Saved Desk break" in client.get("/routines/").get_data(as_text=True)


def test_the_editor_writes_paced_tempos_and_side_lines(client, store):
    form = new_routine_form(
        **{
            "ex-0-side_cue_left": "Right hand on the chair.",
            "ex-1-count": "paced",
            "ex-1-tempo": "Rise 1.5\n\nLower 2",
        }
    )
    assert post_form(client, "/routines/new", form).status_code == 302
    neck, calves = store.get_routine("desk-break").routine.exercises
    assert neck.side_cues == (("left", "Right hand on the chair."),)
    assert calves.count == "paced"
    assert [(p.say, p.seconds) for p in calves.tempo] == [("Rise", 1.5), ("Lower", 2.0)]
    page = client.get("/routines/desk-break/edit").get_data(as_text=True)
    assert editor_fields(page)["ex-1-tempo"] == "Rise 1.5\nLower 2"


def test_pressing_each_rep_again_keeps_no_tempo(client, store):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    form.update({"ex-2-count": "per_rep", "op": "save"})
    assert client.post("/routines/lower-back/edit", data=form).status_code == 302
    thrusts = store.get_routine("lower-back").routine.exercises[2]
    assert (thrusts.count, thrusts.tempo) == ("per_rep", ())


def test_create_with_a_chosen_id(client, store):
    post_form(client, "/routines/new", new_routine_form(id="desk"))
    assert store.get_routine("desk") is not None


def test_editing_round_trips_every_field_unchanged(client, store):
    original = store.get_routine("lower-back")
    page = client.get("/routines/lower-back/edit").get_data(as_text=True)
    form = editor_fields(page)
    response = client.post("/routines/lower-back/edit", data={**form, "op": "save"})
    assert response.status_code == 302
    saved = store.get_routine("lower-back")
    assert saved.routine == original.routine
    assert saved.version == original.version + 1


def test_the_pain_check_in_is_a_box_in_the_editor(client, store):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    assert form["checkin"] == "pain"
    del form["checkin"]
    client.post("/routines/lower-back/edit", data={**form, "op": "save"})
    assert store.get_routine("lower-back").routine.checkin == "none"
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    assert "checkin" not in form
    client.post("/routines/lower-back/edit", data={**form, "checkin": "pain", "op": "save"})
    assert store.get_routine("lower-back").routine.checkin == "pain"


def test_edit_changes_fields_and_reloads_the_active_routine(client, store, control):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    form.update(
        {"name": "Back care", "ex-1-reps": "12", "ex-1-cues": "Slow.\nSteady.", "op": "save"}
    )
    assert client.post("/routines/lower-back/edit", data=form).status_code == 302
    routine = store.get_routine("lower-back").routine
    assert routine.name == "Back care"
    assert routine.exercises[1].reps == 12
    assert routine.exercises[1].cues == ("Slow.", "Steady.")
    assert control.heard() == [{Data.ROUTINES}]
    assert control.calls == []


def test_add_remove_and_reorder_exercises_without_javascript(client, store):
    before = contents(store)
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))

    page = client.post("/routines/lower-back/edit", data={**form, "op": "down-0"}).get_data(
        as_text=True
    )
    assert names(page)[:2] == ["Reverse ab curls", "Hip flexor wall stretch"]
    form = editor_fields(page)
    page = client.post("/routines/lower-back/edit", data={**form, "op": "up-3"}).get_data(
        as_text=True
    )
    assert names(page)[2:] == ["Isometric banded hamstring curls", "Glute hip thrusts"]
    form = editor_fields(page)
    page = client.post("/routines/lower-back/edit", data={**form, "op": "remove-0"}).get_data(
        as_text=True
    )
    assert len(names(page)) == 3
    form = editor_fields(page)
    page = client.post("/routines/lower-back/edit", data={**form, "op": "add"}).get_data(
        as_text=True
    )
    assert names(page)[-1] == ""
    assert contents(store) == before  # nothing is saved until Save

    form = editor_fields(page)
    form.update(
        {"ex-3-name": "Plank", "ex-3-kind": "hold", "ex-3-hold_seconds": "40", "op": "save"}
    )
    assert client.post("/routines/lower-back/edit", data=form).status_code == 302
    saved = [e.name for e in store.get_routine("lower-back").routine.exercises]
    assert saved == [
        "Hip flexor wall stretch",
        "Isometric banded hamstring curls",
        "Glute hip thrusts",
        "Plank",
    ]


@pytest.mark.parametrize("op", ["up-0", "down-3", "remove-99", "up-x", "swap-1", "remove-"])
def test_impossible_moves_leave_the_list_as_it_is(client, op):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    page = client.post("/routines/lower-back/edit", data={**form, "op": op})
    assert page.status_code == 200
    assert editor_fields(page.get_data(as_text=True)) == form


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"name": ""}, "must not be blank"),
        ({"ex-1-reps": "lots"}, "must be a whole number from 1 to 200"),
        ({"ex-1-reps": "0"}, "must be a whole number from 1 to 200"),
        ({"ex-1-reps": "1" * 5000}, "must be a whole number from 1 to 200"),
        ({"ex-0-hold_seconds": ""}, "is required"),
        ({"ex-0-sets": "-3"}, "must be a whole number from 1 to 20"),
        ({"ex-0-sides": "three"}, "must be one of: none, both"),
        ({"ex-1-count": "per_day"}, "must be one of: per_rep, per_set, paced"),
        ({"ex-0-rest_seconds": "2.5"}, "must be a whole number from 0 to 600"),
        ({"ex-0-cues": "x" * 400}, "line 1 must be at most 300 characters"),
        (
            {"ex-2-tempo": "Up 2\nSqueeze 1\nDown 11"},
            "line 3 seconds must be a number from 0.5 to 10",
        ),
        ({"ex-2-tempo": "Up two"}, "line 1 seconds must be a number from 0.5 to 10"),
        ({"ex-2-tempo": ""}, "is required with count: paced"),
        ({"sessions_per_week": "99"}, "must be a whole number from 1 to 14"),
        ({"exercise_count": "0"}, "must be a list of 1 to 40 exercises"),
    ],
)
def test_bad_fields_are_shown_beside_the_field_and_nothing_is_saved(client, store, changes, shown):
    before = contents(store)
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    response = client.post("/routines/lower-back/edit", data={**form, **changes, "op": "save"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was saved yet" in page
    assert shown in page
    assert contents(store) == before


def test_errors_are_listed_in_words_and_marked_on_their_fields(client):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    form.update({"ex-1-reps": "0", "ex-2-setup": "ok\n" + "y" * 301, "op": "save"})
    page = client.post("/routines/lower-back/edit", data=form).get_data(as_text=True)
    assert "exercise 2, reps: must be a whole number from 1 to 200" in page
    assert "exercise 3, setup line 2: must be at most 300 characters" in page
    assert (
        'name="ex-1-reps" type="number" value="0" inputmode="numeric" aria-invalid="true"' in page
    )
    assert 'id="ex-1-reps-error"' in page


def test_a_stale_edit_is_409_and_keeps_this_phones_changes(client, store):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    # Another phone saves first.
    other = dict(form, name="From the other phone", op="save")
    assert client.post("/routines/lower-back/edit", data=other).status_code == 302
    before = contents(store)
    mine = dict(form, name="From this phone", op="save")
    response = client.post("/routines/lower-back/edit", data=mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed somewhere else" in page
    assert 'value="From this phone"' in page
    assert contents(store) == before
    # Saving again on purpose replaces the other version.
    again = dict(editor_fields(page), op="save")
    assert client.post("/routines/lower-back/edit", data=again).status_code == 302
    assert store.get_routine("lower-back").routine.name == "From this phone"


def test_editing_an_unknown_routine_is_404(client, store):
    before = contents(store)
    assert client.get("/routines/nope/edit").status_code == 404
    assert post_form(client, "/routines/nope/edit", new_routine_form()).status_code == 404
    for action in ("duplicate", "delete", "activate"):
        assert post_form(client, f"/routines/nope/{action}").status_code == 404
    assert client.get("/routines/nope/export").status_code == 404
    assert client.get("/routines/nope/preview").status_code == 404
    assert contents(store) == before


def test_duplicate_stores_a_copy_and_opens_it(client, store):
    response = post_form(client, "/routines/lower-back/duplicate")
    assert response.status_code == 302
    assert response.headers["Location"] == "/routines/lower-back-relief-copy/edit"
    copy = store.get_routine("lower-back-relief-copy").routine
    assert copy.name == "Lower-back relief (copy)"
    assert copy.exercises == store.get_routine("lower-back").routine.exercises


def test_duplicate_of_a_longest_name_keeps_the_name(client, store):
    store.create_routine(store.get_routine("lower-back").routine.__class__(
        id="long", name="L" * 80, exercises=store.get_routine("lower-back").routine.exercises
    ))  # fmt: skip
    post_form(client, "/routines/long/duplicate")
    assert store.get_routine("long-2").routine.name == "L" * 80


def test_delete_asks_first_then_deletes_and_reloads(client, store, control):
    page = client.get("/routines/lower-back/delete").get_data(as_text=True)
    assert "Delete Lower-back relief?" in page
    assert store.get_routine("lower-back") is not None
    assert post_form(client, "/routines/lower-back/delete").status_code == 302
    assert store.get_routine("lower-back") is None
    assert control.heard() == [{Data.ROUTINES, Data.PROFILES}]


def test_make_active_changes_the_routine_a_press_starts(client, store, control):
    post_form(client, "/routines/new", new_routine_form())
    response = post_form(client, "/routines/desk-break/activate")
    assert response.status_code == 302
    assert store.active_routine().routine.id == "desk-break"
    assert control.heard() == [{Data.ROUTINES}, {Data.PROFILES}]


def test_export_is_a_yaml_file_that_imports_back_equal(client, store):
    response = client.get("/routines/lower-back/export")
    assert response.headers["Content-Disposition"] == "attachment; filename=lower-back.yaml"
    text = response.get_data(as_text=True)
    assert text == routine_to_yaml(store.get_routine("lower-back").routine)
    upload = {"file": (io.BytesIO(text.encode()), "lower-back.yaml")}
    assert post_form(client, "/routines/import", upload).status_code == 302
    assert (
        store.get_routine("lower-back-2").routine.exercises
        == store.get_routine("lower-back").routine.exercises
    )


def test_import_can_make_the_new_routine_active(client, store, control):
    text = yaml.safe_dump(simple_routine("Imported one"))
    upload = {"file": (io.BytesIO(text.encode()), "x.yaml"), "activate": "1"}
    assert post_form(client, "/routines/import", upload).status_code == 302
    assert store.active_routine().routine.id == "imported-one"
    assert control.heard() == [{Data.ROUTINES}, {Data.PROFILES}]


BROKEN_UPLOADS: list[tuple[bytes, str]] = [
    (b"name: [unclosed", "file: line"),
    (b"\xff\xfe\x00\x01", "not UTF-8"),
    (b"", "Choose a routine file"),
    (b"just a sentence", "routine: must be a mapping"),
    (b"name: A\nname: B\nexercises: []", "given twice"),
    (b"name: Odd\nexercises:\n  - name: X\n    sets: 3\n    reps: ten\n", "exercise 1, reps"),
    (
        b"a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]",
        "unknown field",
    ),
    (b"!!python/object/apply:os.system ['true']", "file:"),
]


@pytest.mark.parametrize(("data", "shown"), BROKEN_UPLOADS)
def test_broken_uploads_are_refused_with_the_reason(client, store, control, data, shown):
    before = contents(store)
    response = post_form(client, "/routines/import", {"file": (io.BytesIO(data), "bad.yaml")})
    assert response.status_code in (400, 422)
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert shown in page
    assert contents(store) == before
    assert control.calls == []


def test_import_without_a_file_field(client, store):
    before = contents(store)
    assert post_form(client, "/routines/import").status_code == 400
    assert contents(store) == before


def test_preview_shows_the_spoken_script(client):
    page = client.get("/routines/lower-back/preview").get_data(as_text=True)
    assert "Hip flexor wall stretch" in page
    assert page.count("<li>") >= 20
    assert "final set" in page.lower()


def test_user_text_is_escaped_everywhere(client, store, control):
    evil = "<script>alert(1)</script>"
    form = new_routine_form(name=evil, description=evil)
    form["ex-0-cues"] = evil
    form["ex-0-name"] = evil
    post_form(client, "/routines/new", form)
    stored = store.list_routines()[-1].routine
    assert stored.name == evil
    post_form(client, f"/routines/{stored.id}/activate")
    control.current = Status(state=State.SET, routine_id=stored.id, routine_name=evil,
                             exercise_index=0, exercise_name=evil, last_spoken=evil)  # fmt: skip
    pages = [
        "/", "/now/panel", "/routines/", f"/routines/{stored.id}/edit",
        f"/routines/{stored.id}/delete", f"/routines/{stored.id}/preview", "/history",
    ]  # fmt: skip
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/routines/").get_data(
        as_text=True
    )


def test_numbers_typed_oddly_are_judged_not_crashed(client, store):
    before = contents(store)
    form = new_routine_form(**{"exercise_count": "9" * 50, "ex-0-sets": "٣"})
    response = post_form(client, "/routines/new", form)
    assert response.status_code == 422
    assert contents(store) == before


def test_a_form_asking_for_too_many_exercises_is_capped(client, store):
    before = contents(store)
    response = post_form(client, "/routines/new", {"name": "Many", "exercise_count": "100000"})
    assert response.status_code in (413, 422)
    assert contents(store) == before


# -- the editor on a phone: the check-in's body part, folded exercises, fields per mode --------


def test_the_editor_sets_the_check_ins_body_part(client, store):
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    assert form["checkin_area"] == "back"
    form.update({"checkin_area": "left knee", "op": "save"})
    assert client.post("/routines/lower-back/edit", data=form).status_code == 302
    routine = store.get_routine("lower-back").routine
    assert (routine.checkin, routine.checkin_area) == ("pain", "left knee")
    assert "area: left knee" in client.get("/routines/lower-back/export").get_data(as_text=True)
    form = editor_fields(client.get("/routines/lower-back/edit").get_data(as_text=True))
    assert form["checkin_area"] == "left knee"


def test_a_bad_body_part_is_named_beside_its_field(client, store):
    before = contents(store)
    form = new_routine_form(checkin="pain", checkin_area="knee; hip!")
    response = post_form(client, "/routines/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="checkin_area-error"' in page
    assert "pain check-in, body part: must name a body part" in page
    assert contents(store) == before


def test_a_side_line_typed_for_a_one_sided_move_is_refused_by_name(client, store):
    before = contents(store)
    form = new_routine_form(**{"ex-1-side_cue_left": "Left hand on the wall."})
    response = post_form(client, "/routines/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="ex-1-side_cue_left-error"' in page
    assert "choose “each side”, or clear them" in page
    # The line is still there to fix, and its block shows despite "one side".
    assert "Left hand on the wall.</textarea>" in page
    assert re.search(r'class="for-both keep"[^>]*>\s*<label for="ex-1-side_cue_left"', page)
    assert contents(store) == before


def test_side_lines_are_text_areas_and_several_lines_are_one_line_said(client, store):
    page = client.get("/routines/new").get_data(as_text=True)
    assert re.search(r'<textarea id="ex-0-side_cue_left"', page)
    form = new_routine_form(**{"ex-0-side_cue_right": "Right hand on the chair.\nLook ahead."})
    assert post_form(client, "/routines/new", form).status_code == 302
    neck = store.get_routine("desk-break").routine.exercises[0]
    assert neck.side_cue("right") == "Right hand on the chair. Look ahead."


def exercise_blocks(page: str) -> list[str]:
    return re.findall(r'<details class="exercise".*?</details>', page, re.S)


def test_stored_exercises_are_folded_and_a_new_one_is_open(client):
    page = client.get("/routines/lower-back/edit").get_data(as_text=True)
    blocks = exercise_blocks(page)
    assert len(blocks) == 4
    assert not any(b.startswith('<details class="exercise" id="exercise-0" open') for b in blocks)
    assert 'Glute hip thrusts</strong> <span class="meta">3 \u00d7 10 reps' in page
    form = editor_fields(page)
    page = post_form(client, "/routines/lower-back/edit", {**form, "op": "add"}).get_data(
        as_text=True
    )
    opened = re.findall(r'<details class="exercise" id="exercise-(\d+)" open>', page)
    assert opened == ["4"]


def test_each_field_shows_only_with_its_kind_count_mode_and_sides(client):
    page = client.get("/routines/new").get_data(as_text=True)

    def block_of(field: str) -> str:
        """The class of the block that holds the field (none: always shown)."""
        at = page.index(f'id="{field}"')
        start = max(page.rfind(tag, 0, at) for tag in ("<div", "</div>", "<fieldset"))
        opener = page[start : page.index(">", start)]
        found = re.match(r'<div class="(for-[a-z]+)', opener)
        return found.group(1) if found else ""

    assert block_of("ex-0-reps") == "for-reps"
    assert block_of("ex-0-count") == "for-reps"
    assert block_of("ex-0-hold_seconds") == "for-hold"
    assert block_of("ex-0-tempo") == "for-paced"
    for field in ("ex-0-first_side", "ex-0-side_order", "ex-0-side_cue_left"):
        assert block_of(field) == "for-both"
    assert block_of("checkin_area") == "for-checkin"
    for always in ("ex-0-name", "ex-0-sets", "ex-0-sides", "ex-0-rest_seconds", "ex-0-cues"):
        assert block_of(always) == ""
    css = client.get("/static/spotter.css").get_data(as_text=True)
    assert ".exercise:has(input[value=hold]:checked) .for-reps" in css
    assert ".exercise:not(:has(option[value=paced]:checked)) .for-paced" in css
