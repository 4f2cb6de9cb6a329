"""Press -> audio start, warm cache: Spotter's headline figure, and the naive way beside it.

Measured: from just before the mock pin's release edge (``drive_high``) to the
moment the answer's ``aplay -D null`` process exists (``Popen`` has returned,
so the player has been exec'd and is opening the file). Everything between runs
for real: gpiozero's callback, the queue, the worker, the gesture detector with
double-press and hold enabled, the engine, the voice's cache lookup and the
player.

Two series: the shipped lower-back routine worked through with a random mix of
presses, double-presses and holds (the press figure counts every press,
including the first press of each double); and presses answered with a 60-word
line (the gesture settings map a press to "repeat" during a hold whose cue is
60 words), for the comparison with the naive way (``bench.naive_press``).
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from bench import naive_press
from bench.lines import SIXTY_WORDS
from bench.report import Figure, fmt, p50_p95
from bench.rig import Rig, running_spotter

TARGET_P95_MS = 5.0
TARGET_SPEEDUP = 4.0
TAP = 0.08  # seconds down for a press (hand clock)
HOLD = 1.5  # between the hold and long-hold thresholds


def mixed_presses(rig: Rig, presses: int, seed: int = 1) -> list[float]:
    """Work through the active routine with random gestures; the press latencies (ms)."""
    rng = random.Random(seed)
    measured: list[float] = []
    while len(measured) < presses:
        roll = rng.random()
        if roll < 0.8:
            measured.append(rig.release_to_audio(TAP) * 1000)
        elif roll < 0.9:
            # A double-press: its first press is answered at once, then superseded.
            measured.append(rig.release_to_audio(TAP, gap=0.1) * 1000)
            rig.release_to_audio(TAP)
        else:
            rig.release_to_audio(HOLD)
    return measured


def long_line_presses(rig: Rig, presses: int) -> list[float]:
    """Presses answered by a 60-word line from the cache; their latencies (ms)."""
    rig.hold_answering_with(SIXTY_WORDS)
    if not rig.voice.wait_until_prepared(timeout=60):
        raise TimeoutError("the long line was not rendered")
    return [rig.release_to_audio(TAP) * 1000 for _ in range(presses)]


def run(quick: bool = False) -> list[Figure]:
    """Both series and the naive baseline, in one run."""
    presses = 60 if quick else 200
    long_presses = 30 if quick else 100
    with (
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        running_spotter(Path(tmp) / "data") as rig,
    ):
        mixed = mixed_presses(rig, presses)
        long = long_line_presses(rig, long_presses)
    naive = naive_press.measure(long_presses)

    naive_aplay = p50_p95([t * 1000 for t, _ in naive])
    naive_return = p50_p95([r * 1000 for _, r in naive])
    mixed_50, mixed_95 = p50_p95(mixed)
    long_50, long_95 = p50_p95(long)
    speedup = naive_aplay[0] / long_50
    baseline = (
        f"pyttsx3 say()+runAndWait(): to aplay {fmt(naive_aplay[0], 'ms')} "
        f"(p95 {fmt(naive_aplay[1], 'ms')}), to return {fmt(naive_return[0], 'ms')}"
    )
    return [
        Figure(
            f"1. Press -> audio start, warm cache ({len(mixed)} presses, lower-back routine)",
            mixed_50,
            mixed_95,
            "ms",
            target=f"p95 <= {TARGET_P95_MS:g} ms",
            passed=mixed_95 <= TARGET_P95_MS,
            note="release edge to the answer's aplay -D null process (Popen returned); "
            "double-press and hold enabled, with 10% doubles and 10% holds in between",
        ),
        Figure(
            f"1. Press -> audio start, 60-word answer ({len(long)} presses)",
            long_50,
            long_95,
            "ms",
            target=f">= {TARGET_SPEEDUP:g}x faster median than naive",
            passed=speedup >= TARGET_SPEEDUP,
            baseline=f"{baseline}; Spotter {speedup:.0f}x faster",
        ),
    ]
