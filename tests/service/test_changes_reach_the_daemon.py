"""A change made beside the daemon (the phone page, another program) reaches the running
engine without the writer telling it: the store announces what each write changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from device.engine import phrases
from device.events import Action, Gesture, State
from device.service.port_socket import PortClient, PortServer, private_socket_path
from device.service.worker import Spotter
from routines.changes import Data
from routines.model import Exercise, Routine
from routines.store import Store
from tests.service.daemon import WALL_OFFSET, Daemon
from web_config import create_app

JSON = {"Content-Type": "application/json"}


@pytest.fixture(params=["own process", "same process"])
def phone(daemon: Daemon, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FlaskClient]:
    """The phone page on the daemon's wall clock: as the daemon runs it, on a store opened
    beside the daemon's and the port over its socket (its own process, here in the test's);
    and on the daemon's own store and port, as the tests of the page run it."""
    clock = daemon.clock
    config = {"TESTING": True, "CLOCK": lambda: WALL_OFFSET + clock()}
    if request.param == "same process":
        yield create_app(config, store=daemon.store, control=daemon.spotter).test_client()
        return
    server = PortServer(daemon.spotter, private_socket_path(str(tmp_path)), daemon.store).start()
    client = PortClient(server.path)
    store = Store.open_beside(tmp_path / "data", client)
    store.subscribe(client.changed)
    try:
        yield create_app(config, store=store, control=client).test_client()
    finally:
        store.close()
        client.close()
        server.close()


def test_an_after_score_from_the_phone_once_the_question_closed_is_heard_next_start(
    daemon: Daemon, phone: FlaskClient
) -> None:
    daemon.do(Gesture.PRESS)  # the shipped routine asks first
    assert daemon.spotter.status().question == "pain_before"
    daemon.spotter.answer("pain_before", 2)
    daemon.settle()
    daemon.do(Action.END)
    assert daemon.spotter.status().question == "pain_after"
    # Nobody answers: every number is read out and the question closes.
    for _ in range(600):
        if daemon.spotter.status().question is None:
            break
        daemon.clock.advance(0.25)
        daemon.settle()
    assert daemon.spotter.status().question is None
    # Later, on the phone: the page writes it on the workout that just ended.
    daemon.clock.advance(600)
    response = phone.post(
        "/api/checkin", data=json.dumps({"moment": "after", "score": 9}), headers=JSON
    )
    assert response.status_code == 200, response.get_json()
    [entry] = daemon.store.history()
    assert (entry.pain_before, entry.pain_after) == (2, 9)
    daemon.settle()
    daemon.do(Gesture.PRESS)  # one press after a workout starts the next
    assert phrases.worse_last_time() in daemon.spoken[-2:]


def test_a_routine_saved_by_another_program_is_the_one_a_press_starts(
    daemon: Daemon, tmp_path: Path
) -> None:
    quick = Routine(
        id="quick",
        name="Quick calves",
        exercises=(Exercise(name="Calf raises", sets=1, reps=2, count="per_set"),),
    )
    # The command line opens the same file while the daemon runs.
    with Store.open(tmp_path / "data") as other:
        other.create_routine(quick)
        other.set_active_routine("quick")
    daemon.store.check_file()  # what the store's own thread does every minute
    daemon.settle()
    assert daemon.spotter.status().routine_id == "quick"


def count_rereads(spotter: Spotter, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the worker re-reads from the store, in order: "all" or "people"."""
    seen: list[str] = []
    apply, people = spotter._apply_settings, spotter._load_people
    monkeypatch.setattr(spotter, "_apply_settings", lambda: (seen.append("all"), apply())[1])
    monkeypatch.setattr(
        spotter, "_load_people", lambda settings: (seen.append("people"), people(settings))[1]
    )
    return seen


def test_a_burst_of_writes_is_one_reload(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    rereads = count_rereads(daemon.spotter, monkeypatch)
    for rest in (10, 20, 30):
        daemon.store.update_settings({"default_rest_seconds": rest})
    daemon.settle()
    assert rereads == ["all", "people"]  # the people come with the settings
    assert daemon.spotter.settings().settings.default_rest_seconds == 30


def test_the_daemons_own_writes_are_not_read_back(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    rereads = count_rereads(daemon.spotter, monkeypatch)
    daemon.do(Gesture.PRESS)
    daemon.spotter.answer("pain_before", 2)
    daemon.settle()
    daemon.do(Action.END)
    daemon.do(Action.NEXT)
    assert daemon.spotter.status().state is State.DONE
    assert daemon.store.history()
    # The worker wrote the workout and counts the week once, itself.
    assert rereads == ["people"]


def test_a_routine_made_on_the_phone_is_the_one_the_next_press_starts(
    daemon: Daemon, phone: FlaskClient
) -> None:
    quick = {
        "id": "quick",
        "name": "Quick calves",
        "exercises": [{"name": "Calf raises", "sets": 1, "reps": 2, "count": "per_set"}],
    }
    assert phone.post("/api/routines", data=json.dumps(quick), headers=JSON).status_code == 201
    response = phone.post("/api/routines/quick/activate", headers=JSON)
    assert response.status_code == 200, response.get_json()
    # No minute's wait for the store's own check: the page's write is announced at once.
    daemon.settle()
    assert daemon.spotter.status().routine_id == "quick"


def test_the_daemon_hears_what_kind_of_data_the_phone_changed(
    daemon: Daemon, phone: FlaskClient
) -> None:
    # From the page's own process too: by kind, so the worker re-reads what changed, not
    # everything (which a write the daemon only noticed in the file would mean).
    heard: list[frozenset[Data]] = []
    daemon.store.subscribe(heard.append)
    [person] = phone.get("/api/profiles").get_json()["profiles"]
    response = phone.put(
        f"/api/profiles/{person['id']}", data=json.dumps({"weekly_goal": 4}), headers=JSON
    )
    assert response.status_code == 200, response.get_json()
    assert heard == [frozenset({Data.PROFILES})]


def test_a_restore_from_the_phone_is_the_daemons_data_at_once(
    daemon: Daemon, phone: FlaskClient, tmp_path: Path
) -> None:
    backup = phone.get("/api/backup")
    assert backup.status_code == 200
    quick = {"id": "quick", "name": "Quick", "exercises": [{"name": "Calf", "sets": 1, "reps": 2}]}
    assert phone.post("/api/routines", data=json.dumps(quick), headers=JSON).status_code == 201
    response = phone.post(
        "/api/restore",
        data=backup.get_data(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200, response.get_json()
    # The daemon swapped the file itself: it reads the restored data, and nothing was
    # written back over it from the old file (which would set the restored one aside).
    assert "quick" not in {r.routine.id for r in daemon.store.list_routines()}
    assert "quick" not in {r["id"] for r in phone.get("/api/routines").get_json()["routines"]}
    daemon.store.check_file()
    assert not list((tmp_path / "data").glob("*replaced*"))
    assert "quick" not in {r.routine.id for r in daemon.store.list_routines()}
