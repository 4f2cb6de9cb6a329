"""``spotter run``: build every part, start them in order, and take them down cleanly.

The order is the user's: first the button (its pin, and a relay that keeps every
edge), then, with only that much imported, a STATUS saying presses are kept;
then the store, the voice and the engine, which take seconds on a Pi Zero;
then READY. The web page is started after READY in a process of its own
(``web_process``): Flask is the heaviest import of all, and a page that is slow,
fails to start or dies never takes the button with it.
"""

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
from typing import TYPE_CHECKING, Any

import device
from device.service.config import Config, config_from_args
from device.service.errors import CommandError
from device.service.malloc import limit_arenas
from device.service.mdns import device_name, host_name
from device.service.notify import BUTTON_LIVE, default_notifier, describe_status
from device.service.own_data import own_data_for_simulation

if TYPE_CHECKING:
    from device.events import Action, Gesture
    from device.hardware.simulate import SimulatedFinger
    from device.service.build import Assembly
    from device.service.mqtt import MqttBridge
    from device.service.web_process import WebProcess
    from device.service.worker import Spotter

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


def _start_mqtt(config: Config, command: Callable[[Gesture | Action], None]) -> MqttBridge | None:
    """The MQTT bridge when a broker is configured; it connects in the background."""
    if config.mqtt is None:
        return None
    from device.service.mqtt import MqttBridge

    hostname = host_name()
    bridge = MqttBridge(
        config.mqtt,
        command=command,
        hostname=hostname,
        device_name=device_name(config.name, hostname),
        version=device.__version__,
        # The name Avahi announces, which survives a new address from the router.
        page=f"http://{hostname}.local:{config.web_port}" if config.web_enabled else None,
    )
    bridge.start()
    return bridge


def run_daemon(args: argparse.Namespace) -> int:
    """Run Spotter until ``q`` (simulation), end of input, SIGTERM or Ctrl-C."""
    config = config_from_args(args)
    logging.getLogger().setLevel(config.log_level.upper())
    if args.simulate:
        config = own_data_for_simulation(config, os.environ)
    limit_arenas()  # before any thread starts, so none takes an arena of its own
    notifier = default_notifier()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    recordings = [Path(r) for r in getattr(args, "clicker", None) or []]
    _check_recordings(recordings)
    factory = _pin_factory(config, args.simulate)
    from device.hardware.button import ButtonInput
    from device.hardware.edge_relay import EdgeRelay

    relay = EdgeRelay()
    early_button = ButtonInput(config.button_pin, relay, pin_factory=factory)
    notifier.status(BUTTON_LIVE)
    finger = None
    # With recordings, Spotter stops once they have played and the keyboard is done too.
    ended = _Countdown(1 + bool(recordings), stop)
    if args.simulate:
        from device.hardware.simulate import KEYS_HELP

        finger = _simulated_finger(factory, config)
        print(f"Simulated button on GPIO{config.button_pin}. Keys: {KEYS_HELP}.", flush=True)
        threading.Thread(
            target=_keyboard, args=(finger, ended.one_done), name="spotter-keys", daemon=True
        ).start()

    # The heavy part: the store, the voice and the engine.
    from device.service.build import Parts, build
    from device.service.lines_ahead import search_in_child
    from device.service.listeners import Listener, SystemdListener
    from device.voice.player import NullPlayer

    page = _Page(config.web_host)
    commands = _Commands()
    bridge = _start_mqtt(config, commands.send)
    listeners: list[Listener] = [SystemdListener(notifier)]
    if bridge is not None:
        listeners.append(bridge)
    try:
        spotter = build(
            config,
            Parts(
                pin_factory=factory,
                player=NullPlayer() if args.silent else None,
                echo=print_line,
                lines_search=search_in_child,
            ),
            listeners=listeners,
            address_lookup=page.urls,
            button=(early_button, relay),
            heartbeat_interval=notifier.watchdog_interval(),
            pin_recovery=True,
        )
    except BaseException:
        early_button.close()
        if bridge is not None:
            bridge.stop()
        raise
    commands.worker = spotter.worker
    with ExitStack() as cleanup:
        if bridge is not None:
            cleanup.callback(bridge.stop)  # after the worker: "offline" is the last word
        cleanup.callback(spotter.close)
        if finger is not None:
            _retime(finger, spotter)
        spotter.worker.start()
        cleanup.callback(_start_clickers(spotter, config, recordings, stop, ended.one_done))
        # Ready means a press is answered; the voice may still be rendering the routine's
        # lines in the background, and the page comes up after, neither of which READY
        # waits for.
        status = spotter.worker.status()
        notifier.ready(describe_status(status))
        if spotter.led is not None:
            spotter.led.show(status.state)
        from device.service.config_news import log_once_per_release

        log_once_per_release(config.file, config.data_dir, device.__version__)
        if config.web_enabled:
            # Stopped before the store closes (callbacks run last-in, first-out).
            cleanup.callback(_serve_web(spotter, config, page).close)
        stop.wait()
        notifier.stopping()
        log.info("stopping")
        # The worker saves the session in progress as it stops, so it can be resumed.
        spotter.worker.stop()
        if args.simulate:
            # Let the answer to the last key finish, so a scripted run prints it.
            spotter.voice.wait_until_quiet(timeout=30)
    return 0


