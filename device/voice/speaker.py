"""Spotter's voice: speaks lines from the WAV cache, cut short at once by a press.

The path from a press to sound is kept short on purpose: ``speak`` looks the
line up in a dict of cached files and starts the player in the caller's own
thread (about a millisecond). Rendering, hashing, disk checks and waiting for
the end of a line all happen on other threads: one render thread (espeak-ng is
process-global) and one waiter that starts the next queued line when a
playback ends. Nothing here raises to the caller or blocks it on audio: when
the engine or the sound device fails, one warning is logged and the lines are
still echoed, so a session never stops because of the voice.

With the natural engine chosen, the lines known in advance are also rendered
in the natural voice, in a worker process, and played from then on; a line
without natural audio yet is spoken at once in the classic voice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from device.engine.speech_time import estimate_seconds
from device.events import Heard, Line, Moment, Speech
from device.voice.audio_format import FRAME_BYTES, RATE, WAV_HEADER_BYTES
from device.voice.cache import WavCache
from device.voice.earcons import EarconRenderer, moment_of, moment_text
from device.voice.levelling import LevelledRenderer
from device.voice.mixer import HardwareVolume
from device.voice.natural_lines import NaturalLines
from device.voice.output import open_player
from device.voice.player import Playback, Player
from device.voice.render_process import VERSION_FILE, RenderProcesses, default_processes
from device.voice.render_queue import RETRY_FIRST, SPACE_FIRST, RenderJob, RenderQueue
from device.voice.tts import Renderer, VoiceSettings

__all__ = ["Voice", "VoiceSettings"]

log = logging.getLogger(__name__)

# A timed line that would start later than this after its time is dropped: a countdown
# number or "Halfway there" said seconds late misleads more than silence does.
LATE_CUE_SECONDS = 1.0
# Failing this long without one line rendered, the voice counts as silent.
SILENT_AFTER = 120.0


# A line's render and its levelling, in the engine's process: about 2 s for the routine's
# longest line on a Pi Zero 2 W; past this the engine is taken to be hung and restarted.
RENDER_TIMEOUT = 10.0


def cached_renderer(speech: Renderer, *, hardware_mixer: bool = False) -> Renderer:
    """What fills the cache: ``speech`` for lines, tones for moments, both levelled on the way."""
    return LevelledRenderer(EarconRenderer(speech), hardware_mixer=hardware_mixer)


@dataclass(frozen=True, slots=True)
class _Sound:
    """One sound in the queue: a line's words or its tone, and what it belongs to."""

    text: str
    drop_after: float | None  # clock time after which it is too late to say
    keep: bool  # it ends a hold or a rest, and is always said
    line: int | None = None  # the Line's id, for the reports of what was heard
    first: bool = True  # the first sound of its line
    last: bool = True  # the last sound of its line


SpeechSink = Callable[[Speech], None]


@dataclass(frozen=True, slots=True)
class VoiceProblem:
    """Why the voice makes no new speech; ``restart_helps`` is False for a full disk."""

    text: str
    restart_helps: bool


