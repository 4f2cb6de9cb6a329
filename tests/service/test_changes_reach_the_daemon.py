"""A change made beside the daemon (the phone page, another program) reaches the running
engine without the writer telling it: the store announces what each write changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from device.engine import phrases
from device.events import Action, Gesture, State
from device.service.worker import Spotter
from routines.model import Exercise, Routine
from routines.store import Store
from tests.service.daemon import WALL_OFFSET, Daemon
from web_config import create_app

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def phone(daemon: Daemon) -> FlaskClient:
    """The phone page on the daemon's own store and port, on the daemon's wall clock."""
    clock = daemon.clock
    app = create_app(
        {"TESTING": True, "CLOCK": lambda: WALL_OFFSET + clock()},
        store=daemon.store,
        control=daemon.spotter,
    )
    return app.test_client()


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
