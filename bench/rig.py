"""A real Spotter in this process, wired as ``spotter run`` wires it, with stop-watches on it.

Every part is the shipped one: gpiozero's ``MockFactory`` pin under the real
``ButtonInput``, the daemon's worker thread, the engine, the WAV cache, espeak-ng
through pyttsx3, and ``aplay -D null``. Two things are added for measuring: a
player wrapper that notes when each ``aplay`` has started, and a hand-moved clock
for the button's edge timestamps, so that presses can follow each other as fast
as the machine allows while the gesture rules still see them 0.6 s apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from device.hardware.button import ButtonInput
from device.service.worker import Spotter
from device.events import Action, State
from device.voice.player import AplayPlayer, Playback, Player
from device.voice.speaker import Voice
from routines.store import Store
from routines.validation import parse_routine
from tests.fakes import FakeClock

PIN = 17
# Long enough for the worker to answer an edge and write its progress: a finger is
# never faster than this, and the next press should not queue behind that write.
SETTLE = 0.02
ANSWER_TIMEOUT = 10.0


class StampingPlayer:
    """The real player; notes the moment each playback's process exists."""

    def __init__(self, inner: Player) -> None:
        self._inner = inner
        self._cond = threading.Condition()
        self.starts: list[float] = []

    def start(self, path: str) -> Playback:
        """Start the real player, then note the time."""
        playback = self._inner.start(path)
        now = time.perf_counter()
        with self._cond:
            self.starts.append(now)
            self._cond.notify_all()
        return playback

    def first_start_after(self, mark: float, timeout: float = ANSWER_TIMEOUT) -> float:
        """When the first playback after ``mark`` started; TimeoutError if none came."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: bool(self.starts) and self.starts[-1] > mark, timeout
            )
            if not found:
                raise TimeoutError("Spotter did not answer")
            return next(t for t in self.starts if t > mark)


class Rig:
    """A started Spotter on a mock pin, and a finger that presses it and times the answer."""

    def __init__(
        self,
        spotter: Spotter,
        voice: Voice,
        player: StampingPlayer,
        clock: FakeClock,
        factory: MockFactory,
        store: Store,
    ) -> None:
        self.spotter = spotter
        self.voice = voice
        self.player = player
        self.clock = clock
        self.store = store
        self._pin = factory.pin(PIN)

    def release_to_audio(self, down: float, gap: float = 0.6) -> float:
        """Hold the button ``down`` seconds (hand clock), release it and return the real
        seconds from the release edge to the answer's player process."""
        self._pin.drive_low()
        time.sleep(SETTLE)
        self.clock.advance(down)
        mark = time.perf_counter()
        self._pin.drive_high()
        started = self.player.first_start_after(mark)
        self.clock.advance(gap)
        time.sleep(SETTLE)
        return started - mark

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
    """The real voice, except that nothing is rendered ahead: every new line is cold."""

    def prepare(self, texts: Iterable[str]) -> None:
        """Render nothing ahead."""


@contextmanager
def running_spotter(data_dir: Path, *, prepare: bool = True) -> Iterator[Rig]:
    """Spotter on ``data_dir`` as ``spotter run`` builds it, started, its routine rendered
    (or, with ``prepare=False``, nothing rendered ahead)."""
    store = Store.open(data_dir)
    player = StampingPlayer(AplayPlayer("null"))
    voice_class = Voice if prepare else UnpreparedVoice
    voice = voice_class(data_dir / "voice-cache", player=player)
    clock = FakeClock()
    factory = MockFactory()
    spotter = Spotter(store, voice, clock=clock)
    button = ButtonInput(PIN, spotter.submit_edge, clock, pin_factory=factory)
    try:
        if not voice.wait_until_prepared(timeout=300):
            raise TimeoutError("the routine's lines were not rendered")
        spotter.start()
        voice.wait_until_quiet(timeout=ANSWER_TIMEOUT)
        yield Rig(spotter, voice, player, clock, factory, store)
    finally:
        button.close()
        spotter.stop()
        voice.close()
        store.close()
        factory.close()
