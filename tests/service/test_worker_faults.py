"""The running Spotter under store and voice faults: a damaged store at start, a workout
finished on a full disk, a voice that has made nothing for too long.

The real worker, store, button, gestures and voice; only the speech engine is a tone
(or a broken engine), and time moves when the test says so.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from device.events import State
from device.service.notify import describe_status
from device.voice.player import NullPlayer
from device.voice.speaker import Voice, VoiceProblem
from device.voice.tts import RenderError, VoiceSettings
from routines.store import DB_NAME, Store
from tests.dummy_voice import ToneRenderer
from tests.service.test_service import SPOTTER, NotifySocket, start_spotter, stop
from tests.service.test_worker import QUICK, Rig, make_rig, use_quick_routine
from tests.small_disk import fill, small_disk

pytestmark = pytest.mark.attack


class BrokenEngine:
    """An engine that fails every line (as a wedged espeak-ng does once killed)."""

    version = "broken"

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        raise RenderError("espeak-ng did not finish the line")

    def voices(self) -> list[tuple[str, str]]:
        return []


def finish_quick_workout(rig: Rig) -> None:
    for _ in range(4):  # intro, set 1, rep 1, rep 2 (the last)
        rig.press()
    rig.spotter.drain()
    assert rig.spotter.status().state == State.DONE


def test_after_a_damaged_store_spotter_says_once_it_restored_its_data(
    tmp_path, clock, mock_factory
):
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.create_routine(QUICK)
        store.set_active_routine("quick")
        assert store.backup_now()
    (data_dir / DB_NAME).write_bytes(b"")  # what a power cut leaves on some SD cards
    rig, built = make_rig(data_dir, clock, mock_factory, NullPlayer())
    try:
        rig.spotter.greet()
        rig.settle()
        assert rig.spoken[0] == ("My saved data was damaged, so I restored it from my last backup.")
        assert "Quick calves" in rig.spoken[1]
        finish_quick_workout(rig)  # the button works
        assert [e.routine_id for e in rig.store.history()] == ["quick"]
    finally:
        built.close()
    rig, built = make_rig(data_dir, clock, mock_factory, NullPlayer())
    try:
        rig.spotter.greet()
        rig.settle()
        assert not any("damaged" in line for line in rig.spoken)  # said once, not every start
    finally:
        built.close()


def test_a_workout_finished_on_a_full_disk_reaches_history_when_space_returns(
    tmp_path, clock, mock_factory, caplog
):
    with small_disk(tmp_path / "disk", "3m") as disk:
        rig, built = make_rig(disk / "data", clock, mock_factory, NullPlayer())
        try:
            rig.spotter.greet()
            use_quick_routine(rig)
            rig.settle()
            filler = fill(disk)
            with caplog.at_level(logging.WARNING):
                finish_quick_workout(rig)
            assert [e.routine_id for e in rig.store.history()] == ["quick"]  # shown already
            assert "Traceback" not in caplog.text
            assert not any(r.exc_info for r in caplog.records)
            filler.unlink()
            rig.store.check_file()  # what the store's own thread does every minute
            assert all(e.id is not None for e in rig.store.history())
        finally:
            built.close()
        with Store.open(disk / "data") as store:
            (entry,) = store.history()
            assert (entry.routine_id, entry.completed) == ("quick", True)
            assert entry.id is not None


def voice_rig(tmp_path, clock, mock_factory, renderer, problems):
    voice = Voice(tmp_path / "cache", renderer=renderer, player=NullPlayer(), silent_after=0.0)
    return make_rig(
        tmp_path / "data",
        clock,
        mock_factory,
        NullPlayer(),
        voice=voice,
        problems=problems,
    )


def test_a_voice_silent_for_too_long_stops_the_watchdog_between_workouts(
    tmp_path, clock, mock_factory
):
    problems: list[VoiceProblem | None] = []
    rig, built = voice_rig(tmp_path, clock, mock_factory, BrokenEngine(), problems)
    try:
        use_quick_routine(rig)
        assert rig.voice.wait_until_prepared(10)
        rig.beats.clear()
        rig.spotter.drain()
        assert rig.spotter.status().state == State.IDLE
        assert rig.beats == [], "idle with a silent voice: let systemd restart Spotter"
        assert problems and problems[-1] is not None and problems[-1].restart_helps
        text = describe_status(rig.spotter.status(), problems[-1].text)
        assert "voice silent for" in text
        rig.press()  # mid-workout a restart would cost the user: keep feeding it
        assert rig.beats
    finally:
        built.close()


def test_a_healthy_voice_keeps_the_watchdog_fed(tmp_path, clock, mock_factory):
    problems: list[VoiceProblem | None] = []
    rig, built = voice_rig(tmp_path, clock, mock_factory, ToneRenderer(), problems)
    try:
        use_quick_routine(rig)
        assert rig.voice.wait_until_prepared(10)
        rig.beats.clear()
        rig.spotter.drain()
        assert rig.beats
        assert problems == []
    finally:
        built.close()


@pytest.mark.parametrize("damage", [b"", b"SQLite format 3\0" + b"\xff" * 5000])
def test_spotter_run_starts_on_a_damaged_store(tmp_path, damage):
    notify = NotifySocket(tmp_path / "notify.sock")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / DB_NAME).write_bytes(damage)
    try:
        process = start_spotter(data_dir, notify, 0)
        assert notify.receive_until(lambda m: any(f == "READY=1" for _, f in m), 60)
        code, out, err = stop(process)
    finally:
        notify.close()
    assert code == 0, err
    assert "Traceback" not in err
    assert "started afresh" in out
    assert len(list(data_dir.glob(DB_NAME + ".damaged-*"))) == 1
    assert subprocess.run([*SPOTTER, "--help"], capture_output=True).returncode == 0
