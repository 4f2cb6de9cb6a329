"""Text to speech audio: the renderer seam and its pyttsx3/espeak-ng implementation.

A renderer turns one line into a WAV file and nothing else: playing it is the
player's job, so speech can be cut off at once and replayed from the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from routines.settings import Settings

log = logging.getLogger(__name__)

# What "" (the settings' default) means: espeak-ng's own English voice.
DEFAULT_VOICE = "en"
_ATTEMPTS = 2
_WAV_HEADER_BYTES = 44
_SETTLE_TIMEOUT = 2.0


# What marks a rep, a hold, a rest or a set: the words, a tone instead, or a tone before them.
CueSounds = Literal["words", "tones", "both"]


@dataclass(frozen=True, slots=True)
class VoiceSettings:
    """How Spotter sounds: espeak-ng voice id ("" = default English), words per minute,
    volume (1.0 = 100 %, up to 2.8) and how moments are marked."""

    voice_id: str = ""
    rate: int = 165
    volume: float = 1.0
    cue_sounds: CueSounds = "words"

    @classmethod
    def of(cls, settings: Settings) -> VoiceSettings:
        """The voice part of the device's settings."""
        return cls(
            voice_id=settings.voice_id,
            rate=settings.voice_rate,
            volume=settings.voice_volume,
            cue_sounds=cast(CueSounds, settings.cue_sounds),
        )


class RenderError(Exception):
    """A line could not be turned into audio."""


