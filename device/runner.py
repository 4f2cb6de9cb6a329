"""``spotter run``: build every part, start them in order, and take them down cleanly."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

from device.button import ButtonInput
from device.daemon import Spotter
from device.errors import CommandError
from device.simulate import KEYS_HELP, SimulatedFinger, drive_from_keys
from device.voice import Voice, VoiceSettings
from routines.store import Store, resolve_data_dir

log = logging.getLogger(__name__)

DEFAULT_PIN = 17
DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - the page is meant for phones on the LAN
DEFAULT_PORT = 8080


def print_line(text: str) -> None:
    print(f"» {text}", flush=True)


def _pin_factory(simulate: bool) -> Any:
    if simulate:
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    from device.pins import make_pin_factory

    return make_pin_factory(None)


def _make_voice(data_dir: Path, store: Store, *, silent: bool, audio_device: str) -> Voice:
    s = store.settings()
    settings = VoiceSettings(voice_id=s.voice_id, rate=s.voice_rate, volume=s.voice_volume)
    if silent:
        from device.player import NullPlayer

        return Voice(
            data_dir / "voice-cache",
            settings=settings,
            player=NullPlayer(),
            echo=print_line,
            audio_device=audio_device,
        )
    return Voice(
        data_dir / "voice-cache", settings=settings, echo=print_line, audio_device=audio_device
    )


def _start_web(
    store: Store, spotter: Spotter, host: str, port: int
) -> tuple[Callable[[], None], int]:
    from waitress.server import create_server

    from web_config import create_app

    app = create_app(store=store, control=spotter)
    server: Any = create_server(app, host=host, port=port, threads=6, ident="Spotter")
    thread = threading.Thread(target=server.run, name="spotter-web", daemon=True)
    thread.start()
    return server.close, int(server.effective_port)


def run_daemon(args: argparse.Namespace) -> int:
    """Run Spotter until ``q`` (simulation), end of input, SIGTERM or Ctrl-C."""
    data_dir = resolve_data_dir(args.data_dir)
    pin = DEFAULT_PIN if args.pin is None else args.pin
    host = args.host or DEFAULT_HOST
    port = DEFAULT_PORT if args.port is None else args.port
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    with ExitStack() as cleanup:
        try:
            factory = _pin_factory(args.simulate)
        except RuntimeError as err:
            raise CommandError(f"{err} (on a laptop, try 'spotter run --simulate')") from err
        store = Store.open(data_dir)
        cleanup.callback(store.close)
        voice = _make_voice(
            data_dir, store, silent=args.silent, audio_device=args.audio_device or "default"
        )
        cleanup.callback(voice.close)
        spotter = Spotter(store, voice)
        button = ButtonInput(pin, spotter.submit_edge, pin_factory=factory)
        cleanup.callback(button.close)
        if not args.no_web:
            try:
                close_web, port = _start_web(store, spotter, host, port)
            except OSError as err:
                raise CommandError(
                    f"cannot serve the web page on {host}:{port}: {err.strerror} "
                    "(use --port, or --no-web)"
                ) from err
            cleanup.callback(close_web)
            log.info("web page on http://%s:%d/", host, port)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        spotter.start()
        cleanup.callback(spotter.stop)
        if args.simulate:
            settings = store.settings()
            finger = SimulatedFinger(
                factory.pin(pin),
                double_window=settings.double_press_ms / 1000,
                hold=settings.hold_ms / 1000,
                long_hold=settings.long_hold_ms / 1000,
            )
            print(f"Simulated button on GPIO{pin}. Keys: {KEYS_HELP}.", flush=True)
            keyboard = threading.Thread(
                target=_keyboard, args=(finger, stop), name="spotter-keys", daemon=True
            )
            keyboard.start()
        stop.wait()
        log.info("stopping")
        if args.simulate:
            # Let the answer to the last key finish, so a scripted run prints it.
            spotter.stop()
            voice.wait_until_quiet(timeout=30)
    return 0


def _keyboard(finger: SimulatedFinger, stop: threading.Event) -> None:
    def unknown(key: str) -> None:
        print(f"unknown key {key!r}: {KEYS_HELP}", file=sys.stderr, flush=True)

    drive_from_keys(sys.stdin, finger, on_unknown=unknown)
    stop.set()
