"""A clicker's key -> first audio bytes, beside the wired button's press, in one running Spotter.

The key events are evtest's text of a shutter remote's press, read by the shipped
recording reader and handed to the shipped ``KeyButton`` bound to the worker's queue:
the path a live clicker's events take once python-evdev has read them (the read itself,
a ``select`` wake-up and one ``read()`` of a few events, is not in the figure: no input
device can be made here). Presses on the wired button (gpiozero's mock pin) alternate
with them, so both figures come from the same warm daemon, the same routine and the
same sound tap.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.report import Figure, p50_p95
from bench.rig import ANSWER_TIMEOUT, SETTLE, Rig, running_spotter
from bench.sound_tap import SoundTap
from device.hardware.clicker import KeyButton
from device.hardware.clicker_playback import deliver
from device.hardware.evtest_recording import Key, parse_recording

TAP = 0.08
GAP = 0.6
# One press of a shutter remote as evtest prints it.
ONE_PRESS = """\
Input device name: "AB Shutter3"
Event: time 1700000000.000000, type 4 (EV_MSC), code 4 (MSC_SCAN), value c00e9
Event: time 1700000000.000000, type 1 (EV_KEY), code 115 (KEY_VOLUMEUP), value 1
Event: time 1700000000.000000, -------------- SYN_REPORT ------------
Event: time 1700000000.080000, type 4 (EV_MSC), code 4 (MSC_SCAN), value c00e9
Event: time 1700000000.080000, type 1 (EV_KEY), code 115 (KEY_VOLUMEUP), value 0
Event: time 1700000000.080000, -------------- SYN_REPORT ------------
"""
TARGET_P95_MS = 1.0


def key_to_audio(rig: Rig, button: KeyButton, down: Key, up: Key) -> float:
    """Seconds from handing the key-up to the answer's first samples, the device quiet."""
    rig.voice.stop()
    deliver(button, "bench", down, rig.clock.now)
    time.sleep(SETTLE)
    rig.clock.advance(up.at - down.at)
    mark = time.perf_counter()
    deliver(button, "bench", up, rig.clock.now)
    started = rig.tap.first_after(mark, ANSWER_TIMEOUT)
    rig.clock.advance(GAP)
    time.sleep(SETTLE)
    return started - mark


def run(quick: bool = False) -> list[Figure]:
    presses = 40 if quick else 150
    recording = parse_recording(ONE_PRESS, Path("one-press.txt"))
    down, up = (h for h in recording.happenings if isinstance(h, Key))
    keys: list[float] = []
    wired: list[float] = []
    with (
        SoundTap() as tap,
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        running_spotter(Path(tmp) / "data", tap) as rig,
    ):
        button = KeyButton("clicker", {115}, rig.spotter.submit_edge, rig.spotter.submit_link)
        deliver(button, "bench", recording.happenings[0], rig.clock.now)
        for _ in range(presses):
            keys.append(key_to_audio(rig, button, down, up) * 1000)
            wired.append(rig.release_to_audio(TAP, GAP, quiet=True) * 1000)
    key_50, key_95 = p50_p95(keys)
    wired_50, wired_95 = p50_p95(wired)
    return [
        Figure(
            f"1. Clicker key-up -> first audio bytes ({len(keys)} presses)",
            key_50,
            key_95,
            "ms",
            target=f"p95 <= {TARGET_P95_MS:g} ms",
            passed=key_95 <= TARGET_P95_MS,
            baseline=f"wired button in the same run: p50 {wired_50:.2f} ms, p95 {wired_95:.2f} ms",
            note="a recorded shutter remote's KEY_VOLUMEUP through KeyButton, the queue, "
            "the worker and the engine to the sound tap; python-evdev's read is not in it",
        )
    ]
