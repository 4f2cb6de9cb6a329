"""Render, while the package is built, the audio a new device asks for before its first workout.

build.py runs this with the staged program first on the path, so the lines, the cache's
keys and the audio are the package's own: a fresh data directory is set up as a new
device's is (the shipped routine, the default settings), the voice is built as the
daemon builds it, and every line it prepares at start, the greeting included, is rendered
by the real espeak-ng. So are the lines whose words a workout only settles as it goes
(``first_workout_lines``), as they read in a new device's first workout done whole. Only
the finished files are kept; they become the package's /usr/share/spotter/voice-cache,
which the daemon plays wherever a key matches.

    PYTHONPATH=STAGED_PROGRAM python3 packaging/prerender.py OUT_DIR
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routines.store import Store

# The shipped routine's 150-odd lines take seconds on a desktop, a minute or two emulated.
PREPARE_TIMEOUT = 900.0
# A first workout done whole, summed up in any time up to this: longer ones render theirs.
SUMMARY_MINUTES = 60


def first_workout_lines(store: Store) -> list[str]:
    """What a new device's first workout may say that no start prepares: the week's count
    should it be ended early, and its summary when every set is done, in each whole
    minute it may take (the device renders these only once they are known)."""
    from device.engine import phrases
    from routines.week import weekly_goal

    profile = store.current_profile()
    active = store.active_routine(profile.id)
    if active is None:
        return []
    routine = active.routine
    goal = profile.weekly_goal or weekly_goal(routine, store.settings())
    sets = sum(exercise.sets for exercise in routine.exercises)
    return [
        phrases.weekly_progress(0, goal, counted=False),
        *(
            phrases.summary(len(routine.exercises), sets, 60.0 * minutes)
            for minutes in range(SUMMARY_MINUTES + 1)
        ),
    ]


def render_into(out: Path) -> int:
    """The files a new device would render, copied to ``out``; returns how many."""
    from gpiozero.pins.mock import MockFactory

    from device.service.build import Parts, build
    from device.service.config import Config
    from device.voice.player import NullPlayer
    from device.voice.render_process import VERSION_FILE

    with tempfile.TemporaryDirectory(prefix="spotter-voice-") as tmp:
        data = Path(tmp)
        config = Config(data_dir=data, web_enabled=False, audio_device="null")
        spotter = build(config, Parts(pin_factory=MockFactory(), player=NullPlayer()))
        try:
            spotter.worker.start()  # and so the greeting, as a device says it at start
            # The lines a workout can say beyond the planned ones are found off the worker.
            if not spotter.worker.wait_for_lines_ahead(timeout=PREPARE_TIMEOUT):
                raise SystemExit(f"the lines were not found within {PREPARE_TIMEOUT:g} s")
            if not spotter.voice.wait_until_prepared(timeout=PREPARE_TIMEOUT):
                raise SystemExit(f"the lines were not rendered within {PREPARE_TIMEOUT:g} s")
            spotter.voice.prepare_late(first_workout_lines(spotter.store))
            if not spotter.voice.wait_until_prepared(timeout=PREPARE_TIMEOUT):
                raise SystemExit(f"the lines were not rendered within {PREPARE_TIMEOUT:g} s")
            spotter.voice.wait_until_quiet(timeout=60)
            problem = spotter.voice.health()
            if problem is not None:
                raise SystemExit(f"the voice failed while rendering: {problem.text}")
        finally:
            spotter.close()
        out.mkdir(parents=True, exist_ok=True)
        rendered = sorted((data / "voice-cache").glob("*.wav"))
        for wav in rendered:
            shutil.copyfile(wav, out / wav.name)
        # The version the audio is named by: a new device looks its lines up by it before
        # any speech engine has started, so the first press plays at once.
        version = data / "voice-cache" / VERSION_FILE
        if version.is_file():
            shutil.copyfile(version, out / VERSION_FILE)
    return len(rendered)


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUT_DIR")
    count = render_into(Path(sys.argv[1]))
    if count == 0:
        raise SystemExit("no line was rendered")
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
