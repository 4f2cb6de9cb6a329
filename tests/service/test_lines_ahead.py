"""The lines ahead are found by a process of their own, at a lower priority than the
daemon's, and found all the same on a thread when that process cannot run; what a
search found is remembered for the next start."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys

import pytest

from device.engine.preview import planned_lines, routine_lines
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture
from device.service import lines_ahead, lines_memo
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


class Starts:
    """Spotter built again and again on one data directory, its searches counted."""

    def __init__(self, data_dir, clock, mock_factory):
        self.data_dir, self.clock, self.factory = data_dir, clock, mock_factory
        self.searched: list[str] = []

    def search(self, routines, *, default_rest, gesture_actions):
        self.searched += [routine.id for routine in routines]
        return [
            routine_lines(r, default_rest=default_rest, gesture_actions=gesture_actions)
            for r in routines
        ]

    def start(self, settings=None):
        """One start, its lines ahead in place; returns the lines the voice then had."""
        built = build(
            Config(data_dir=self.data_dir, button_pin=17),
            Parts(
                pin_factory=self.factory,
                renderer=ToneRenderer(),
                player=NullPlayer(),
                echo=lambda line: None,
                lines_search=self.search,
            ),
            clocks=Clocks(monotonic=self.clock),
        )
        try:
            if settings:
                built.store.update_settings(settings)
                built.worker.reload()
            assert built.worker.wait_for_lines_ahead(timeout=60)
            assert built.voice.wait_until_prepared(timeout=60)
            stored = built.store.active_routine()
            assert stored is not None
            routine = stored.routine
            return {line for line in only_when_searched(routine) if built.voice.cached_audio(line)}
        finally:
            built.close()


def only_when_searched(routine) -> set[str]:
    return set(routine_lines(routine)) - set(planned_lines(routine))


@pytest.fixture
def starts(tmp_path, clock, mock_factory):
    return Starts(tmp_path / "data", clock, mock_factory)


def test_a_start_after_the_first_remembers_the_lines_and_searches_nothing(starts, caplog):
    first = starts.start()
    assert starts.searched == ["lower-back"]
    assert first  # the search found lines the workout as planned never says
    shutil.rmtree(starts.data_dir / "voice-cache")
    with caplog.at_level(logging.INFO):
        again = starts.start()
    assert starts.searched == ["lower-back"]
    assert again == first  # rendered at once, from what the first start found
    assert "every line ahead remembered" in caplog.text


def test_a_change_to_what_shapes_the_lines_searches_again(starts):
    starts.start()
    starts.start(settings={"default_rest_seconds": 45})
    assert starts.searched == ["lower-back", "lower-back"]


def test_new_engine_code_searches_again(starts, monkeypatch):
    starts.start()
    monkeypatch.setattr(lines_memo, "engine_stamp", lambda: "an upgrade")
    starts.start()
    assert starts.searched == ["lower-back", "lower-back"]


@pytest.mark.parametrize("damage", [b"{not json", b"[1, 2]", b'{"x": [1, 2]}', b"\xff\xfe"])
def test_a_damaged_memory_costs_a_search_and_is_written_anew(starts, damage):
    starts.start()
    memo = starts.data_dir / lines_memo.FILE_NAME
    memo.write_bytes(damage)
    assert starts.start()
    assert starts.searched == ["lower-back", "lower-back"]
    starts.start()
    assert starts.searched == ["lower-back", "lower-back"]


def test_a_memory_that_cannot_be_written_is_said_and_spotter_goes_on(starts, caplog):
    (starts.data_dir / lines_memo.FILE_NAME).mkdir(parents=True)
    with caplog.at_level(logging.WARNING):
        assert starts.start()
    assert "cannot remember the lines ahead" in caplog.text
