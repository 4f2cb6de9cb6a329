"""Recorded clickers through a running ``spotter run --simulate --clicker RECORDING``.

Each test starts the real daemon in a process of its own, with the recording played in
real time through the same KeyButton a live device feeds, and reads what Spotter said.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from device.engine import phrases
from routines.store import Store
from routines.validation import routine_from_yaml

RECORDINGS = Path(__file__).parent / "recordings"
SPOTTER = [sys.executable, "-m", "device.cli"]

pytestmark = pytest.mark.slow

CALF = """\
name: Calf test
exercises:
  - name: Calf raises
    sets: 2
    reps: 5
    rest_seconds: 30
    count: per_rep
    setup: ["Stand tall."]
"""
PLANK = """\
name: Plank test
exercises:
  - name: Side plank
    sets: 1
    hold_seconds: 20
    setup: ["Lie on your side."]
"""


def store_with(data_dir: Path, *routines: str) -> list[str]:
    ids = []
    with Store.open(data_dir) as store:
        for text in routines:
            ids.append(store.create_routine(routine_from_yaml(text)).routine.id)
        store.set_active_routine(ids[0])
    return ids


def spoken_by_run(data_dir: Path, *recordings: str, config: Path | None = None) -> list[str]:
    env = dict(os.environ, SPOTTER_DATA_DIR=str(data_dir))
    env.pop("GPIOZERO_PIN_FACTORY", None)
    env.pop("SPOTTER_CONFIG", None)
    args = [*SPOTTER, "run", "--simulate", "--silent", "--no-web"]
    if config is not None:
        args += ["--config", str(config)]
    for name in recordings:
        args += ["--clicker", str(RECORDINGS / name)]
    result = subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return [line[2:] for line in result.stdout.splitlines() if line.startswith("» ")]


TO_GO = "1 done, 4 to go. Press after each rep."


def in_order(spoken: list[str], expected: list[str]) -> bool:
    """Whether ``expected`` lines were all said, in this order (others may come between)."""
    rest = iter(spoken)
    return all(any(line == want for line in rest) for want in expected)


@pytest.mark.parametrize(
    "recording",
    [
        # A shutter remote: press, press, two reps, a double, a hold.
        "shutter-press-double-hold.txt",
        # A remote that cannot hold, counted, not timed: two presses are one double (no
        # third rep counted first), three are a hold.
        "no-hold-press-double-triple.txt",
    ],
)
def test_a_press_starts_a_double_goes_back_and_a_hold_repeats(tmp_path, recording):
    store_with(tmp_path, CALF)
    spoken = spoken_by_run(tmp_path, recording)
    # Press: start; press: in position; two reps; the double's press would count a third,
    # which the double takes back before going back one more; the hold repeats.
    assert in_order(
        spoken,
        [
            "Exercise 1 of 1: Calf raises.",
            "Set 1 of 2.",
            "1",
            "2",
            phrases.going_back(),
            TO_GO,  # where the set stands after the back
            TO_GO,  # the hold repeats it
        ],
    ), spoken
    # The double's own first press was answered by a tick: its count is never heard.
    assert "3" not in spoken
    assert "4" not in spoken


def test_a_clicker_that_vanishes_and_returns_says_so_once_and_the_workout_goes_on(tmp_path):
    store_with(tmp_path, CALF)
    spoken = spoken_by_run(tmp_path, "vanish-and-return.txt")
    assert spoken.count(phrases.clicker_connected()) == 1, spoken
    # It went with its key down: that is no long hold, so nothing paused; the press
    # that woke it counts rep 2 and the next rep 3.
    assert in_order(spoken, ["1", phrases.clicker_connected(), "2", "3"]), spoken
    assert phrases.paused() not in spoken


CONFIG = """\
[[clicker]]
device = "dc:2c:26:0a:11:01"
name = "Ann's remote"
profile = "Ann"

[[clicker]]
device = "DC:2C:26:0A:11:02"
name = "Ben's remote"
profile = "ben"
"""


def two_people(data_dir: Path, tmp_path: Path) -> Path:
    calf, plank = store_with(data_dir, CALF, PLANK)
    with Store.open(data_dir) as store:
        store.create_profile({"name": "Ann", "routine_id": calf})
        store.create_profile({"name": "Ben", "routine_id": plank})
    config = tmp_path / "spotter.toml"
    config.write_text(CONFIG)
    return config


def test_each_persons_clicker_starts_their_own_workout_without_the_menu(tmp_path):
    config = two_people(tmp_path / "a", tmp_path)
    # Ann presses; Ben presses 1.5 s later, while Ann's workout is starting: ignored.
    spoken = spoken_by_run(
        tmp_path / "a", "two-people-ann.txt", "two-people-ben.txt", config=config
    )
    assert phrases.who_is_training() not in spoken
    assert in_order(spoken, [phrases.trainee_chosen("Ann"), "Exercise 1 of 1: Calf raises."])
    assert phrases.trainee_chosen("Ben") not in spoken
    assert not any("plank" in line.lower() for line in spoken), spoken

    config = two_people(tmp_path / "b", tmp_path)
    spoken = spoken_by_run(tmp_path / "b", "two-people-ben.txt", config=config)
    assert phrases.who_is_training() not in spoken
    assert in_order(spoken, [phrases.trainee_chosen("Ben"), "Exercise 1 of 1: Side plank."])


def clicker_test(tmp_path: Path, *recordings: str) -> list[str]:
    empty = tmp_path / "spotter.toml"
    empty.write_text("")
    result = subprocess.run(
        [*SPOTTER, "clicker", "test", *(str(RECORDINGS / r) for r in recordings)],
        env={**os.environ, "SPOTTER_CONFIG": str(empty)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("gesture")]
    return [line.split(": ", 1)[1].split()[0] for line in lines]


@pytest.mark.parametrize(
    ("recording", "gestures"),
    [
        # A double is its press, answered at once, then the double that takes it back.
        ("shutter-press-double-hold.txt", ["press"] * 5 + ["double", "hold"]),
        ("no-hold-press-double-triple.txt", ["press"] * 4 + ["double", "hold"]),
        # Held keys repeat every 33 ms: one hold and one long hold, no presses.
        ("autorepeat.txt", ["hold", "long_hold"]),
        ("vanish-and-return.txt", ["press"] * 5),
    ],
)
def test_clicker_test_prints_one_gesture_line_per_gesture(tmp_path, recording, gestures):
    assert clicker_test(tmp_path, recording) == gestures


def test_a_broken_recording_stops_the_run_before_it_starts(tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_text("Event: time 1.0, type 1 (EV_KEY), code x, value 1\n")
    result = subprocess.run(
        [*SPOTTER, "run", "--simulate", "--silent", "--no-web", "--clicker", str(broken)],
        stdin=subprocess.DEVNULL,
        env={**os.environ, "SPOTTER_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"{broken}:1: not an event line" in result.stderr
    assert "Ready" not in result.stdout
