"""``python -m device.voice.natural_worker``: renders lines in the natural voice, then exits.

A separate, short-lived process, so that the model (about 100-130 MB resident
while it works, with its word tables on disk: ``--tables``) never lives in the
daemon, and a crash or a hang here costs the daemon nothing but this process. Of
the daemon's modules it imports only the word tables and the levelling (on numpy,
which the engine loads anyway), so that a line's samples are levelled here and
never held by the daemon.

The protocol is one JSON object per line. The first line written to stdout says
whether the engine loaded: ``{"ready": true, "engine": ..., "load_seconds": ...}``
or ``{"ready": false, "error": ...}`` (then the exit status is 3). Each request
read from stdin, ``{"text": ..., "target": ..., "speed": ..., "volume": ...,
"rate": ..., "level_db": ...}`` (``level_db``, if given, levels the WAV to the
target loudness plus that gain),
is answered with ``{"ok": true, "seconds": ..., "audio_seconds": ...,
"peak_rss_kb": ...}`` once ``target`` holds the WAV, or ``{"ok": false,
"error": ...}``. The worker leaves when stdin closes or after ``--idle``
seconds without a request.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# The one voice that ships inside the package: nothing is ever downloaded.
VOICE = "heart"
MISSING = 3


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def _peak_rss_kb() -> int:
    # VmHWM counts this program only; ru_maxrss would also count the process it was
    # forked from, before it ran this program.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _session(model: str) -> Any:
    """The model's onnxruntime session, kept small: one thread, and no memory arena or
    planned pattern, which hold the largest line's buffers for the worker's whole life
    (a line is rendered in a few tenths of a second; its buffers are freed after it)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class _Engine:
    def __init__(self, tables: Path | None) -> None:
        from hibari import __version__

        self.version = f"hibari-tts {__version__}"
        g2p = None
        if tables is not None:
            from device.voice import natural_tables

            g2p = natural_tables.ready_g2p(natural_tables.tables_file(tables, self.version))
        from hibari import SAMPLE_RATE, Hibari
        from hibari.tts import ASSETS
        from hibari.voices import voice_path

        self.rate = int(SAMPLE_RATE)
        # Hibari's own constructor opens a session with its arena on: build it around ours.
        tts = Hibari.__new__(Hibari)
        tts.voice = VOICE
        tts.model_path = voice_path(VOICE, download_missing=False)
        tts.sess = _session(tts.model_path)
        tts.vocab = json.loads((Path(ASSETS) / "vocab.json").read_text(encoding="utf-8"))
        tts._g2p = g2p
        self._tts = tts

    def render(self, text: str, speed: float, volume: float, rate: int, target: str) -> float:
        import numpy as np

        # A fixed seed: the same line always sounds the same, as espeak-ng's does.
        audio = self._tts(text, speed=speed, seed=0) * volume
        if audio.size == 0:
            raise ValueError("the engine produced no audio")
        seconds = float(audio.size) / self.rate
        if rate != self.rate:
            # Band-limited, through the spectrum: here numpy is at hand, and the daemon is
            # spared resampling in pure Python.
            count = round(audio.size * rate / self.rate)
            spectrum = np.fft.rfft(audio)[: count // 2 + 1]
            audio = np.fft.irfft(spectrum, n=count) * (count / audio.size)
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
        with wave.open(target, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(pcm.tobytes())
        return seconds


def _requests(fd: int, idle: float) -> Iterator[dict[str, Any]]:
    """Yield each request until stdin closes or stays quiet for ``idle`` seconds."""
    pending = b""
    while True:
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield json.loads(line)
        ready, _, _ = select.select([fd], [], [], idle)
        if not ready:
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        pending += chunk


def serve(source: int, out: IO[str], idle: float, tables: Path | None = None) -> int:
    """Load the engine, then answer requests until there are none; the exit status.
    ``tables``: the directory of the spelling-to-sound tables on disk (None: in memory)."""
    began = time.perf_counter()
    try:
        engine = _Engine(tables)
    except ImportError as err:
        _send(out, {"ready": False, "error": f"hibari-tts is not installed ({err})"})
        return MISSING
    except Exception as err:
        _send(out, {"ready": False, "error": f"the natural voice did not load ({err})"})
        return MISSING
    _send(
        out,
        {
            "ready": True,
            "engine": engine.version,
            "load_seconds": time.perf_counter() - began,
            "peak_rss_kb": _peak_rss_kb(),
        },
    )
    for request in _requests(source, idle):
        started = time.perf_counter()
        try:
            audio_seconds = engine.render(
                str(request["text"]),
                float(request.get("speed", 1.0)),
                float(request.get("volume", 1.0)),
                int(request.get("rate", engine.rate)),
                str(request["target"]),
            )
            if request.get("level_db") is not None:
                from device.voice.fast_levelling import finish_and_level

                finish_and_level(Path(request["target"]), gain_db=float(request["level_db"]))
        except Exception as err:
            _send(out, {"ok": False, "error": str(err) or type(err).__name__})
            continue
        _send(
            out,
            {
                "ok": True,
                "seconds": time.perf_counter() - started,
                "audio_seconds": audio_seconds,
                "peak_rss_kb": _peak_rss_kb(),
            },
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m device.voice.natural_worker")
    parser.add_argument(
        "--idle", type=float, default=10.0, help="leave after this many quiet seconds"
    )
    parser.add_argument(
        "--tables",
        type=Path,
        default=None,
        help="keep the spelling-to-sound tables in an SQLite file in this directory",
    )
    args = parser.parse_args(argv)
    # The protocol owns stdout: anything a library prints goes to stderr instead.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    return serve(sys.stdin.fileno(), protocol, args.idle, args.tables)


if __name__ == "__main__":
    sys.exit(main())
