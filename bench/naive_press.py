"""The naive ways to answer a button, for comparison: speak from the button's own callback.

Two programs a hobbyist would write, each in a process of its own (pyttsx3's
espeak driver takes over espeak-ng's one synthesis callback per process, which
Spotter's voice needs in the bench's process):

- ``pyttsx3``: a gpiozero ``Button`` whose ``when_released`` calls
  ``engine.say(line)`` and ``engine.runAndWait()``. pyttsx3's espeak driver
  synthesises the whole line, writes it to a temporary WAV and runs ``aplay`` on
  it through ``os.system``.
- ``pipe``: the callback runs ``espeak-ng --stdout LINE | aplay`` and waits for it.

Both play on ALSA's default device, which an ``.asoundrc`` in a temporary home
makes the bench's sound tap, so their first samples are timed exactly as
Spotter's are. The process prints, for each press, when the release edge was
driven and when the callback returned, on the clock the tap uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.lines import SIXTY_WORDS
from bench.sound_tap import SoundTap

PIN = 17
TIMEOUT = 600.0


def measure(kind: str, presses: int, tap: SoundTap) -> list[tuple[float, float]]:
    """For each press of the ``kind`` program: (seconds to its first samples at ``tap``,
    seconds until its callback returned and the button could be answered again)."""
    with tempfile.TemporaryDirectory(prefix="spotter-naive-") as home:
        Path(home, ".asoundrc").write_text(tap.asoundrc())
        done = subprocess.run(
            [sys.executable, "-m", "bench.naive_press", kind, str(presses)],
            capture_output=True,
            text=True,
            env={**os.environ, "HOME": home},
            timeout=TIMEOUT,
            check=True,
        )
    marks: list[list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return [(tap.first_after(mark) - mark, returned - mark) for mark, returned in marks]


def _pyttsx3_speaker() -> Any:
    import pyttsx3

    engine: Any = pyttsx3.init("espeak")

    def speak(line: str = SIXTY_WORDS) -> None:
        engine.say(line)
        engine.runAndWait()

    return speak


def _pipe_speaker() -> Any:
    def speak(line: str = SIXTY_WORDS) -> None:
        subprocess.run(f"espeak-ng --stdout '{line}' | aplay -q", shell=True, check=True)

    return speak


def main(kind: str, presses: int) -> list[tuple[float, float]]:
    from gpiozero import Button
    from gpiozero.pins.mock import MockFactory

    speak = _pyttsx3_speaker() if kind == "pyttsx3" else _pipe_speaker()
    returned: list[float] = []

    def on_release() -> None:
        speak()
        returned.append(time.perf_counter())

    factory = MockFactory()
    button = Button(PIN, pull_up=True, bounce_time=None, pin_factory=factory)
    button.when_released = on_release
    pin = factory.pin(PIN)
    speak("Ready.")  # the first utterance loads the voice: not a fair press to count
    results: list[tuple[float, float]] = []
    for _ in range(presses):
        pin.drive_low()
        time.sleep(0.02)
        mark = time.perf_counter()
        pin.drive_high()  # the callback runs here, in this thread, to its end
        results.append((mark, returned[-1]))
    button.close()
    return results


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))))
