"""The naive way to answer a button, for comparison: speak in the button's own callback.

A gpiozero ``Button`` on the same mock pin factory calls ``engine.say(line)`` and
``engine.runAndWait()`` when released, as most tutorials would. pyttsx3's espeak
driver synthesises the whole line, writes it to a temporary WAV and runs
``aplay`` on it through ``os.system``; that call is the audio start measured here,
stamped just before ``os.system`` forks (a slight head start against Spotter,
whose stamp is taken after its player has started). ``runAndWait`` returning is
measured too.

It runs in a process of its own: pyttsx3's espeak driver takes over espeak-ng's
one synthesis callback per process, which Spotter's voice needs in the bench's
process. Its ``aplay`` plays on the ``null`` device through an ``.asoundrc`` in a
temporary home, as Spotter's does through ``-D null``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import StrOrBytesPath

from bench.lines import SIXTY_WORDS

PIN = 17
TIMEOUT = 300.0


def measure(presses: int) -> list[tuple[float, float]]:
    """(seconds to aplay, seconds to runAndWait's return) for each of ``presses`` presses."""
    with tempfile.TemporaryDirectory(prefix="spotter-naive-") as home:
        Path(home, ".asoundrc").write_text("pcm.!default { type null }\n")
        env = {**os.environ, "HOME": home}
        done = subprocess.run(
            [sys.executable, "-m", "bench.naive_press", str(presses)],
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT,
            check=True,
        )
    pairs: list[list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return [(a, r) for a, r in pairs]


def main(presses: int) -> list[tuple[float, float]]:
    import pyttsx3
    from gpiozero import Button
    from gpiozero.pins.mock import MockFactory

    aplay_at: list[float] = []
    returned_at: list[float] = []
    real_system = os.system

    def stamped_system(command: StrOrBytesPath) -> int:
        aplay_at.append(time.perf_counter())
        return real_system(command)

    os.system = stamped_system
    engine: Any = pyttsx3.init("espeak")

    def speak() -> None:
        engine.say(SIXTY_WORDS)
        engine.runAndWait()
        returned_at.append(time.perf_counter())

    factory = MockFactory()
    button = Button(PIN, pull_up=True, bounce_time=None, pin_factory=factory)
    button.when_released = speak
    pin = factory.pin(PIN)
    speak()  # the first utterance loads the voice: not a fair press to count
    results: list[tuple[float, float]] = []
    for _ in range(presses):
        pin.drive_low()
        time.sleep(0.02)
        mark = time.perf_counter()
        pin.drive_high()  # the callback runs here, in this thread
        if len(aplay_at) < len(returned_at):
            raise RuntimeError("pyttsx3 did not start aplay")
        results.append((aplay_at[-1] - mark, returned_at[-1] - mark))
    button.close()
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
