"""A real Spotter in this process, wired as ``spotter run`` wires it, with stop-watches on it.

Every part is the shipped one: gpiozero's ``MockFactory`` pin under the real
``ButtonInput``, the daemon's worker thread, the engine, the WAV cache, espeak-ng
through pyttsx3, and the persistent ALSA output playing into a ``SoundTap``,
where a separate process timestamps the first samples of each answer. One thing
is added for measuring: a hand-moved clock for the button's edge timestamps, so
that presses can follow each other as fast as the machine allows while the
gesture rules still see them 0.6 s apart.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from bench.daemon_proc import without_checkins
from bench.sound_tap import SoundTap
from device.events import Action, State
from device.service.build import Parts, build
from device.service.config import Config
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.alsa_player import AlsaPlayer
from device.voice.speaker import Voice
from device.voice.tts import VoiceSettings
from routines.store import Store
from routines.validation import parse_routine

PIN = 17
# Long enough for the worker to answer an edge and write its progress: a finger is
# never faster than this, and the next press should not queue behind that write.
SETTLE = 0.02
ANSWER_TIMEOUT = 10.0


class Rig:
    """A started Spotter on a mock pin, and a finger that presses it and times the answer."""

    def __init__(
        self,
        spotter: Spotter,
        voice: Voice,
        tap: SoundTap,
        clock: FakeClock,
        factory: MockFactory,
        store: Store,
    ) -> None:
        self.spotter = spotter
        self.voice = voice
        self.tap = tap
        self.clock = clock
        self.store = store
        self._pin = factory.pin(PIN)

    def release_to_audio(
        self, down: float, gap: float = 0.6, *, quiet: bool = False, answer: bytes = b""
    ) -> float:
        """Hold the button ``down`` seconds (hand clock), release it and return the real
        seconds from the release edge to the answer's first samples at the sound device.
        ``quiet``: silence whatever is still playing first, so the press finds the device
        idle; otherwise the press cuts the line still playing, as a user's would.
        ``answer``: the first samples of the expected answer, to tell it from the cut line."""
        if quiet:
            self.voice.stop()
        self._pin.drive_low()
        time.sleep(SETTLE)
        self.clock.advance(down)
        mark = time.perf_counter()
        self._pin.drive_high()
        started = self.tap.first_after(mark, ANSWER_TIMEOUT, starting=answer)
        self.clock.advance(gap)
        time.sleep(SETTLE)
        return started - mark

    def first_samples(self, text: str, size: int = 256) -> bytes:
        """The first ``size`` bytes of samples the voice plays for ``text``."""
        with self.cached_audio(text).open("rb") as wav:
            wav.seek(44)
            return wav.read(size)

    def cached_audio(self, text: str) -> Path:
        """The WAV the voice plays for ``text``."""
        path = self.voice.cached_audio(text)
        if path is None:
            raise LookupError(f"{text!r} is not in the cache")
        return Path(path)

    def hold_answering_with(self, cue: str) -> None:
        """Make every press answer with ``cue``: a routine of one long hold whose first cue
        it is, the press mapped to "repeat", and the session brought into that hold."""
        routine = parse_routine(
            {
                "id": "bench-hold",
                "name": "Bench hold",
                "exercises": [{"name": "Long hold", "sets": 1, "hold_seconds": 600, "cues": [cue]}],
            }
        )
        self.store.save_routine(routine)
        self.store.set_active_routine(routine.id)
        self.store.update_settings({"gesture_actions": {"press": "repeat", "double": "next"}})
        self.spotter.reload()
        self.spotter.act(Action.END)  # a workout in progress ends; idle stays idle
        if self.wait_for_state(State.IDLE, State.DONE) is State.DONE:
            self.spotter.act(Action.NEXT)  # leave the summary
            self.wait_for_state(State.IDLE)
        for _ in range(3):  # start, announce the set, start the hold
            self.spotter.act(Action.NEXT)
        self.wait_for_state(State.HOLD)

    def wait_for_state(self, *states: State, timeout: float = ANSWER_TIMEOUT) -> State:
        """Wait until the engine's status shows one of ``states``; returns it."""
        deadline = time.monotonic() + timeout
        seen = -1
        while (state := self.spotter.status().state) not in states:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"Spotter stayed {state}, not one of {states}")
            seen, _ = self.spotter.wait_for_change(seen, left)
        return state


class UnpreparedVoice(Voice):
    """The real voice, except that nothing is rendered ahead and a settings change forgets
    the old audio: every new line, and every line after a change, is cold."""

    def prepare(self, texts: Iterable[str]) -> None:
        """Render nothing ahead."""

    def configure(self, settings: VoiceSettings) -> None:
        """Take the settings, and speak nothing from older ones."""
        super().configure(settings)
        with self._lock:
            self._ready.clear()


@contextmanager
def running_spotter(data_dir: Path, tap: SoundTap, *, prepare: bool = True) -> Iterator[Rig]:
    """Spotter on ``data_dir`` as ``spotter run`` builds it, playing into ``tap``, started,
    its routine rendered (or, with ``prepare=False``, nothing rendered ahead)."""
    player = AlsaPlayer(tap.device)
    voice_class = Voice if prepare else UnpreparedVoice
    voice = voice_class(data_dir / "voice-cache", player=player)
    clock = FakeClock()
    factory = MockFactory()
    # The figures are about the button: a check-in's answer waits for its count to come
    # round, which runs on the rig's hand clock, and so would never come.
    without_checkins(data_dir)
    built = build(
        Config(data_dir=data_dir, button_pin=PIN),
        Parts(pin_factory=factory, voice=voice),
        clocks=Clocks(monotonic=clock),
    )
    spotter = built.worker
    try:
        if not voice.wait_until_prepared(timeout=300):
            raise TimeoutError("the routine's lines were not rendered")
        spotter.start()
        voice.wait_until_quiet(timeout=ANSWER_TIMEOUT)
        yield Rig(spotter, voice, tap, clock, factory, built.store)
    finally:
        built.close()
        factory.close()
