"""Levelling: what bringing a line to -16 LUFS costs next to rendering it, and how even the
shipped routine's lines come out.

Every line of the lower-back routine is rendered by espeak-ng through pyttsx3
(the baseline: what a line costs without levelling), then levelled as the
cache does it, and measured before and after with the project's BS.1770 meter.
With the natural-voice extra installed its lines are rendered and levelled too,
and the spread is taken over both voices' lines together: a workout can play
one voice's line after the other's. Last, the lines go the way the daemon
renders them: through espeak-ng's own process, which levels them there, timed
per line, with that process's peak memory.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Figure, p50_p95
from device.engine.preview import routine_lines
from device.voice import loudness
from device.voice.levelling import level_wav
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.render_process import ProcessRenderer
from device.voice.speaker import cached_renderer
from device.voice.tts import Pyttsx3Renderer, Renderer, VoiceSettings
from device.voice.wav_samples import read_wav
from routines.validation import load_library


def _measure(path: Path) -> tuple[float, float]:
    audio = read_wav(path)
    return (
        loudness.integrated_loudness(audio.channels, audio.rate),
        audio.seconds,
    )


@dataclass
class _Levels:
    """One engine's lines: their loudness as rendered and levelled, and what each step cost."""

    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    render_ms: list[float] = field(default_factory=list)
    level_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _level_all(renderer: Renderer, lines: list[str], directory: Path) -> _Levels:
    levels = _Levels()
    for n, text in enumerate(lines):
        path = directory / f"{n}.wav"
        started = time.perf_counter()
        renderer.render(text, VoiceSettings(), path)
        rendered = time.perf_counter()
        level, length = _measure(path)
        measured = time.perf_counter()
        level_wav(path)
        levels.level_ms.append((time.perf_counter() - measured) * 1000)
        levels.render_ms.append((rendered - started) * 1000)
        levels.before.append(level)
        levels.after.append(_measure(path)[0])
        levels.seconds += length
    return levels


def _furthest(name: str, levels: _Levels) -> Figure:
    miss = max(abs(x - loudness.TARGET_LUFS) for x in levels.after)
    return Figure(
        f"Levelled {name} lines: furthest from -16 LUFS",
        miss,
        None,
        "LU",
        target="<= 1 LU",
        passed=miss <= 1.0,
        baseline=f"as rendered: {min(levels.before):.1f} to {max(levels.before):.1f} LUFS",
    )


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def _through_the_process(lines: list[str], directory: Path) -> Figure:
    """Each line rendered and levelled in espeak-ng's process, as the daemon has it done."""
    engine = ProcessRenderer()
    renderer = cached_renderer(engine)
    try:
        renderer.render("Ready.", VoiceSettings(), directory / "warm.wav")  # the start-up
        times: list[float] = []
        for n, text in enumerate(lines):
            started = time.perf_counter()
            renderer.render(text, VoiceSettings(), directory / f"p{n}.wav")
            times.append((time.perf_counter() - started) * 1000)
        assert engine.pid is not None
        peak = _peak_rss_mb(engine.pid)
    finally:
        engine.close()
    p50, p95 = p50_p95(times)
    return Figure(
        "Render and level a line in espeak-ng's process (the daemon's way)",
        p50,
        p95,
        "ms",
        note=f"that process's peak memory: {peak:.1f} MB",
    )


def run(quick: bool = False) -> list[Figure]:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    lines = sorted(routine_lines(routine))
    if quick:
        lines = lines[::4]
    engines: dict[str, Renderer] = {"espeak-ng": Pyttsx3Renderer()}
    if natural_installed():
        engines["natural (hibari-tts)"] = NaturalRenderer()
    measured: dict[str, _Levels] = {}
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        for n, (name, renderer) in enumerate(engines.items()):
            directory = Path(tmp) / str(n)
            directory.mkdir()
            try:
                measured[name] = _level_all(renderer, lines, directory)
            finally:
                close = getattr(renderer, "close", None)
                if close is not None:
                    close()
        through = _through_the_process(lines, Path(tmp))
    classic = measured["espeak-ng"]
    render50, render95 = p50_p95(classic.render_ms)
    level50, level95 = p50_p95(classic.level_ms)
    before = [x for levels in measured.values() for x in levels.before]
    after = [x for levels in measured.values() for x in levels.after]
    spread = max(after) - min(after)
    every = " and ".join(measured)
    return [
        Figure(
            f"Level one routine line (-16 LUFS, limiter), {len(lines)} lines",
            level50,
            level95,
            "ms",
            baseline=f"rendering it: p50 {render50:.1f} ms, p95 {render95:.1f} ms",
            note=f"{sum(classic.level_ms) / classic.seconds:.1f} ms per second of audio "
            f"({classic.seconds:.0f} s of audio in all)",
        ),
        *(_furthest(name, levels) for name, levels in measured.items()),
        Figure(
            f"Levelled lines: spread across the routine ({every})",
            spread,
            None,
            "LU",
            target="<= 1 LU",
            passed=spread <= 1.0,
            baseline=f"as rendered: {max(before) - min(before):.1f} LU",
        ),
        through,
    ]
