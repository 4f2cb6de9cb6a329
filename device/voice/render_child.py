"""The speech engine's own process: pyttsx3 with espeak-ng, driven over a pipe.

Run as ``python -m device.voice.render_child``. It answers one JSON line on stdout for each
JSON line on stdin: ``{"op": "render", "text", "voice_id", "rate", "volume", "target"}``
writes a WAV, and with ``"level_db"`` also levels it to the target loudness plus that
gain, with numpy (so the daemon never holds a line's samples, nor numpy itself);
``{"op": "voices"}`` lists the voices. The first line it writes says it is ready and
names the engine's version. A render that hangs is ended by killing this process,
which a thread inside the daemon could never do.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from device.voice.audio_format import FormatError
from device.voice.fast_levelling import finish_and_level
from device.voice.tts import Pyttsx3Renderer, RenderError, VoiceSettings
from device.voice.wav_samples import WavFormatError


def _answer(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def serve(requests: TextIO, out: TextIO) -> None:
    renderer = Pyttsx3Renderer()
    try:
        version = renderer.version
        renderer.voices()  # starts espeak-ng now, so the first line is not also its start-up
    except RenderError as err:
        _answer(out, {"error": str(err)})
        return
    _answer(out, {"ready": version})
    for line in requests:
        try:
            request = json.loads(line)
            if request["op"] == "voices":
                _answer(out, {"voices": renderer.voices()})
                continue
            settings = VoiceSettings(
                str(request["voice_id"]), int(request["rate"]), float(request["volume"])
            )
            target = Path(request["target"])
            renderer.render(str(request["text"]), settings, target)
            if request.get("level_db") is not None:
                finish_and_level(target, gain_db=float(request["level_db"]))
            _answer(out, {"ok": True})
        except (RenderError, OSError, KeyError, TypeError, ValueError) as err:
            _answer(out, {"error": str(err) or type(err).__name__})
        except (FormatError, WavFormatError) as err:
            _answer(out, {"error": str(err) or type(err).__name__})


def _one_line(unraisable: Any) -> None:
    # The driver raises inside espeak-ng's callback (a full disk under the WAV): Python
    # can only print that, so print one line of it, not a traceback in the journal.
    print(f"speech engine: {unraisable.exc_value}", file=sys.stderr, flush=True)


def main() -> None:
    # The answers need a clean channel: keep the pipe on a fd of its own and send
    # anything the libraries print to stdout into stderr (the daemon's log) instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.unraisablehook = _one_line
    serve(sys.stdin, out)


if __name__ == "__main__":
    main()
