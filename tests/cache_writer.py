"""A process that renders speech into Spotter's WAV cache in a loop until it is killed.

It drives the voice's real render thread (``RenderQueue``) with real espeak-ng renders
into a real ``WavCache``. Run as ``python -m tests.cache_writer CACHE_DIR FIRST``: it
prints ``ready``, then the number of each line once its file is in the cache.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from device.voice.cache import WavCache
from device.voice.render_queue import RenderJob, RenderQueue
from device.voice.tts import Pyttsx3Renderer, VoiceSettings

SETTINGS = VoiceSettings()
LONG_EVERY = 4


def line_for(n: int) -> str:
    """Line ``n``: mostly short answers, every fourth a 60-word one (a big file)."""
    if n % LONG_EVERY == 0:
        return f"Line {n}. " + " ".join(["steady"] * 58)
    return f"Line {n}, set {n % 5 + 1} of five."


def main(argv: list[str]) -> int:
    cache_dir, first = Path(argv[0]), int(argv[1])
    renderer = Pyttsx3Renderer()
    # Start the engine now, so that the kill lands among renders rather than in start-up.
    renderer.voices()
    done = threading.Semaphore(0)

    def on_done(job: RenderJob, path: Path | None, error: str | None) -> None:
        if error is not None:
            print(f"error {error}", file=sys.stderr, flush=True)
        else:
            print(job.text.split()[1].strip(".,"), flush=True)
        done.release()

    queue = RenderQueue(renderer, WavCache(cache_dir), on_done=on_done, timeout=30.0)
    print("ready", flush=True)
    n = first
    while True:
        queue.request(RenderJob(line_for(n), SETTINGS), urgent=False)
        done.acquire()
        n += 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