class _Page:
    """The phone page once it is up: its port, for the spoken address. Set from the
    thread that watches the page's process, read by the worker."""

    def __init__(self, host: str) -> None:
        self._host = host
        self.port: int | None = None

    def urls(self) -> list[str]:
        from device.service.network import page_urls

        port = self.port
        return [] if port is None else page_urls(self._host, port)


class _Commands:
    """Passes the broker's commands on to the worker, once there is one (until then a
    command is dropped, as an event that came too early)."""

    def __init__(self) -> None:
        self.worker: Spotter | None = None

    def send(self, what: Gesture | Action) -> None:
        # From the broker's thread: the worker only queues it.
        worker = self.worker
        if worker is None:
            return
        from device.events import Gesture

        if isinstance(what, Gesture):
            worker.gesture(what)
        else:
            worker.act(what)


def _serve_web(spotter: Assembly, config: Config, page: _Page) -> WebProcess:
    """Start the page in its own process; the button never waits for it."""
    from device.service.web_process import WebProcess

    def up(effective_port: int, first: bool) -> None:
        page.port = effective_port
        log.info("web page on http://%s:%d/", config.web_host, effective_port)
        if first:  # read the address out once, not after each start of the page again
            spotter.worker.announce_address()

    return WebProcess(
        spotter.worker,
        spotter.store,
        data_dir=spotter.store.path().parent,
        host=config.web_host,
        port=config.web_port,
        log_level=config.log_level,
        on_up=up,
    ).start()


def _simulated_finger(factory: Any, config: Config) -> SimulatedFinger:
    from device.hardware.simulate import SimulatedFinger
    from routines.settings import Settings

    defaults = config.gestures.apply(Settings())
    return SimulatedFinger(
        factory.pin(config.button_pin),
        double_window=defaults.double_press_ms / 1000,
        hold=defaults.hold_ms / 1000,
        long_hold=defaults.long_hold_ms / 1000,
    )


def _retime(finger: SimulatedFinger, spotter: Assembly) -> None:
    """Give the simulated finger the stored gesture timings, known once the store is open."""
    from device.service.worker import gesture_timings

    timings = gesture_timings(spotter.worker.settings().settings)
    finger.retime(
        double_window=timings.double_window, hold=timings.hold, long_hold=timings.long_hold
    )


def _keyboard(finger: SimulatedFinger, done: Callable[[], None]) -> None:
    from device.hardware.simulate import KEYS_HELP, drive_from_keys, key_lines

    def unknown(key: str) -> None:
        print(f"unknown key {key!r}: {KEYS_HELP}", file=sys.stderr, flush=True)

    drive_from_keys(key_lines(sys.stdin), finger, on_unknown=unknown)
    done()


class _Countdown:
    """Sets ``stop`` once ``count`` sources of input have each said they are done."""

    def __init__(self, count: int, stop: threading.Event) -> None:
        self._left = count
        self._lock = threading.Lock()
        self._stop = stop

    def one_done(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left <= 0:
                self._stop.set()


def _check_recordings(recordings: list[Path]) -> None:
    """Refuse a broken recording before anything starts."""
    if not recordings:
        return
    from device.hardware.evtest_recording import RecordingError, read_recording

    for path in recordings:
        try:
            read_recording(path)
        except RecordingError as err:
            raise CommandError(str(err)) from err


def _start_clickers(
    spotter: Assembly,
    config: Config,
    recordings: list[Path],
    stop: threading.Event,
    played: Callable[[], None],
) -> Callable[[], None]:
    """Play the recorded clickers, or read the configured ones live; how to stop them."""
    worker = spotter.worker
    if recordings:
        from device.hardware.evtest_recording import RecordingError
        from device.service.clicker_inputs import recorded_buttons, start_playback
        from device.service.worker import gesture_timings

        try:
            bound = recorded_buttons(
                recordings, config.clickers, worker.submit_edge, worker.submit_link
            )
        except RecordingError as err:
            raise CommandError(str(err)) from err
        timings = gesture_timings(worker.settings().settings)
        thread = start_playback(bound, stop=stop, settle=timings.long_hold + 0.5, done=played)
        return lambda: thread.join(1.0)
    if not config.clickers:
        return lambda: None
    from device.hardware.clicker_devices import ClickerWatcher, NoEvdevError
    from device.service.clicker_inputs import configured_buttons

    try:
        watcher = ClickerWatcher(
            configured_buttons(config.clickers, worker.submit_edge, worker.submit_link)
        )
    except NoEvdevError as err:
        log.error("%s; the wired button works without them", err)
        return lambda: None
    watcher.start()
    return watcher.close
