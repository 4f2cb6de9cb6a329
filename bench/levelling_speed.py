"""Levelling at compiled speed: every shipped line levelled by numpy (what the render
processes run) and by the pure-Python reference, from the same espeak-ng render.

Each routine's lines are rendered once; each render is levelled both ways, at 100 %
and at 200 % volume, and the two files compared sample for sample. The figure is
the numpy time per line; the reference's time is the baseline of the same run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from bench.report import Figure, p50_p95
from device.engine.preview import routine_lines
from device.voice import fast_levelling, levelling, loudness
from device.voice.tts import Pyttsx3Renderer, VoiceSettings
from device.voice.wav_samples import read_wav
from routines.validation import load_library

GAINS_DB = (0.0, 6.0)


def run(quick: bool = False) -> list[Figure]:
    lines = sorted({text for routine in load_library() for text in routine_lines(routine)})
    if quick:
        lines = lines[::4]
    renderer = Pyttsx3Renderer()
    reference_ms: list[float] = []
    numpy_ms: list[float] = []
    differing = 0
    furthest_lu = 0.0
    highest_peak = -float("inf")
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        root = Path(tmp)
        for n, text in enumerate(lines):
            raw = root / f"{n}.wav"
            renderer.render(text, VoiceSettings(), raw)
            for gain_db in GAINS_DB:
                reference, fast = root / "reference.wav", root / "numpy.wav"
                shutil.copy(raw, reference)
                shutil.copy(raw, fast)
                started = time.perf_counter()
                levelling.finish_and_level(reference, gain_db=gain_db)
                reference_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                fast_levelling.finish_and_level(fast, gain_db=gain_db)
                numpy_ms.append((time.perf_counter() - started) * 1000)
                differing += reference.read_bytes() != fast.read_bytes()
                if gain_db == 0.0:
                    levelled = read_wav(fast).channels
                    level = loudness.integrated_loudness(levelled, 22050)
                    furthest_lu = max(furthest_lu, abs(level - loudness.TARGET_LUFS))
                    highest_peak = max(highest_peak, loudness.peak_dbfs(levelled))
    p50, p95 = p50_p95(numpy_ms)
    ref50, ref95 = p50_p95(reference_ms)
    return [
        Figure(
            f"Level one shipped line with numpy ({len(lines)} lines x {len(GAINS_DB)} volumes)",
            p50,
            p95,
            "ms",
            baseline=f"pure Python: p50 {ref50:.1f} ms, p95 {ref95:.1f} ms",
            note=f"{sum(reference_ms) / sum(numpy_ms):.1f}x faster in all",
        ),
        Figure(
            "Lines levelled by numpy that differ from the pure-Python reference",
            float(differing),
            None,
            "files",
            target="0",
            passed=differing == 0,
            note=f"furthest from -16 LUFS {furthest_lu:.2f} LU, highest peak "
            f"{highest_peak:.2f} dBFS",
        ),
    ]
