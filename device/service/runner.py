"""``spotter run``: build every part, start them in order, and take them down cleanly."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

from device.hardware.button import ButtonInput
from device.service.config import Config, load_config
from device.service.worker import Spotter
from device.service.errors import CommandError
from device.events import Status
from device.service.network import page_url
from device.service.notify import Notifier, default_notifier, describe_status
from device.voice.player import NullPlayer
from device.hardware.simulate import KEYS_HELP, SimulatedFinger, drive_from_keys
from device.hardware.led import StatusLed, open_status_led
from device.voice.speaker import Voice, VoiceSettings
from routines.store import Store, resolve_data_dir

log = logging.getLogger(__name__)


def print_line(text: str) -> None:
    print(f"» {text}", flush=True)


def config_from_args(args: argparse.Namespace) -> Config:
    """The configuration: command line > environment > config file > defaults."""
    overrides: dict[str, object] = {
        "button.pin": getattr(args, "pin", None),
        "led.pin": getattr(args, "led_pin", None),
        "gpio.pin_factory": getattr(args, "pin_factory", None),
        "web.host": getattr(args, "host", None),
        "web.port": getattr(args, "port", None),
        "web.enabled": False if getattr(args, "no_web", False) else None,
        "audio.device": getattr(args, "audio_device", None),
        "data_dir": getattr(args, "data_dir", None),
        "log_level": "debug" if getattr(args, "verbose", False) else None,
    }
    config_file = getattr(args, "config", None)
    return load_config(Path(config_file) if config_file else None, os.environ, overrides)


def data_dir_of(config: Config) -> Path:
    return resolve_data_dir(str(config.data_dir) if config.data_dir else None)


def _pin_factory(config: Config, simulate: bool) -> Any:
    if simulate:
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        # PWM-capable mock pins, so a configured status LED can pulse in simulation too.
        return MockFactory(pin_class=MockPWMPin)
    from device.hardware.gpio import make_pin_factory

    try:
        return make_pin_factory(config.pin_factory)
    except RuntimeError as err:
        raise CommandError(f"{err} (on a laptop, try 'spotter run --simulate')") from err


def _make_voice(
    data_dir: Path, spotter_settings: VoiceSettings, config: Config, silent: bool
) -> Voice:
    return Voice(
        data_dir / "voice-cache",
        settings=spotter_settings,
        player=NullPlayer() if silent else None,
        echo=print_line,
        audio_device=config.audio_device,
    )


def _start_web(store: Store, spotter: Spotter, config: Config) -> tuple[Callable[[], None], int]:
    from waitress.server import create_server

    from web_config import create_app

    app = create_app(store=store, control=spotter)
    try:
        server: Any = create_server(
            # One core's worth of Python serves the page (the GIL), so more threads would
            # only add switching; the page polls, so no thread is held by a waiting client.
            app,
            host=config.web_host,
            port=config.web_port,
            threads=3,
            ident="Spotter",
        )
    except OSError as err:
        raise CommandError(
            f"cannot serve the web page on {config.web_host}:{config.web_port}: "
            f"{err.strerror} (choose another with --port, or use --no-web)"
        ) from err
    thread = threading.Thread(target=server.run, name="spotter-web", daemon=True)
    thread.start()
    return server.close, int(server.effective_port)


def _status_sink(notifier: Notifier, led: StatusLed | None) -> Callable[[Status], None]:
    def show(status: Status) -> None:
        notifier.status(describe_status(status))
        if led is not None:
            led.show(status.state)

    return show


def run_daemon(args: argparse.Namespace) -> int:
    """Run Spotter until ``q`` (simulation), end of input, SIGTERM or Ctrl-C."""
    config = config_from_args(args)
    logging.getLogger().setLevel(config.log_level.upper())
    data_dir = data_dir_of(config)
    notifier = default_notifier()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with ExitStack() as cleanup:
        factory = _pin_factory(config, args.simulate)
        try:
            store = Store.open(data_dir)
        except OSError as err:
            raise CommandError(f"cannot open the data directory {data_dir}: {err}") from err
        cleanup.callback(store.close)
        settings = config.gestures.apply(store.settings())
        voice = _make_voice(
            data_dir,
            VoiceSettings(
                voice_id=settings.voice_id, rate=settings.voice_rate, volume=settings.voice_volume
            ),
            config,
            args.silent,
        )
        cleanup.callback(voice.close)
        led = open_status_led(config.led_pin, pin_factory=factory)
        if led is not None:
            cleanup.callback(led.close)
        web_port: int | None = None
        spotter = Spotter(
            store,
            voice,
            address_lookup=lambda: (
                page_url(config.web_host, web_port) if web_port is not None else None
            ),
            settings_filter=config.gestures.apply,
            heartbeat=notifier.watchdog,
            heartbeat_interval=notifier.watchdog_interval(),
            on_status=_status_sink(notifier, led),
        )
        button = ButtonInput(config.button_pin, spotter.submit_edge, pin_factory=factory)
        cleanup.callback(button.close)
        if config.web_enabled:
            close_web, web_port = _start_web(store, spotter, config)
            cleanup.callback(close_web)
            log.info("web page on http://%s:%d/", config.web_host, web_port)
        spotter.start()
        cleanup.callback(spotter.stop)
        # Ready means a press is answered and the page is served; the voice may still be
        # rendering the routine's lines in the background, which READY must not wait for.
        notifier.ready(describe_status(spotter.status()))
        if led is not None:
            led.show(spotter.status().state)
        if args.simulate:
            finger = SimulatedFinger(
                factory.pin(config.button_pin),
                double_window=settings.double_press_ms / 1000,
                hold=settings.hold_ms / 1000,
                long_hold=settings.long_hold_ms / 1000,
            )
            print(f"Simulated button on GPIO{config.button_pin}. Keys: {KEYS_HELP}.", flush=True)
            threading.Thread(
                target=_keyboard, args=(finger, stop), name="spotter-keys", daemon=True
            ).start()
        stop.wait()
        notifier.stopping()
        log.info("stopping")
        # The worker saves the session in progress as it stops, so it can be resumed.
        spotter.stop()
        if args.simulate:
            # Let the answer to the last key finish, so a scripted run prints it.
            voice.wait_until_quiet(timeout=30)
    return 0


def _keyboard(finger: SimulatedFinger, stop: threading.Event) -> None:
    def unknown(key: str) -> None:
        print(f"unknown key {key!r}: {KEYS_HELP}", file=sys.stderr, flush=True)

    drive_from_keys(sys.stdin, finger, on_unknown=unknown)
    stop.set()
