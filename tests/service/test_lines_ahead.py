"""The lines ahead are found by a process of their own, at a lower priority than the
daemon's, and found all the same on a thread when that process cannot run."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from device.engine.preview import routine_lines
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture
from device.service import lines_ahead
from device.service.build import Parts, build
from device.service.config import Config
from device.service.lines_ahead import NICER_BY, SearchFailed, search_in_child
from device.service.worker import Clocks
from device.voice.player import NullPlayer
from routines.validation import load_library
from tests.dummy_voice import ToneRenderer

SWAPPED = {
    Gesture.PRESS: Action.NEXT,
    Gesture.DOUBLE: Action.SKIP,
    Gesture.HOLD: Action.EXTEND_REST,
    Gesture.LONG_HOLD: Action.END,
}


@pytest.mark.parametrize(
    ("rest", "actions"), [(30, DEFAULT_GESTURE_ACTIONS), (45, SWAPPED)], ids=["default", "other"]
)
def test_the_search_in_its_own_process_finds_what_the_daemon_would(rest, actions):
    library = load_library()
    found = search_in_child(library, default_rest=rest, gesture_actions=actions)
    assert found == [
        routine_lines(routine, default_rest=rest, gesture_actions=actions) for routine in library
    ]
    assert all(len(lines) > 20 for lines in found)


def test_the_search_lowers_its_own_priority():
    request = json.dumps({"default_rest": 30, "gesture_actions": {}, "routines": []})
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys\n"
            "from device.service.lines_ahead import main\n"
            "main()\n"
            "print(os.nice(0), file=sys.stderr)\n",
        ],
        input=request,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == []
    assert int(done.stderr) == os.nice(0) + NICER_BY


def test_a_search_that_cannot_run_says_why(monkeypatch):
    monkeypatch.setattr(lines_ahead.sys, "executable", "/bin/false")
    with pytest.raises(SearchFailed, match="exit status 1"):
        search_in_child(load_library(), default_rest=30, gesture_actions=DEFAULT_GESTURE_ACTIONS)


def test_when_the_search_process_fails_the_lines_are_found_on_a_thread(
    tmp_path, clock, mock_factory, caplog
):
    asked: list[int] = []

    def broken(routines, *, default_rest, gesture_actions):
        asked.append(len(routines))
        raise SearchFailed("the search for lines ahead failed: out of memory")

    built = build(
        Config(data_dir=tmp_path / "data", button_pin=17),
        Parts(
            pin_factory=mock_factory,
            renderer=ToneRenderer(),
            player=NullPlayer(),
            echo=lambda line: None,
            lines_search=broken,
        ),
        clocks=Clocks(monotonic=clock),
    )
    try:
        with caplog.at_level(logging.INFO):
            assert built.worker.wait_for_lines_ahead(timeout=60)
        assert asked == [1]
        assert "out of memory; searching on a thread of the daemon instead" in caplog.text
        found = [
            r.getMessage() for r in caplog.records if "every line ahead found" in r.getMessage()
        ]
        assert found and not found[0].endswith(": 0 more to render")
    finally:
        built.close()
