"""The one composition root: a whole Spotter, from a config, with any part swapped for a fake.

``spotter run``, the tests and the benchmarks all build Spotter here, so the
thing they measure and test is the thing that runs on the Pi; each passes only
the parts it replaces (a mock pin factory, a fake clock, a silent player).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from device.events import Gesture, Status
from device.hardware.button import ButtonInput
from device.hardware.edge_relay import EdgeRelay
from device.hardware.led import StatusLed, open_status_led
from device.service.config import Config
from device.service.errors import CommandError
from device.service.worker import Spotter
from device.voice.cache import SHIPPED
from device.voice.mixer import open_hardware_volume
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.player import Player
from device.voice.speaker import Voice, VoiceProblem
from device.voice.tts import Renderer, VoiceSettings
from routines.store import Store

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass
class Assembly:
    """A built Spotter: every part, and how to take them down in the right order."""

    config: Config
    store: Store
    voice: Voice
    worker: Spotter
    button: ButtonInput
    led: StatusLed | None
    _cleanup: ExitStack = field(repr=False)

    def web_app(self) -> Flask:
        """The phone page's app over this Spotter's store and port (Flask loads only now)."""
        from web_config import create_app

        return create_app(store=self.store, control=self.worker)

    def close(self) -> None:
        """Release the pin, stop the worker, silence the voice, close the store."""
        self._cleanup.close()


def build(
    config: Config,
    *,
    pin_factory: Any = None,
    store: Store | None = None,
    voice: Voice | None = None,
    renderer: Renderer | None = None,
    player: Player | None = None,
    echo: Callable[[str], None] | None = None,
    clock: Clock = time.monotonic,
    wall_clock: Clock = time.time,
    address_lookup: Callable[[], list[str]] | None = None,
    heartbeat: Callable[[], object] | None = None,
    heartbeat_interval: float | None = None,
    on_status: Callable[[Status], object] | None = None,
    button: tuple[ButtonInput, EdgeRelay] | None = None,
    on_gesture: Callable[[Gesture], object] | None = None,
    on_week: Callable[[int], object] | None = None,
    pin_recovery: bool = False,
    on_voice_problem: Callable[[VoiceProblem | None], object] | None = None,
) -> Assembly:
    """Spotter on ``config``'s pin and data directory; not started (see ``Assembly.worker``).

    ``voice`` replaces the whole voice; ``renderer``, ``player`` and ``echo`` the parts of
    the default one. ``clock`` stamps the button's edges and drives the engine.
    ``button``: a button set up earlier, whose relay has held its edges until now; they
    go to the worker in order, before any later one.
    """
    cleanup = ExitStack()
    try:
        if store is None:
            try:
                store = Store.open(config.data_dir)
            except OSError as err:
                raise CommandError(
                    f"cannot open the data directory {config.data_dir}: {err}"
                ) from err
        cleanup.callback(store.close)
        if voice is None:
            voice = Voice(
                config.data_dir / "voice-cache",
                settings=VoiceSettings.of(config.gestures.apply(store.settings())),
                renderer=renderer,
                player=player,
                echo=echo,
                audio_device=config.audio_device,
                # A small object: the engine loads in a worker process, and only when chosen.
                natural=NaturalRenderer() if natural_installed() else None,
                # The card's own volume control, where it has one; only for real sound.
                hardware_volume=open_hardware_volume(config.audio_device)
                if player is None
                else None,
                shipped_cache=SHIPPED if SHIPPED.is_dir() else None,
            )
        cleanup.callback(voice.close)
        led = open_status_led(config.led_pin, pin_factory=pin_factory)
        if led is not None:
            cleanup.callback(led.close)
        worker = Spotter(
            store,
            voice,
            clock=clock,
            wall_clock=wall_clock,
            address_lookup=address_lookup,
            pinned=config.gestures,
            heartbeat=heartbeat,
            heartbeat_interval=heartbeat_interval,
            on_status=_status_sink(on_status, led),
            on_gesture=on_gesture,
            on_week=on_week,
            pin_recovery=pin_recovery,
            on_voice_problem=on_voice_problem,
            clickers=config.clickers,
        )
        cleanup.callback(worker.stop)
        if button is None:
            pin = ButtonInput(config.button_pin, worker.submit_edge, clock, pin_factory=pin_factory)
        else:
            pin, relay = button
            if held := relay.connect(worker.submit_edge):
                log.info("%d button edges from before start-up are handed on", held)
        cleanup.callback(pin.close)
    except BaseException:
        cleanup.close()
        raise
    return Assembly(config, store, voice, worker, pin, led, cleanup)


def _status_sink(
    on_status: Callable[[Status], object] | None, led: StatusLed | None
) -> Callable[[Status], object] | None:
    if led is None:
        return on_status

    connected: set[str] = set()

    def show(status: Status) -> None:
        if on_status is not None:
            on_status(status)
        led.show(status.state)
        # Only a clicker that was not connected before blinks: the status changes every
        # second of a rest, and each may name the same clickers again.
        if set(status.connected_clickers) - connected:
            led.clicker_connected()
        connected.clear()
        connected.update(status.connected_clickers)

    return show