class Renderer(Protocol):
    """Writes speech to WAV files. Called from one thread only (the voice's render thread)."""

    @property
    def version(self) -> str:
        """Names the engine and its version; part of every cache key, so an upgrade re-renders."""
        ...

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Write ``text`` spoken with ``settings`` to the WAV ``target``; RenderError if not."""
        ...

    def voices(self) -> list[tuple[str, str]]:
        """The installed voices as ``(id, name)`` pairs."""
        ...


def _driver_print(*args: object, **kwargs: object) -> None:
    log.debug("espeak driver: %s", " ".join(str(a) for a in args))


def _engine_version() -> str:
    try:
        pyttsx3_version = metadata.version("pyttsx3")
    except metadata.PackageNotFoundError:
        return "pyttsx3 missing"
    try:
        from pyttsx3.drivers import _espeak

        espeak_version = _espeak.Info().decode("utf-8", "replace")
    except Exception:  # the library is missing or broken: rendering will say why
        espeak_version = "missing"
    return f"pyttsx3 {pyttsx3_version}, espeak-ng {espeak_version}"


class Pyttsx3Renderer:
    """Renders with pyttsx3's espeak driver, using only ``save_to_file`` + ``runAndWait``.

    espeak-ng is one synthesiser per process and pyttsx3 hands out one engine per
    driver, so every renderer in a process shares one session and renders one
    line at a time. Call it from a single thread (the voice's render thread):
    espeak-ng is not thread-safe. Nothing else in the process should create a
    pyttsx3 espeak engine: the driver takes over espeak-ng's single synthesis
    callback, so a second engine would steal this one's audio.
    """

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._timeout = timeout
        self._version: str | None = None

    @property
    def version(self) -> str:
        """pyttsx3's and espeak-ng's versions."""
        if self._version is None:
            self._version = _engine_version()
        return self._version

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Synthesise ``text`` into ``target`` (overwritten in place: give it a temporary name)."""
        if not text.strip():
            raise RenderError("there is nothing to say in an empty line")
        with _session_lock:
            _session().render(text, settings, target, self._timeout)

    def voices(self) -> list[tuple[str, str]]:
        """Every voice espeak-ng has installed, sorted by id."""
        with _session_lock:
            return _session().voices()


_session_lock = threading.Lock()
_sessions: list[_EspeakSession] = []


def _session() -> _EspeakSession:
    if not _sessions:
        _sessions.append(_EspeakSession())
    return _sessions[0]


class _LoopTime:
    """Stands in for the ``time`` module inside pyttsx3's espeak driver.

    The driver's run loop polls with ``time.sleep(0.01)``; here that sleep ends as
    soon as espeak-ng reports the line finished (its callback sets ``wake``), so a
    render returns when its audio is written, not up to 10 ms later.
    """

    def __init__(self, wake: threading.Event) -> None:
        self._wake = wake

    def sleep(self, seconds: float) -> None:
        if self._wake.is_set():
            # The line is done and espeak-ng's thread is about to end the loop: a
            # real (short) sleep lets it have the GIL instead of spinning against it.
            time.sleep(0.0002)
        else:
            self._wake.wait(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _EspeakSession:
    """The process's one pyttsx3 espeak engine, and what it has been set to.

    The driver runs espeak-ng asynchronously: the audio arrives on espeak-ng's
    own thread and ``runAndWait`` may return before it is written, so the end of
    a render is the ``finished-utterance`` callback. And whenever espeak-ng is
    still busy when ``runAndWait`` starts, the driver cancels it, which drops the
    queued voice settings (putting back those of the previous line) and can cut
    the line short. So settings are only sent when they change, espeak-ng is let
    finish applying them before each run, and a cancelled line is tried again.
    """

    def __init__(self) -> None:
        self._loop_wake = threading.Event()
        try:
            import pyttsx3
            from pyttsx3.drivers import _espeak
            from pyttsx3.drivers import espeak as espeak_driver

            # The driver print()s a line for every file it saves; Spotter's stdout
            # carries the spoken lines, so those go to the debug log instead.
            espeak_driver.print = _driver_print
            # Its run loop sleeps 10 ms between looks at espeak-ng, so every render
            # took at least that long; this session's loop wakes when the line is done.
            espeak_driver.time = _LoopTime(self._loop_wake)
            engine = pyttsx3.init("espeak")
        except Exception as err:  # missing module, missing libespeak-ng, failed init
            raise RenderError(f"pyttsx3 with espeak-ng is not available ({err})") from err
        self._engine: Any = engine
        self._espeak: Any = _espeak
        self._finished = threading.Event()
        self._completed = False
        self._cancelled = False
        self._errors: list[BaseException] = []
        self._applied: tuple[str, int, float] | None = None
        self._refused_voices: set[str] = set()
        engine.connect("finished-utterance", self._on_finished)
        engine.connect("error", self._on_error)
        if engine.isBusy():
            # A new engine queues settings until its first run; one empty run
            # (nothing is said yet) makes it apply them as they are set. The
            # driver's own start-up settings must be applied first, or the run
            # cancels espeak-ng and leaves a cancel pending for the next line.
            _espeak.Synchronize()
            engine.runAndWait()

    def render(self, text: str, settings: VoiceSettings, target: Path, timeout: float) -> None:
        for _ in range(_ATTEMPTS):
            self._apply(settings)
            if self._synthesise(text, target, timeout):
                return
            self._applied = None  # the cancel put older settings back
        raise RenderError("espeak-ng cancelled the line every time")

    def voices(self) -> list[tuple[str, str]]:
        return sorted((str(v.id), str(v.name)) for v in self._engine.getProperty("voices"))

    def _apply(self, settings: VoiceSettings) -> None:
        voice = settings.voice_id or DEFAULT_VOICE
        if voice in self._refused_voices:
            voice = DEFAULT_VOICE
        wanted = (voice, settings.rate, settings.volume)
        if wanted == self._applied:
            return
        engine = self._engine
        self._errors.clear()
        engine.setProperty("voice", voice)
        if self._errors and voice != DEFAULT_VOICE:
            self._refused_voices.add(voice)
            log.warning("voice %r is not installed; speaking with %r", voice, DEFAULT_VOICE)
            self._errors.clear()
            engine.setProperty("voice", DEFAULT_VOICE)
            wanted = (DEFAULT_VOICE, settings.rate, settings.volume)
        engine.setProperty("rate", settings.rate)
        engine.setProperty("volume", settings.volume)
        if self._errors:
            raise RenderError(f"espeak-ng refused the voice settings: {self._errors[0]}")
        self._settle()
        self._applied = wanted

    def _synthesise(self, text: str, target: Path, timeout: float) -> bool:
        """True once the line is in ``target``; False if espeak-ng cancelled it."""
        engine = self._engine
        self._finished.clear()
        self._loop_wake.clear()
        self._completed = False
        self._cancelled = False
        # Left over from another line, espeak-ng being busy would make the driver cancel.
        self._settle()
        engine.save_to_file(text, str(target))
        try:
            engine.runAndWait()
        except Exception as err:
            raise RenderError(f"espeak-ng failed on the line: {err}") from err
        finally:
            # When synthesis raises, pyttsx3 leaves the engine marked as running
            # and would refuse every later runAndWait().
            engine._inLoop = False
        if not self._finished.wait(timeout):
            raise RenderError("espeak-ng did not finish the line")
        # A cancel (reported as not completed) can land mid-line, and the line may
        # still be reported completed after it: cut short, or just a header.
        try:
            size = target.stat().st_size
        except OSError:
            return False
        return self._completed and not self._cancelled and size > _WAV_HEADER_BYTES

    def _settle(self) -> None:
        """Wait until espeak-ng's thread is idle. Its own ``Synchronize`` polls in 20 ms
        steps, and the thread is still winding down just after each line: that cost
        20 ms per render. Polling every half millisecond costs little more than the wait."""
        deadline = time.monotonic() + _SETTLE_TIMEOUT
        while self._espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.0005)

    def _on_finished(self, name: object = None, completed: bool = False) -> None:
        if completed:
            self._completed = True
        else:
            self._cancelled = True
        self._finished.set()
        self._loop_wake.set()

    def _on_error(self, name: object = None, exception: BaseException | None = None) -> None:
        if exception is not None:
            self._errors.append(exception)