class Voice:
    """Speaks lines through a renderer, a WAV cache and an interruptible player."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        settings: VoiceSettings = VoiceSettings(),  # noqa: B008 - frozen, so sharing it is safe
        renderer: Renderer | None = None,
        player: Player | None = None,
        echo: Callable[[str], None] | None = None,
        audio_device: str = "default",
        render_timeout: float = RENDER_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
        natural: Renderer | None = None,
        hardware_volume: HardwareVolume | None = None,
        retry_first: float | None = None,
        space_first: float | None = None,
        silent_after: float = SILENT_AFTER,
        render_processes: int | None = None,
        shipped_cache: Path | None = None,
    ) -> None:
        """The renderer defaults to espeak-ng in processes of its own, ``render_processes``
        of them (one per core, at most four) rendering side by side; the retry and space
        delays are the render queue's (shorter in tests). ``shipped_cache``: audio rendered
        ahead (the package's), played wherever its key matches instead of rendering."""
        watchdog = render_timeout
        workers = 1
        on_idle: Callable[[], object] | None = None
        if renderer is None:
            processes = RenderProcesses(
                render_processes or default_processes(),
                timeout=render_timeout,
                version_file=cache_dir / VERSION_FILE,
                presumed_from=shipped_cache / VERSION_FILE if shipped_cache is not None else None,
            )
            # They end their own overruns; the queue's watchdog only backs that up.
            watchdog = processes.longest_call + 1.0
            workers, on_idle = processes.count, processes.rest
            renderer = processes
        self._renderer = cached_renderer(renderer, hardware_mixer=hardware_volume is not None)
        self._silent_after = silent_after
        self._hardware_volume = hardware_volume
        self._set_hardware_volume(settings.volume)
        self._player = player if player is not None else open_player(audio_device)
        self._echo = echo
        self._render_timeout = render_timeout
        self._clock = clock
        self._cache = WavCache(cache_dir, shipped=shipped_cache)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._settings = settings
        # What the audio is rendered with: the same, but with a card's control doing the
        # volume up to 100 %, every volume up to there renders (and caches) as 100 %.
        self._render_settings = self._as_rendered(settings)
        # text -> its cached file; after a settings change, the old audio until the new is in.
        self._ready: dict[str, str] = {}
        self._fresh: set[str] = set()  # the texts whose cached file has the current settings
        self._prepared: tuple[str, ...] = ()
        # Lines waiting their turn, each with the clock time after which it is dropped
        # and whether it ends a hold or a rest (and so is always said).
        self._queue: deque[_Sound] = deque()
        self._current: str | None = None  # the line being spoken, or waiting for its audio
        self._sound: _Sound | None = None  # what ``_current`` belongs to
        self._on_speech: SpeechSink | None = None
        self._sounding: set[int] = set()  # lines whose first sound has started
        # A line that cannot be played is reported as heard for as long as it would take
        # to say, one after another, from now on (the voice's own estimate).
        self._unplayed_until = float("-inf")
        self._awaiting: RenderJob | None = None  # the render the current line waits for
        self._playback: Playback | None = None
        self._started: deque[Playback] = deque()  # for the waiter, which reaps every one
        self._voices: list[tuple[str, str]] | None = None
        self._warned: set[str] = set()
        self._degraded = False
        self._closed = False
        self._renders = RenderQueue(
            self._renderer,
            self._cache,
            on_done=self._rendered,
            timeout=watchdog,
            on_disk_full=self._free_space,
            retry_first=RETRY_FIRST if retry_first is None else retry_first,
            space_first=SPACE_FIRST if space_first is None else space_first,
            workers=workers,
            on_idle=on_idle,
        )
        self._natural = (
            NaturalLines(
                LevelledRenderer(natural, hardware_mixer=hardware_volume is not None), self._cache
            )
            if natural is not None
            else None
        )
        self._speaks_natural = False
        self._waiter = threading.Thread(
            target=self._wait_for_playbacks, name="spotter-voice", daemon=True
        )
        self._waiter.start()

    def report_to(self, sink: SpeechSink | None) -> None:
        """Tell ``sink`` when each line with an id starts and stops being heard (on this
        voice's clock); it is called with the voice's lock held, so it must only queue."""
        with self._lock:
            self._on_speech = sink

    def seconds(self, text: str) -> float:
        """How long ``text`` takes to say: its cached audio's length, else an estimate."""
        path = self._ready.get(text)
        if path is not None:
            try:
                size = Path(path).stat().st_size
            except OSError:
                pass
            else:
                return max(0, size - WAV_HEADER_BYTES) / (RATE * FRAME_BYTES)
        return estimate_seconds(text, self._settings.rate)

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the voice's reports are on."""
        return self._clock

    @property
    def degraded(self) -> bool:
        """True once rendering or playing has failed (and been logged)."""
        return self._degraded

    def health(self) -> VoiceProblem | None:
        """What keeps the voice from making new speech, or None when it can."""
        health = self._renders.health()
        if health.paused_for_space:
            return VoiceProblem("paused, the disk is full", restart_helps=False)
        if health.failing_since is not None:
            silent = time.monotonic() - health.failing_since
            if silent >= self._silent_after:
                minutes = max(1, round(silent / 60))
                return VoiceProblem(
                    f"silent for {minutes} min, the speech engine keeps failing",
                    restart_helps=True,
                )
        return None

    @property
    def renderer(self) -> Renderer:
        """The speech engine in use."""
        return self._renderer

    def speak(self, lines: Sequence[Line], *, now: float | None = None) -> None:
        """Speak ``lines`` in order. If the first interrupts, whatever is being said stops and
        it starts now; otherwise they wait for the sentence in progress. Never blocks.

        ``now`` is the time on the clock the lines' ``due`` times are on, when that is not
        the voice's own: a timed line more than a second late is dropped."""
        shift = 0.0 if now is None else self._clock() - now
        with self._lock:
            if self._closed:
                return
            queued: list[_Sound] = []
            for line in lines:
                sounds = self._sounds_locked(line)
                if not sounds and line.id is not None:
                    self._unplayed_locked(line.text, line.id, first=True, last=True)
                queued += [
                    _Sound(
                        sound,
                        _drop_after(line, shift),
                        line.keep,
                        line.id,
                        first=i == 0,
                        last=i == len(sounds) - 1,
                    )
                    for i, sound in enumerate(sounds)
                ]
            if lines and lines[0].interrupt:
                self._silence_locked()
            elif any(line.keep for line in lines):
                # A hold or rest ends now: what was still waiting to be said (the rest of a
                # repeat) would only push its end later. The sentence in progress finishes.
                kept: deque[_Sound] = deque()
                for sound in self._queue:
                    if sound.keep:
                        kept.append(sound)
                    else:
                        self._discard_locked(sound)
                self._queue = kept
            self._queue.extend(queued)
            self._withdraw_moot_renders_locked()
            if self._current is None:
                self._advance_locked()
            # Render what the queue will need while the first line plays; a line that still
            # has audio from older settings is played as it is and rendered again behind.
            for text in [sound.text for sound in self._queue]:
                if text not in self._fresh and self._natural_path(text) is None:
                    job = RenderJob(text, self._render_settings)
                    self._renders.request(job, urgent=text not in self._ready)

    def stop(self) -> None:
        """Silence the line in progress and forget the queued ones."""
        with self._lock:
            self._silence_locked()
            self._withdraw_moot_renders_locked()

    def configure(self, settings: VoiceSettings) -> None:
        """Use new voice settings; prepared lines are rendered again, and until its new audio
        is in the cache, a line is spoken with its old audio (never a half-written file)."""
        with self._lock:
            if settings == self._settings:
                return
            if settings.volume != self._settings.volume:
                self._set_hardware_volume(settings.volume)
            self._settings = settings
            rendered = self._as_rendered(settings)
            if rendered == self._render_settings:
                return  # only the card's volume changed: the audio stays as it is
            self._render_settings = settings = rendered
            self._fresh.clear()
            prepared = self._prepared
        self._prepare(self._with_tones(prepared, settings), settings)
        self._prepare_natural(prepared, settings)

    def use_natural(self, natural: bool) -> None:
        """Speak in the natural voice where its audio is ready (True) or always in the
        classic voice (False). Without a natural renderer this logs once and stays classic."""
        if natural and self._natural is None:
            with self._lock:
                if "natural" not in self._warned:
                    self._warned.add("natural")
                    log.warning("the natural voice is not installed; the classic voice speaks")
            return
        with self._lock:
            if natural == self._speaks_natural:
                return
            self._speaks_natural = natural
            prepared, settings = self._prepared, self._render_settings
        self._prepare_natural(prepared, settings)

    def wait_until_natural(self, timeout: float | None = None) -> bool:
        """Wait until every natural render asked for is done; False on timeout."""
        if self._natural is None:
            return True
        started = time.monotonic()
        if not self._renders.wait_idle(timeout):  # the natural renders are asked for after
            return False
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        return self._natural.wait_idle(left)

    def prepare(self, texts: Iterable[str]) -> None:
        """Render these lines (and the tones, if they are wanted) in the background, after
        any line someone is waiting for."""
        unique = tuple(dict.fromkeys(text for text in texts if text.strip()))
        with self._lock:
            self._prepared = unique
            settings = self._render_settings
            wanted = self._with_tones(unique, settings)
            missing = tuple(text for text in wanted if text not in self._fresh)
        self._prepare(missing, settings)
        self._prepare_natural(unique, settings)

    def prepare_late(self, texts: Iterable[str]) -> None:
        """Render lines whose words were only just known (a summary, the week's count, the
        address) in the background: in the natural voice, when it is chosen, before the
        routine's lines still to render, so that the workout ends in the voice it began in;
        in the classic voice too, so that it can stand in at once."""
        unique = tuple(dict.fromkeys(text for text in texts if text.strip()))
        with self._lock:
            settings = self._render_settings
            missing = tuple(text for text in unique if text not in self._fresh)
            natural = self._natural if self._speaks_natural else None
        for text in missing:
            self._renders.request(RenderJob(text, settings), urgent=False)
        if natural is not None and unique:
            # Still behind the classic renders asked for so far, as every natural one is.
            self._renders.call(lambda: natural.prepare(unique, settings, urgent=True), urgent=False)

    def cached_audio(self, text: str) -> str | None:
        """The cached file ``text`` is spoken from now, if there is one."""
        with self._lock:
            return self._ready.get(text)

    def wait_until_prepared(self, timeout: float | None = None) -> bool:
        """Wait until every requested render is done; False on timeout."""
        return self._renders.wait_idle(timeout)

    def is_speaking(self) -> bool:
        """True while a line is playing, waiting for its audio, or queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def wait_until_quiet(self, timeout: float | None = None) -> bool:
        """Wait until every line has been spoken; False on timeout."""
        with self._lock:
            return self._changed.wait_for(
                lambda: self._current is None and not self._queue, timeout
            )

    def voices(self) -> list[tuple[str, str]]:
        """Installed voices as ``(id, name)`` pairs; empty if the engine is unavailable."""
        if self._voices is None:
            try:
                self._voices = list(
                    self._renders.call(self._renderer.voices).result(self._render_timeout)
                )
            except Exception as err:
                with self._lock:
                    self._fault_locked("voices", f"cannot list the installed voices ({err})")
                return []
        return list(self._voices)

    def close(self) -> None:
        """Silence everything and stop the voice's threads."""
        with self._lock:
            if self._closed:
                return
            self._silence_locked()
            self._closed = True
            self._changed.notify_all()
        self._renders.close()
        if self._natural is not None:
            self._natural.close()
        self._waiter.join(timeout=1.0)
        # The persistent output holds the sound device; a per-line player holds nothing.
        close_player = getattr(self._player, "close", None)
        if close_player is not None:
            close_player()
        close_renderer = getattr(self._renderer, "close", None)
        if close_renderer is not None:
            close_renderer()

    def _sounds_locked(self, line: Line) -> list[str]:
        """What the queue plays for ``line``: its words, its tone, or the tone then the words."""
        words = [line.text] if line.text.strip() else []
        style = self._settings.cue_sounds
        if line.moment is Moment.PRESS:  # the tick that answers a press at once, in every style
            return [moment_text(line.moment)]
        if line.moment is None or style == "words":
            return words
        if style == "tones" and line.moment.replaces_words:
            return [moment_text(line.moment)]
        return [moment_text(line.moment), *words]

    @staticmethod
    def _with_tones(texts: tuple[str, ...], settings: VoiceSettings) -> tuple[str, ...]:
        if settings.cue_sounds == "words":
            return (moment_text(Moment.PRESS), *texts)
        return tuple(dict.fromkeys([*(moment_text(moment) for moment in Moment), *texts]))

    def _as_rendered(self, settings: VoiceSettings) -> VoiceSettings:
        if self._hardware_volume is None or settings.volume >= 1.0:
            return settings
        return replace(settings, volume=1.0)

    def _set_hardware_volume(self, volume: float) -> None:
        if self._hardware_volume is None:
            return
        try:
            self._hardware_volume.set(min(volume, 1.0))
        except Exception as err:  # the card went away: software gain still works above 100 %
            log.warning("cannot set the sound card's volume (%s)", err)

    def _prepare(self, texts: tuple[str, ...], settings: VoiceSettings) -> None:
        for text in texts:
            self._renders.request(RenderJob(text, settings), urgent=False)
        if texts:
            self._renders.call(self._prune, urgent=False)

    def _prepare_natural(self, texts: tuple[str, ...], settings: VoiceSettings) -> None:
        if self._natural is None or not self._speaks_natural:
            return
        natural = self._natural
        # Queued behind every classic render asked for so far: the natural voice starts
        # once the classic cache is whole, and never holds up a classic line.
        self._renders.call(lambda: natural.prepare(texts, settings), urgent=False)

    def _natural_path(self, text: str) -> str | None:
        if self._natural is None or not self._speaks_natural:
            return None
        return self._natural.path(text)

    def _prune(self) -> None:
        with self._lock:
            keep = {Path(path) for path in self._ready.values()}
        if self._natural is not None:
            keep |= self._natural.kept()
        try:
            removed = self._cache.prune(keep)
        except OSError as err:
            log.info("could not tidy the speech cache: %s", err)
            return
        if removed:
            log.info("removed %d old files from the speech cache", removed)

    def _free_space(self) -> None:
        """The disk is full: keep the audio of the routine and of what is being said, and
        let the cache delete the rest (forgotten here, so nothing plays a deleted file)."""
        with self._lock:
            needed = {*self._prepared, *(sound.text for sound in self._queue), self._current}
            for text in [t for t in self._ready if t not in needed]:
                del self._ready[text]
                self._fresh.discard(text)
            keep = {Path(path) for path in self._ready.values()}
        removed = self._cache.free_space(keep)
        log.warning("the disk is full: removed %d speech files not needed now", removed)

    def _withdraw_moot_renders_locked(self) -> None:
        """A press cut what was waiting to be said: its renders must not hold up the new
        answer (they go to the back of the background queue)."""
        needed = {sound.text for sound in self._queue}
        if self._current is not None:
            needed.add(self._current)
        self._renders.keep_urgent(lambda job: job.text in needed)

    def _silence_locked(self) -> None:
        queued, self._queue = self._queue, deque()
        if self._sound is not None:
            self._discard_locked(self._sound)
        for sound in queued:
            self._discard_locked(sound)
        self._current = None
        self._sound = None
        self._awaiting = None
        self._unplayed_until = float("-inf")
        if self._playback is not None:
            self._playback.stop()
            self._playback = None
        self._changed.notify_all()

    # -- what was heard ----------------------------------------------------------------------

    def _report_locked(self, line: int, heard: Heard, at: float) -> None:
        if self._on_speech is None:
            return
        try:
            self._on_speech(Speech(line, heard, at))
        except Exception:
            log.exception("a report of what was heard could not be passed on")

    def _started_locked(self, sound: _Sound, at: float) -> None:
        if sound.line is not None and sound.first:
            self._sounding.add(sound.line)
            self._report_locked(sound.line, Heard.STARTED, at)

    def _ended_locked(self, sound: _Sound, at: float) -> None:
        if sound.line is not None and sound.last:
            self._sounding.discard(sound.line)
            self._report_locked(sound.line, Heard.ENDED, at)

    def _discard_locked(self, sound: _Sound) -> None:
        """``sound`` will not be played (cut, or too late): its line ends, or never sounded."""
        if sound.line is None or not sound.last:
            return
        if sound.line in self._sounding:
            self._ended_locked(sound, self._clock())
        else:
            self._report_locked(sound.line, Heard.DROPPED, self._clock())

    def _unplayed_locked(self, text: str, line: int | None, *, first: bool, last: bool) -> None:
        """A sound that cannot be played (only printed): reported as heard for as long as
        its words take to say, after the ones before it, so the count of a question or the
        start of a rest keeps a speaking pace."""
        if line is None:
            return
        start = max(self._clock(), self._unplayed_until)
        end = start + estimate_seconds(text, self._settings.rate)
        self._unplayed_until = end
        sound = _Sound(text, None, False, line, first=first, last=last)
        self._started_locked(sound, start)
        self._ended_locked(sound, end)

    def _advance_locked(self) -> None:
        """Start the next queued line: from the cache at once, else once it is rendered."""
        while self._queue:
            sound = self._queue.popleft()
            text = sound.text
            if sound.drop_after is not None and self._clock() > sound.drop_after:
                log.debug("dropped a timed line that came too late: %s", text)
                self._discard_locked(sound)
                continue
            self._current = text
            self._sound = sound
            natural = self._natural_path(text)
            path = natural or self._ready.get(text)
            if path is not None and self._play_locked(path):
                self._echo_locked(text)
                self._said_in_locked(text, natural=natural is not None)
                return
            job = RenderJob(text, self._render_settings)
            if path is None and self._renders.request(job, urgent=True):
                self._awaiting = job
                self._echo_locked(text)
                return
            if path is None:
                self._fault_locked("hang", "the speech engine is not answering")
            self._echo_locked(text)
            self._unplayed_locked(text, sound.line, first=sound.first, last=sound.last)
        self._current = None
        self._sound = None
        self._changed.notify_all()

    def _play_locked(self, path: str) -> bool:
        try:
            playback = self._player.start(path)
        except Exception as err:
            self._fault_locked("player", f"cannot play speech ({err})")
            return False
        self._playback = playback
        self._started.append(playback)
        if self._sound is not None:
            self._unplayed_until = float("-inf")
            self._started_locked(self._sound, getattr(playback, "started_at", self._clock()))
        self._changed.notify_all()
        return True

    @staticmethod
    def _said_in_locked(text: str, *, natural: bool) -> None:
        """Log which voice a line plays in (debug): a workout meant to be in the natural
        voice can be checked line by line."""
        if moment_of(text) is None and log.isEnabledFor(logging.DEBUG):
            log.debug("said in the %s voice: %s", "natural" if natural else "classic", text)

    def _echo_locked(self, text: str) -> None:
        if self._echo is None or moment_of(text) is not None:
            return
        try:
            self._echo(text)
        except Exception:
            log.exception("the echo of a spoken line failed")

    def _fault_locked(self, kind: str, message: str) -> None:
        self._degraded = True
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s; lines are still shown, and Spotter carries on", message)

    def _rendered(self, job: RenderJob, path: Path | None, error: str | None) -> None:
        with self._lock:
            if error is not None:
                self._fault_locked("hang" if self._renders.hung else "render", error)
            if self._closed:
                return
            if path is not None and job.settings == self._render_settings:
                self._ready[job.text] = str(path)
                self._fresh.add(job.text)
            awaiting = self._awaiting
            # Any render of the awaited text will do; only its own failure ends the wait.
            if awaiting is None or job.text != awaiting.text or (path is None and job != awaiting):
                return
            self._awaiting = None
            if path is not None and self._play_locked(str(path)):
                self._said_in_locked(job.text, natural=False)
            else:
                sound = self._sound
                if sound is not None:
                    self._unplayed_locked(
                        sound.text, sound.line, first=sound.first, last=sound.last
                    )
                self._advance_locked()

    def _wait_for_playbacks(self) -> None:
        while True:
            with self._lock:
                while not self._started and not self._closed:
                    self._changed.wait()
                if not self._started:
                    return
                playback = self._started.popleft()
            problem = playback.wait()
            with self._lock:
                if playback is not self._playback:
                    continue  # cut short by speak() or stop()
                self._playback = None
                if self._sound is not None:
                    self._ended_locked(self._sound, self._clock())
                    self._sound = None
                if problem is not None:
                    # The file may be what failed: check it again next time.
                    if self._current is not None:
                        self._ready.pop(self._current, None)
                        self._fresh.discard(self._current)
                    self._fault_locked("player", problem)
                self._advance_locked()


def _drop_after(line: Line, shift: float) -> float | None:
    """When (on the voice's clock) a timed line is too late to say; None for lines that are
    always said."""
    if line.due is None or line.keep:
        return None
    return line.due + shift + LATE_CUE_SECONDS
