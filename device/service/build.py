"""The one composition root: a whole Spotter, from a config, with any part swapped for a fake.

``spotter run``, the tests and the benchmarks all build Spotter here, so the
thing they measure and test is the thing that runs on the Pi; each passes only
the parts it replaces (a mock pin factory, a fake clock, a silent player).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from device.hardware.button import ButtonInput
from device.hardware.edge_relay import EdgeRelay
from device.service.config import Config
from device.service.errors import CommandError
from device.service.lines_ahead import LinesSearch
from device.service.lines_memo import FILE_NAME as MEMO_FILE
from device.service.lines_memo import LinesMemo
from device.service.listeners import LedListener, Listener
from device.service.worker import REAL_CLOCKS, Clocks, Spotter, WorkerSetup
from device.voice.mixer import open_hardware_volume
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.player import Player
from device.voice.speaker import Voice
from device.voice.tts import Renderer, VoiceSettings
from routines.store import Store
from routines.store_files import remove_leftovers

if TYPE_CHECKING:
    from flask import Flask

    from device.hardware.led import StatusLed

log = logging.getLogger(__name__)


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
        """The phone page's app over this Spotter's store and port (Flask loads only now),
        in this process, with an allowance of wrong PINs of its own."""
        import time

        from device.service.pin_throttle import PinThrottle
        from web_config import create_app

        return create_app(store=self.store, control=self.worker, pins=PinThrottle(time.monotonic))

    def close(self) -> None:
        """Release the pin, stop the worker, silence the voice, close the store."""
        self._cleanup.close()


@dataclass(frozen=True)
class Parts:
    """The parts a caller swaps for its own (None: the real one from the config).

    ``voice`` replaces the whole voice; ``renderer``, ``player`` and ``echo`` the parts
    of the default one; ``store`` an open store; ``pin_factory`` gpiozero's pins;
    ``lines_search`` where the lines ahead are found (None: a thread of the worker).
    """

    pin_factory: Any = None
    store: Store | None = None
    voice: Voice | None = None
    renderer: Renderer | None = None
    player: Player | None = None
    echo: Callable[[str], None] | None = None
    lines_search: LinesSearch | None = None


def prerendered_folder(config: Config) -> Path | None:
    """The folder of speech rendered ahead that the voice plays from, if there is one.
    The package's is absent in a checkout, which is no fault; a folder the owner named
    and that is not there is said in the log, as every line is then rendered here."""
    folder = config.prerendered_audio
    if folder is None or folder.is_dir():
        return folder
    source = config.origins.get("audio.prerendered")
    if source is not None:
        log.warning(
            "audio.prerendered (%s): %s is not a folder; every line is rendered on this device",
            source,
            folder,
        )
    return None


def build(
    config: Config,
    parts: Parts = Parts(),
    *,
    clocks: Clocks = REAL_CLOCKS,
    listeners: Sequence[Listener] = (),
    address_lookup: Callable[[], list[str]] | None = None,
    button: tuple[ButtonInput, EdgeRelay] | None = None,
    heartbeat_interval: float | None = None,
    pin_recovery: bool = False,
) -> Assembly:
    """Spotter on ``config``'s pin and data directory; not started (see ``Assembly.worker``).

    ``clocks.monotonic`` stamps the button's edges and drives the engine. ``listeners``
    hear what the worker does (the status LED, when the config has one, hears last).
    ``button``: a button set up earlier, whose relay has held its edges until now; they
    go to the worker in order, before any later one.
    """
    store, voice = parts.store, parts.voice
    cleanup = ExitStack()
    try:
        if store is None:
            # Nothing can be copying yet: what an interrupted copy left goes.
            remove_leftovers(config.data_dir)
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
                renderer=parts.renderer,
                player=parts.player,
                echo=parts.echo,
                audio_device=config.audio_device,
                # A small object: the engine loads in a worker process, and only when chosen.
                natural=NaturalRenderer(tables=config.data_dir / "voice-cache")
                if natural_installed()
                else None,
                # The card's own volume control, where it has one; only for real sound.
                hardware_volume=open_hardware_volume(config.audio_device)
                if parts.player is None
                else None,
                shipped_cache=prerendered_folder(config),
            )
        cleanup.callback(voice.close)
        led = None
        if config.led_pin is not None:  # most have none: a start loads no LED code then
            from device.hardware.led import open_status_led

            led = open_status_led(config.led_pin, pin_factory=parts.pin_factory)
        if led is not None:
            cleanup.callback(led.close)
            listeners = [*listeners, LedListener(led)]
        worker = Spotter(
            store,
            voice,
            clocks=clocks,
            listeners=listeners,
            address_lookup=address_lookup,
            setup=WorkerSetup(
                pinned=config.gestures,
                clickers=tuple(config.clickers),
                pin_recovery=pin_recovery,
                heartbeat_interval=heartbeat_interval,
                lines_search=parts.lines_search,
                lines_memo=LinesMemo(config.data_dir / MEMO_FILE),
            ),
        )
        cleanup.callback(worker.stop)
        if button is None:
            pin = ButtonInput(
                config.button_pin,
                worker.submit_edge,
                clocks.monotonic,
                pin_factory=parts.pin_factory,
            )
        else:
            pin, relay = button
            if held := relay.connect(worker.submit_edge):
                log.info("%d button edges from before start-up are handed on", held)
        cleanup.callback(pin.close)
    except BaseException:
        cleanup.close()
        raise
    return Assembly(config, store, voice, worker, pin, led, cleanup)
