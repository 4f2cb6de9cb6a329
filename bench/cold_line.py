"""Cold line: press -> first audio bytes when the answer is not in the cache and must be
synthesised on demand (espeak-ng through pyttsx3), for a short and a 60-word line.

The same rig and sound tap as the warm figure, with nothing rendered ahead. Each
press is answered with the same text, but the voice volume changes a hair before
every press (0.99, 0.98, ...): the volume is part of the cache key, and this
rig's voice forgets older audio on a change, so every answer is a line never
rendered before. The time includes bringing the render to the cache's format
and writing it durably (temporary file, fsync, rename), since the cache plays
only complete files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.lines import SIXTY_WORDS
from bench.press_latency import TAP
from bench.report import Figure, p50_p95
from bench.rig import Rig, running_spotter
from bench.sound_tap import SoundTap

SHORT = "Keep your back flat."
RENDER_TIMEOUT = 30.0


def cold_presses(rig: Rig, cue: str, presses: int) -> list[float]:
    """Presses each answered by ``cue`` at a volume never used before; latencies (ms)."""
    rig.hold_answering_with(cue)
    measured = []
    for i in range(presses):
        rig.store.update_settings({"voice_volume": round(0.99 - i / 100, 2)})
        rig.spotter.reload()
        measured.append(rig.release_to_audio(TAP, quiet=True) * 1000)
        # The rest of the answer renders next: let it finish before the next press.
        if not rig.voice.wait_until_prepared(timeout=RENDER_TIMEOUT):
            raise TimeoutError("a render did not finish")
    return measured


def run(quick: bool = False) -> list[Figure]:
    """Short and 60-word cold answers."""
    presses = 10 if quick else 40
    with (
        SoundTap() as tap,
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        running_spotter(Path(tmp) / "data", tap, prepare=False) as rig,
    ):
        short = cold_presses(rig, SHORT, presses)
        long = cold_presses(rig, SIXTY_WORDS, presses)
    figures = []
    for label, times in (
        (f"short line ({len(SHORT.split())} words)", short),
        ("60-word line", long),
    ):
        p50, p95 = p50_p95(times)
        figures.append(
            Figure(
                f"2. Press -> first audio bytes, cold {label} ({presses} presses)", p50, p95, "ms"
            )
        )
    return figures
