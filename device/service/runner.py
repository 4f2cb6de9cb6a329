"""``spotter run``: build every part, start them in order, and take them down cleanly."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from types import FrameType
from typing import Any

from device.hardware.simulate import KEYS_HELP, SimulatedFinger, drive_from_keys
from device.service.build import Assembly, build
from device.service.config import Config, config_from_args
from device.service.errors import CommandError
from device.service.network import page_url
from device.service.notify import default_notifier, describe_status
from device.service.worker import gesture_timings
from device.voice.player import NullPlayer

log = logging.getLogger(__name__)


def print_line(text: str) -> None:
    print(f"» {text}", flush=True)


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


def _start_web(spotter: Assembly, config: Config) -> tuple[Callable[[], None], int]:
    from waitress.server import create_server

    app = spotter.web_app()
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


def run_daemon(args: argparse.Namespace) -> int:
    """Run Spotter until ``q`` (simulation), end of input, SIGTERM or Ctrl-C."""
    config = config_from_args(args)
    logging.getLogger().setLevel(config.log_level.upper())
    notifier = default_notifier()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    factory = _pin_factory(config, args.simulate)
    web_port: int | None = None
    spotter = build(
        config,
        pin_factory=factory,
        player=NullPlayer() if args.silent else None,
        echo=print_line,
        address_lookup=lambda: (
            page_url(config.web_host, web_port) if web_port is not None else None
        ),
        heartbeat=notifier.watchdog,
        heartbeat_interval=notifier.watchdog_interval(),
        on_status=lambda status: notifier.status(describe_status(status)),
    )
    with ExitStack() as cleanup:
        cleanup.callback(spotter.close)
        if config.web_enabled:
            close_web, web_port = _start_web(spotter, config)
            cleanup.callback(close_web)
            log.info("web page on http://%s:%d/", config.web_host, web_port)
        spotter.worker.start()
        # Ready means a press is answered and the page is served; the voice may still be
        # rendering the routine's lines in the background, which READY must not wait for.
        status = spotter.worker.status()
        notifier.ready(describe_status(status))
        if spotter.led is not None:
            spotter.led.show(status.state)
        if args.simulate:
            timings = gesture_timings(spotter.worker.settings().settings)
            finger = SimulatedFinger(
                factory.pin(config.button_pin),
                double_window=timings.double_window,
                hold=timings.hold,
                long_hold=timings.long_hold,
            )
            print(f"Simulated button on GPIO{config.button_pin}. Keys: {KEYS_HELP}.", flush=True)
            threading.Thread(
                target=_keyboard, args=(finger, stop), name="spotter-keys", daemon=True
            ).start()
        stop.wait()
        notifier.stopping()
        log.info("stopping")
        # The worker saves the session in progress as it stops, so it can be resumed.
        spotter.worker.stop()
        if args.simulate:
            # Let the answer to the last key finish, so a scripted run prints it.
            spotter.voice.wait_until_quiet(timeout=30)
    return 0


def _keyboard(finger: SimulatedFinger, stop: threading.Event) -> None:
    def unknown(key: str) -> None:
        print(f"unknown key {key!r}: {KEYS_HELP}", file=sys.stderr, flush=True)

    drive_from_keys(sys.stdin, finger, on_unknown=unknown)
    stop.set()
