"""The speech engines Spotter can render with, by the name settings and commands use.

``classic`` is espeak-ng through pyttsx3, always there. ``natural`` is a neural
voice installed as an extra; until it is installed, asking for it says how to
get it.
"""

from __future__ import annotations

from device.voice.tts import Pyttsx3Renderer, Renderer

ENGINES = ("classic", "natural")


class EngineUnavailable(Exception):
    """The engine asked for is not installed here."""


def open_engine(name: str) -> Renderer:
    """A renderer for the engine called ``name``; EngineUnavailable if it is not here."""
    if name == "classic":
        return Pyttsx3Renderer()
    if name == "natural":
        from device.voice.natural import NaturalRenderer, natural_installed

        if natural_installed():
            return NaturalRenderer()
        raise EngineUnavailable(
            "the natural voice is not installed here "
            "(install it with: pip install 'spotter-coach[natural-voice]')"
        )
    raise EngineUnavailable(f"no engine is called {name!r} (known: {', '.join(ENGINES)})")
