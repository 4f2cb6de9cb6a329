"""Spotter as the daemon builds it, speaking into the real-time ``SoundCard``, and a
scripted trainee who presses its button a stated time after hearing a line.

Everything is the shipped part: ``device.service.build`` wires the store (a real SQLite
file), the worker thread, the engine, the real voice (espeak-ng through pyttsx3 in its
render process, the WAV cache) and the real ``AlsaPlayer`` on the card, with gpiozero's
``MockFactory`` pin under the real ``ButtonInput``; the engine and the button run on
``time.monotonic()``, the card's clock. It runs in the test's process rather than as a
``spotter run`` subprocess so that the trainee presses through the very pin the daemon
reads (no keyboard or socket in between, whose delay would blur the reaction time) and the
test can read the store and the engine's status directly; the card's ear is the part that
must not wait on this process, and it runs in its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import MockFactory

from device.events import Action, State
from device.service.build import Assembly, Parts, build
from device.service.config import Config
from device.voice.alsa_player import AlsaPlayer
from device.voice.speaker import Voice
from routines.model import Routine
from routines.store import HistoryEntry, Store
from tests.realtime.sound_card import Heard, SoundCard

PIN = 17
PRESS_DOWN = 0.1  # seconds a press holds the button down
RENDER_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Press:
    """A press the trainee made: when the button went down and up (monotonic)."""

    down: float
    up: float


class Trainee:
    """Listens at the card and presses the button: a person with a stated reaction time."""

    def __init__(self, card: SoundCard, voice: Voice, factory: MockFactory) -> None:
        self.card = card
        self.voice = voice
        self._pin = factory.pin(PIN)
        self.presses: list[Press] = []

    def hear(self, text: str, *, after: float, timeout: float = 60.0) -> Heard:
        """Wait until ``text`` is heard starting after ``after``; when it was."""
        deadline = time.monotonic() + timeout
        while not self.card.knows(text):
            # A line said only now is rendered only now: its audio is known once it is.
            path = self.voice.cached_audio(text)
            if path is not None:
                self.card.learn(text, path)
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} was never rendered")
            time.sleep(0.01)
        return self.card.wait_for(text, after=after, timeout=max(0.1, deadline - time.monotonic()))

    def press(self, at: float | None = None) -> Press:
        """Press the button at ``at`` (now if None or past); back up ``PRESS_DOWN`` later."""
        if at is not None:
            while (left := at - time.monotonic()) > 0:
                time.sleep(left)
        down = time.monotonic()
        self._pin.drive_low()
        time.sleep(PRESS_DOWN)
        up = time.monotonic()
        self._pin.drive_high()
        press = Press(down, up)
        self.presses.append(press)
        return press

    def press_after(
        self, text: str, reaction: float, *, after: float, within: float = 60.0
    ) -> tuple[Heard, Press]:
        """Hear ``text`` (starting after ``after``), then press ``reaction`` s after it began;
        TimeoutError if it is not heard ``within`` seconds."""
        heard = self.hear(text, after=after, timeout=within)
        return heard, self.press(heard.start + reaction)


class Coach:
    """A started Spotter on the card, its store, and a trainee at its button."""

    def __init__(self, built: Assembly, card: SoundCard, trainee: Trainee) -> None:
        self.built = built
        self.card = card
        self.trainee = trainee
        self.spotter = built.worker
        self.store = built.store
        self.voice = built.voice
        self.said: list[tuple[float, str]] = []
        self.seeded: set[int] = set()  # history written by the test, not by Spotter
        self.acted: list[tuple[float, State]] = []  # each Press of run_to_the_end, and in what

    def state(self) -> State:
        return self.spotter.status().state

    def wait_for(self, done: Any, timeout: float = 60.0) -> None:
        """Wait until ``done(status)`` is true."""
        deadline = time.monotonic() + timeout
        seen = -1
        while not done(self.spotter.status()):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"Spotter stayed at {self.spotter.status()}")
            seen, _ = self.spotter.wait_for_change(seen, min(left, 0.2))

    def run_to_the_end(self, timeout: float = 120.0) -> float:
        """Carry the workout on (as Press would) until it is done; when it was."""
        deadline = time.monotonic() + timeout
        while (state := self.state()) is not State.DONE:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workout stayed at {state}")
            if state in (State.INTRO, State.SET, State.PAUSED):
                self.acted.append((time.monotonic(), state))
                self.spotter.act(Action.NEXT)
                self.wait_for(lambda s, was=state: s.state is not was, timeout=10)
            else:
                time.sleep(0.05)
        return time.monotonic()

    def reload(self) -> None:
        self.spotter.reload()

    def lines_heard(self) -> list[Heard]:
        """Every line heard so far, known by its text."""
        for text in {text for _, text in self.said}:
            if not self.card.knows(text) and (path := self.voice.cached_audio(text)):
                self.card.learn(text, path)
        return self.card.heard()


def seed_worse_last_time(store: Store, routine: Routine, profile_id: int = 1) -> HistoryEntry:
    """A finished workout that left the back worse: the next start warns about it."""
    now = time.time()
    return store.add_history(
        HistoryEntry(
            routine.id,
            routine.name,
            now - 60,
            now,
            exercises_done=len(routine.exercises),
            sets_done=1,
            completed=True,
            profile_id=profile_id,
            pain_before=1,
            pain_after=6,
        )
    )


@contextmanager
def coaching(
    data_dir: Path,
    card: SoundCard,
    routine: Routine,
    *,
    settings: Mapping[str, object] | None = None,
    people: Iterable[str] = (),
    worse_last_time: bool = False,
) -> Iterator[Coach]:
    """Spotter on ``data_dir`` with ``routine`` active, started, its lines rendered."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir)
    store.save_routine(routine)
    store.set_active_routine(routine.id)
    for name in people:
        store.create_profile({"name": name, "routine_id": routine.id})
    store.update_settings({"choice_step_ms": 500, **(settings or {})})
    seeded = {seed_worse_last_time(store, routine).id} if worse_last_time else set()
    said: list[tuple[float, str]] = []
    lock = threading.Lock()

    def echo(text: str) -> None:
        with lock:
            said.append((time.monotonic(), text))

    voice = Voice(
        data_dir / "voice-cache",
        player=AlsaPlayer(card.device, opener=card.opener),
        echo=echo,
    )
    factory = MockFactory()
    built = build(
        Config(data_dir=data_dir, button_pin=PIN),
        Parts(pin_factory=factory, store=store, voice=voice),
    )
    try:
        if not voice.wait_until_prepared(timeout=RENDER_TIMEOUT):
            raise TimeoutError("the routine's lines were not rendered")
        built.worker.start()
        coach = Coach(built, card, Trainee(card, voice, factory))
        coach.said = said
        coach.seeded = {i for i in seeded if i is not None}
        voice.wait_until_quiet(timeout=30)
        yield coach
    finally:
        built.close()
        factory.close()
