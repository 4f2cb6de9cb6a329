"""The speech engine's process, except that its first render ever hangs for good.

Run as ``python -m tests.stuck_engine MARKER``: the first process to render creates
MARKER and then never answers (as espeak-ng did under a full disk); any later
process, finding MARKER, renders normally with the real engine.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from device.voice import render_child
from device.voice.tts import Pyttsx3Renderer


def main(marker: Path) -> None:
    if not marker.exists():

        def hang(self: Pyttsx3Renderer, *args: object) -> None:
            marker.write_text("hung")
            while True:
                signal.pause()

        Pyttsx3Renderer.render = hang  # type: ignore[method-assign]
    render_child.main()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
