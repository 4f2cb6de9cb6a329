"""Levelling: what bringing a line to -16 LUFS costs next to rendering it, and how even the
shipped routine's lines come out.

Every line of the lower-back routine is rendered by espeak-ng through pyttsx3
(the baseline: what a line costs without levelling), then levelled as the
cache does it, and measured before and after with the project's BS.1770 meter.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.report import Figure, p50_p95
from device.engine.preview import routine_lines
from device.voice import loudness
from device.voice.levelling import level_wav
from device.voice.tts import Pyttsx3Renderer, VoiceSettings
from device.voice.wav_samples import read_wav
from routines.validation import load_library


def _measure(path: Path) -> tuple[float, float]:
    audio = read_wav(path)
    return (
        loudness.integrated_loudness(audio.channels, audio.rate),
        audio.seconds,
    )


def run(quick: bool = False) -> list[Figure]:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    lines = sorted(routine_lines(routine))
    if quick:
        lines = lines[::4]
    renderer = Pyttsx3Renderer()
    render_ms: list[float] = []
    level_ms: list[float] = []
    before: list[float] = []
    after: list[float] = []
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        for n, text in enumerate(lines):
            path = Path(tmp) / f"{n}.wav"
            started = time.perf_counter()
            renderer.render(text, VoiceSettings(), path)
            rendered = time.perf_counter()
            level, length = _measure(path)
            measured = time.perf_counter()
            level_wav(path)
            level_ms.append((time.perf_counter() - measured) * 1000)
            render_ms.append((rendered - started) * 1000)
            before.append(level)
            after.append(_measure(path)[0])
            seconds += length
    render50, render95 = p50_p95(render_ms)
    level50, level95 = p50_p95(level_ms)
    miss = max(abs(x - loudness.TARGET_LUFS) for x in after)
    spread = max(after) - min(after)
    return [
        Figure(
            f"Level one routine line (-16 LUFS, limiter), {len(lines)} lines",
            level50,
            level95,
            "ms",
            baseline=f"rendering it: p50 {render50:.1f} ms, p95 {render95:.1f} ms",
            note=f"{sum(level_ms) / seconds:.1f} ms per second of audio "
            f"({seconds:.0f} s of audio in all)",
        ),
        Figure(
            "Levelled lines: furthest from -16 LUFS",
            miss,
            None,
            "LU",
            target="<= 1 LU",
            passed=miss <= 1.0,
            baseline=f"as rendered: {min(before):.1f} to {max(before):.1f} LUFS",
        ),
        Figure(
            "Levelled lines: spread across the routine",
            spread,
            None,
            "LU",
            target="<= 1 LU",
            passed=spread <= 1.0,
            baseline=f"as rendered: {max(before) - min(before):.1f} LU",
        ),
    ]
