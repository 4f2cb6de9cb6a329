"""A real ``spotter run --simulate`` through four workouts of a small routine: the third
earns a step up, a press agrees to it, and the fourth is done at the new dose."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from device.engine.speech_time import estimate_seconds
from routines.model import Dose
from routines.store import Store
from tests.service.test_service import SPOTTER, stop
from tests.service.test_worker_progression import CALVES

# After two finished workouts the talk turns brief.
IN_POSITION = ("Press when you are in position.", "Press when ready.")
SUMMARY = "You did 1 exercise and 1 set"
RATE = 300


class Said:
    """The daemon's spoken lines as it prints them, read on a thread of their own."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.pressed_at = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self.lines.append(line.removeprefix("» ").strip())
                self._changed.notify_all()

    def count(self, start: str | tuple[str, ...]) -> int:
        return sum(1 for line in self.lines if line.startswith(start))

    def wait_for(self, start: str | tuple[str, ...], times: int = 1, timeout: float = 60.0) -> None:
        with self._changed:
            ok = self._changed.wait_for(lambda: self.count(start) >= times, timeout)
        assert ok, f"never said {start!r} {times} times: {self.lines[-8:]}"


def press(process: subprocess.Popen, said: Said, *, heard: bool = True) -> None:
    """Press once everything printed so far has been heard (``heard``): without a sound
    device the daemon times each line by how long its words take, one after another."""
    with said._changed:
        unheard = said.lines[said.pressed_at :]
        said.pressed_at = len(said.lines)
    if heard:
        time.sleep(sum(estimate_seconds(line, RATE) for line in unheard) + 0.5)
    assert process.stdin is not None
    process.stdin.write("\n")
    process.stdin.flush()


def start(data_dir: Path) -> subprocess.Popen:
    """``spotter run --simulate`` on ``data_dir``, with the config's defaults."""
    config = data_dir.parent / "spotter.toml"
    config.write_text("")
    env = {**os.environ, "SPOTTER_DATA_DIR": str(data_dir), "SPOTTER_CONFIG": str(config)}
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(name, None)
    return subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--silent", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_four_workouts_and_an_agreed_step_up(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.create_routine(CALVES)
        store.set_active_routine("calves")
        # Quick talk keeps the run short: the lines are timed by their words at this rate.
        store.update_settings({"voice_rate": RATE})
    process = start(data_dir)
    try:
        said = Said(process)
        said.wait_for("Ready.")
        for number in (1, 2, 3, 4):
            press(process, said)
            said.wait_for(IN_POSITION, number)
            press(process, said)
            if number < 4:
                said.wait_for("2 reps.", number)
            else:
                said.wait_for("3 reps.")
            press(process, said)
            said.wait_for(SUMMARY, number)
            if number == 3:
                said.wait_for("Next time: 3 reps in each set of calf raises.")
                # The option is printed as it starts sounding: a press a second into it.
                said.wait_for("Press to agree, or hold to keep 2 reps.")
                time.sleep(1.0)
                press(process, said, heard=False)
                said.wait_for("Agreed: 3 reps from your next workout.")
            else:
                assert said.count("Next time:") == (0 if number < 3 else 1)
        # Three workouts at the file's dose, the fourth at the new one.
        assert said.count("2 reps.") == 3
        assert said.count("3 reps.") == 1
        code, _, err = stop(process)
        assert code == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with Store.open(data_dir) as store:
        assert store.doses(1, "calves")["Calf raises"].dose == Dose(1, 3, None)
        [change] = store.dose_changes(1)
        assert change.why == "accepted"
        [entry, *_] = store.history()
        assert [s.planned for s in entry.set_reps] == [3]
        assert len(store.history()) == 4
