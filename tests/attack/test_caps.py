"""M6: caps that keep the store, the answers and the daemon's memory small."""

from __future__ import annotations

import io
import json
import time

import pytest

from routines.store import MAX_ROUTINES
from routines.validation import MAX_EXERCISES, MAX_ROUTINE_BYTES
from tests.web_support import contents, post_form, simple_routine

pytestmark = pytest.mark.attack


def fill_store(client, store) -> None:
    while len(store.list_routines()) < MAX_ROUTINES:
        n = len(store.list_routines())
        assert client.post("/api/routines", json=simple_routine(f"Routine {n}")).status_code == 201


def test_the_101st_routine_is_refused_everywhere_with_the_cap_named(client, store):
    assert MAX_ROUTINES == 100
    fill_store(client, store)
    before = contents(store)
    api = client.post("/api/routines", json=simple_routine("One too many"))
    assert api.status_code == 422
    assert "100 routines" in json.dumps(api.get_json())
    form = post_form(
        client, "/routines/new", {"name": "Form", "exercise_count": "1", "ex-0-name": "Y"}
    )
    assert form.status_code == 422
    assert "100 routines" in form.get_data(as_text=True)
    dup = post_form(client, "/routines/lower-back/duplicate", follow_redirects=True)
    assert "100 routines" in dup.get_data(as_text=True)
    upload = post_form(
        client, "/routines/import",
        {"file": (io.BytesIO(b"name: Up\nexercises:\n- {name: A, sets: 1, reps: 2}\n"), "u.yaml")},
    )  # fmt: skip
    assert upload.status_code == 422
    assert "100 routines" in upload.get_data(as_text=True)
    assert contents(store) == before


def test_deleting_one_makes_room_again(client, store):
    fill_store(client, store)
    assert (
        client.delete("/api/routines/routine-1", content_type="application/json").status_code == 204
    )
    assert client.post("/api/routines", json=simple_routine("Room again")).status_code == 201


def test_more_than_forty_exercises_is_a_422_naming_the_cap(client, store):
    assert MAX_EXERCISES == 40
    before = contents(store)
    doc = simple_routine()
    doc["exercises"] = [{"name": f"E{i}", "sets": 1, "reps": 5} for i in range(41)]
    response = client.post("/api/routines", json=doc)
    assert response.status_code == 422
    assert "1 to 40 exercises" in response.get_json()["fields"]["exercises"]
    assert contents(store) == before


def test_reps_and_sets_have_caps_named_in_the_error(client):
    doc = simple_routine()
    doc["exercises"][1] = {"name": "Bridges", "sets": 21, "reps": 201}
    fields = client.post("/api/routines", json=doc).get_json()["fields"]
    assert "20" in fields["exercises[1].sets"]
    assert "200" in fields["exercises[1].reps"]


def test_a_routine_too_big_once_saved_is_refused(client, store):
    before = contents(store)
    doc = simple_routine()
    long_list = ["a step described at length " * 11] * 20
    doc["exercises"] = [
        {"name": f"E{i}", "sets": 1, "reps": 5, "setup": long_list, "cues": long_list}
        for i in range(10)
    ]
    response = client.post("/api/routines", json=doc)
    assert response.status_code == 422
    message = json.dumps(response.get_json())
    assert f"{MAX_ROUTINE_BYTES // 1024} KB" in message
    assert contents(store) == before


def test_listing_a_full_store_stays_small(client, store):
    fill_store(client, store)
    assert len(client.get("/api/routines").get_data()) < MAX_ROUTINES * MAX_ROUTINE_BYTES


def test_a_routine_may_count_at_most_3000_reps(client, store):
    before = contents(store)
    doc = simple_routine()
    doc["exercises"] = [
        {"name": f"E{i}", "sets": 20, "reps": 200, "sides": "both"} for i in range(2)
    ]
    response = client.post("/api/routines", json=doc)
    assert response.status_code == 422
    assert "at most 3000 reps" in response.get_json()["fields"]["exercises"]
    assert contents(store) == before


@pytest.fixture
def device_app(tmp_path, clock, mock_factory, monkeypatch):
    """The page over a real worker (its port computes previews), and the run-throughs made."""
    import device.service.worker as worker
    from device.service.build import Parts, build
    from device.service.config import Config
    from device.service.worker import Clocks
    from device.voice.player import NullPlayer
    from tests.dummy_voice import ToneRenderer

    worked_out: list[str] = []
    real = worker.preview_script

    def counted(routine, **kwargs):
        worked_out.append(routine.id)
        # As long a routine would take on a Pi: long enough for others to ask meanwhile.
        time.sleep(0.3)
        return real(routine, **kwargs)

    monkeypatch.setattr(worker, "preview_script", counted)
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=17),
        Parts(pin_factory=mock_factory, renderer=ToneRenderer(), player=NullPlayer()),
        clocks=Clocks(monotonic=clock),
    )
    try:
        yield built.web_app(), worked_out
    finally:
        built.close()


def test_a_preview_is_worked_out_once_per_routine_version(device_app):
    app, worked_out = device_app
    client = app.test_client()
    pages = [client.get("/routines/lower-back/preview") for _ in range(5)]
    assert {p.status_code for p in pages} == {200}
    assert pages[0].get_data() == pages[-1].get_data()
    assert worked_out == ["lower-back"]
    routine = client.get("/api/routines/lower-back").get_json()
    routine["name"] = "Lower-back, renamed"
    assert client.put("/api/routines/lower-back", json=routine).status_code == 200
    assert "renamed" in client.get("/routines/lower-back/preview").get_data(as_text=True)
    assert worked_out == ["lower-back", "lower-back"]


def test_six_previews_at_once_work_the_script_out_once(device_app):
    import threading

    app, worked_out = device_app
    start = threading.Barrier(6)
    codes = []

    def one():
        c = app.test_client()
        start.wait()
        codes.append(c.get("/routines/lower-back/preview").status_code)

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert codes == [200] * 6
    assert worked_out == ["lower-back"]


def test_new_test_voice_lines_are_a_few_a_minute(client, control, web_clock):
    for i in range(700):
        post_form(client, "/settings/test-voice", {"text": f"Line number {i}"})
    spoken = [text for name, text in control.calls if name == "test_voice"]
    assert len(spoken) == 5
    # The last few may be heard again at once: they are in the cache already.
    post_form(client, "/settings/test-voice", {"text": "Line number 4"})
    page = post_form(client, "/settings/test-voice", {"text": "Brand new"}, follow_redirects=True)
    assert "try another in" in page.get_data(as_text=True)
    assert len([c for c in control.calls if c[0] == "test_voice"]) == 6
    web_clock.advance(60)
    post_form(client, "/settings/test-voice", {"text": "Brand new"})
    assert control.calls[-1] == ("test_voice", "Brand new")
