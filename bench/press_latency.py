"""Press -> first audio bytes at the sound device, warm cache: Spotter and every naive way.

Measured: from just before the mock pin's release edge (``drive_high``) to the
first samples of the answer arriving through ALSA's ``file`` plugin in the FIFO
of a ``SoundTap`` (read and timestamped by a separate process). Everything
between runs for real: gpiozero's callback, the queue, the worker, the gesture
detector with double-press and hold enabled, the engine, the voice's cache
lookup, and the player's drop + write on the ALSA device it keeps open.

Series, all in one run, all timed at the same tap:

- a warm press on the shipped lower-back routine (random presses, doubles and
  holds), each made with the device idle (whatever was playing stopped first);
- a press while a 60-word line is still playing: it stops that line and starts
  the next (the gesture settings map a press to "repeat" during a hold whose cue
  is that line);
- ``aplay`` spawned on the very WAV the cache holds for that 60-word line;
- the naive programs (``bench.naive_press``): pyttsx3 ``say()`` +
  ``runAndWait()``, and ``espeak-ng --stdout | aplay``, from the button callback;
- the naive pyttsx3 program with a tap read at the speed the samples play: how
  long its callback, and so the button, stays busy per answer.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

from bench import naive_press
from bench.lines import SIXTY_WORDS
from bench.pi_zero import PiZeroQuota, emulated_presses
from bench.report import Figure, fmt, p50_p95
from bench.rig import Rig, running_spotter
from bench.sound_tap import SoundTap
from bench.startup import emulation

TARGET_P95_MS = 1.0
TARGET_SPEEDUP = 3.0
TARGET_CUT_P95_MS = 2.0
TAP = 0.08  # seconds down for a press (hand clock)
HOLD = 1.5  # between the hold and long-hold thresholds


def mixed_presses(rig: Rig, presses: int, seed: int = 1) -> list[float]:
    """Work through the active routine with random gestures, each from a quiet device;
    the press latencies (ms)."""
    rng = random.Random(seed)
    measured: list[float] = []
    while len(measured) < presses:
        roll = rng.random()
        if roll < 0.8:
            measured.append(rig.release_to_audio(TAP, quiet=True) * 1000)
        elif roll < 0.9:
            # A double-press: its first press is answered at once, then superseded.
            measured.append(rig.release_to_audio(TAP, gap=0.1, quiet=True) * 1000)
            rig.release_to_audio(TAP)
        else:
            rig.release_to_audio(HOLD, quiet=True)
    return measured


def presses_while_playing(rig: Rig, presses: int) -> list[float]:
    """Presses each cutting the 60-word answer to the one before; their latencies (ms)."""
    rig.hold_answering_with(SIXTY_WORDS)
    if not rig.voice.wait_until_prepared(timeout=60):
        raise TimeoutError("the long line was not rendered")
    rig.release_to_audio(TAP, quiet=True)  # starts the first long line
    start = rig.first_samples(SIXTY_WORDS)
    return [rig.release_to_audio(TAP, answer=start) * 1000 for _ in range(presses)]


def aplay_presses(tap: SoundTap, wav: Path, start: bytes, presses: int) -> list[float]:
    """Spawn ``aplay`` on ``wav`` into the tap; ms from the spawn to its first samples."""
    measured = []
    for _ in range(presses):
        mark = time.perf_counter()
        process = subprocess.Popen(["aplay", "-q", "-D", tap.device, str(wav)])
        measured.append((tap.first_after(mark, starting=start) - mark) * 1000)
        process.wait()
    return measured


TARGET_PI_P95_MS = 10.0


def emulated(quick: bool, quota: PiZeroQuota) -> list[Figure]:
    """Warm presses with Spotter on the emulated Pi (the sound tap outside the quota)."""
    presses = 60 if quick else 200
    times = emulated_presses(quota, presses)
    p50, p95 = p50_p95(times)
    return [
        Figure(
            f"1. {emulation(quota)}Warm press -> first audio bytes ({len(times)} presses)",
            p50,
            p95,
            "ms",
            target=f"p95 <= {TARGET_PI_P95_MS:g} ms",
            passed=p95 <= TARGET_PI_P95_MS,
        )
    ]


def _ms(values: list[float]) -> str:
    p50, p95 = p50_p95(values)
    return f"{fmt(p50, 'ms')} (p95 {fmt(p95, 'ms')})"


def run(quick: bool = False) -> list[Figure]:
    """Every series above, in one run."""
    presses = 60 if quick else 200
    others = 30 if quick else 100
    naive_presses = 10 if quick else 40
    with SoundTap() as tap, tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        with running_spotter(Path(tmp) / "data", tap) as rig:
            warm = mixed_presses(rig, presses)
            cut = presses_while_playing(rig, others)
            wav = Path(tmp) / "answer.wav"
            wav.write_bytes(rig.cached_audio(SIXTY_WORDS).read_bytes())
            start = rig.first_samples(SIXTY_WORDS)
        # Spotter has stopped: nothing else plays into the tap meanwhile.
        aplay = aplay_presses(tap, wav, start, others)
        naive = naive_press.measure("pyttsx3", naive_presses, tap)
        pipe = naive_press.measure("pipe", naive_presses, tap)
    with SoundTap(paced=True) as paced:
        blocked = naive_press.measure("pyttsx3", 1 if quick else 3, paced)

    warm_50, warm_95 = p50_p95(warm)
    cut_50, cut_95 = p50_p95(cut)
    aplay_50, _ = p50_p95(aplay)
    speedup = aplay_50 / warm_50
    naive_first = [first * 1000 for first, _ in naive]
    pipe_first = [first * 1000 for first, _ in pipe]
    blocked_s = [returned for _, returned in blocked]
    return [
        Figure(
            f"1. Warm press -> first audio bytes ({len(warm)} presses, lower-back routine)",
            warm_50,
            warm_95,
            "ms",
            target=f"p95 <= {TARGET_P95_MS:g} ms, >= {TARGET_SPEEDUP:g}x faster than aplay",
            passed=warm_95 <= TARGET_P95_MS and speedup >= TARGET_SPEEDUP,
            baseline=f"aplay on the same cached WAV: {_ms(aplay)}; Spotter {speedup:.0f}x "
            f"faster; pyttsx3 say()+runAndWait(): {_ms(naive_first)}; "
            f"espeak-ng --stdout | aplay: {_ms(pipe_first)}",
            note="release edge to the answer's first samples in the FIFO behind ALSA's file "
            "plugin, read by a separate process; the device idle before each press; "
            "double-press and hold enabled, with 10% doubles and 10% holds in between",
        ),
        Figure(
            f"1. Press while a line plays -> the new line's first bytes ({len(cut)} presses)",
            cut_50,
            cut_95,
            "ms",
            target=f"p95 <= {TARGET_CUT_P95_MS:g} ms",
            passed=cut_95 <= TARGET_CUT_P95_MS,
            note="each press stops the 60-word line the previous press started (drop) and "
            "starts the next on the same open device",
        ),
        Figure(
            "1. Button busy while a 60-word answer plays, real-time sound device",
            None,
            None,
            "s",
            baseline=f"pyttsx3 say()+runAndWait(): {fmt(p50_p95(blocked_s)[0], 's')} per "
            f"answer ({len(blocked_s)} presses); a press meanwhile waits until it ends",
            note="Spotter's worker never waits on audio; the naive callback plays the whole "
            "line before it returns (tap read no faster than 22050 Hz mono plays)",
        ),
    ]
