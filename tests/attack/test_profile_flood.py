"""A stranger on a device without a PIN floods profile creation.

Once, 1,563 profiles were made in 30 s; each one reloaded the worker, which worked out
every profile's routine script again, and the button went unanswered for minutes.
Profiles are capped, and a change costs the worker what changed, not every profile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from device.service import worker
from device.service.build import Assembly, Parts, build
from device.service.config import Config
from device.service.worker import Clocks
from device.voice.player import NullPlayer
from routines.profiles import MAX_PROFILES
from tests.dummy_voice import ToneRenderer
from tests.web_support import contents, post_form, simple_routine
from web_config import create_app

pytestmark = pytest.mark.attack


def fill_profiles(client: FlaskClient, count: int) -> None:
    for n in range(count):
        response = client.post("/api/profiles", json={"name": f"Member {n}"})
        assert response.status_code == 201, response.get_json()


def test_a_profile_past_the_cap_is_refused_by_the_api_and_the_form(client, store):
    assert MAX_PROFILES == 50
    fill_profiles(client, MAX_PROFILES - len(store.profiles()))
    assert len(store.profiles()) == MAX_PROFILES
    before = contents(store)
    api = client.post("/api/profiles", json={"name": "One too many"})
    assert api.status_code == 422
    assert "50 profiles" in json.dumps(api.get_json())
    form = post_form(client, "/people/", {"name": "Form too many"})
    assert form.status_code == 422
    assert "50 profiles" in form.get_data(as_text=True)
    assert contents(store) == before


def test_removing_a_profile_makes_room_for_another(client, store):
    fill_profiles(client, MAX_PROFILES - len(store.profiles()))
    last = store.profiles()[-1].id
    deleted = client.delete(f"/api/profiles/{last}", json={})
    assert deleted.status_code == 200, deleted.get_json()
    assert client.post("/api/profiles", json={"name": "Room again"}).status_code == 201


@dataclass
class Daemon:
    built: Assembly
    client: FlaskClient
    scripted: list[str]  # the id of each routine whose lines were worked out

    def settle(self) -> None:
        # Every line ahead is searched for off the worker: wait for that too.
        assert self.built.worker.wait_for_lines_ahead()


@pytest.fixture
def daemon(tmp_path, clock, mock_factory, monkeypatch) -> Iterator[Daemon]:
    scripted: list[str] = []
    real = worker.routine_lines

    def counted(routine, **kwargs):
        scripted.append(routine.id)
        return real(routine, **kwargs)

    monkeypatch.setattr(worker, "routine_lines", counted)
    built = build(
        Config(data_dir=tmp_path / "data", button_pin=17),
        Parts(pin_factory=mock_factory, renderer=ToneRenderer(), player=NullPlayer()),
        clocks=Clocks(monotonic=clock),
    )
    app = create_app({"TESTING": True}, store=built.store, control=built.worker)
    made = Daemon(built, app.test_client(), scripted)
    made.settle()
    try:
        yield made
    finally:
        built.close()


def test_a_profile_change_works_out_only_the_script_that_changed(daemon: Daemon) -> None:
    client = daemon.client
    for n in range(12):
        assert client.post("/api/profiles", json={"name": f"Member {n}"}).status_code == 201
        daemon.settle()
    assert len(daemon.built.store.profiles()) == 13  # and all on the first routine
    daemon.scripted.clear()
    created = client.post("/api/profiles", json={"name": "Newcomer"})
    assert created.status_code == 201
    daemon.settle()
    assert daemon.scripted == [], "the newcomer's routine was known already"
    renamed = client.put(f"/api/profiles/{created.get_json()['id']}", json={"name": "Bea"})
    assert renamed.status_code == 200
    daemon.settle()
    assert daemon.scripted == []
    # A routine of their own: that routine, once.
    new = client.post("/api/routines", json=simple_routine("Knees"))
    assert new.status_code == 201
    daemon.settle()
    assert daemon.scripted == [], "a routine nobody trains needs no script yet"
    knees = new.get_json()["id"]
    chose = client.put(f"/api/profiles/{created.get_json()['id']}", json={"routine_id": knees})
    assert chose.status_code == 200
    daemon.settle()
    assert daemon.scripted == [knees]
    # The routine thirteen people train, changed: its script once, not once a person.
    daemon.scripted.clear()
    first = client.get("/api/routines/lower-back").get_json()
    first["name"] = "Lower back, renamed"
    assert client.put("/api/routines/lower-back", json=first).status_code == 200
    daemon.settle()
    assert daemon.scripted == ["lower-back"]
