"""``spotter run``: build every part, start them in order, and take them down cleanly.

The order is the user's: first the button (its pin, and a relay that keeps every
edge), then, with only that much imported, a STATUS saying presses are kept;
then the store, the voice and the engine, which take seconds on a Pi Zero;
then READY. The web page is loaded after READY on a thread of its own: Flask is
the heaviest import of all, and a page that fails to start never takes the
button with it.
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

from device import __version__
from device.events import Action, Gesture, Status
from device.hardware.simulate import KEYS_HELP, SimulatedFinger, drive_from_keys
from device.service.config import Config, config_from_args
from device.service.config_news import log_once_per_release
from device.service.errors import CommandError
from device.service.malloc import limit_arenas
from device.service.mdns import device_name, host_name
from device.service.notify import BUTTON_LIVE, default_notifier, describe_status
from device.service.own_data import own_data_for_simulation

if TYPE_CHECKING:
    from device.service.build import Assembly
    from device.service.mqtt import MqttBridge
    from device.voice.speaker import VoiceProblem

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
    from web_config.server import make_server

    app = spotter.web_app()
    try:
        # Body and connection limits, timeouts and quiet logging: see web_config.server.
        server = make_server(app, config.web_host, config.web_port)
    except OSError as err:
        raise CommandError(
            f"cannot serve the web page on {config.web_host}:{config.web_port}: "
            f"{err.strerror} (choose another with --port, or use --no-web)"
        ) from err
    thread = threading.Thread(target=server.run, name="spotter-web", daemon=True)
    thread.start()
    return lambda: _stop_web(server, thread), int(server.effective_port)


def _stop_web(server: Any, thread: threading.Thread) -> None:
    """Stop the page in an order that never pulls a socket from under a running thread:
    stop accepting, let the requests in hand finish, then drop every connection, each
    step on the server's own loop (closed from here, a socket could vanish under the
    loop's select(): EBADF and a traceback at stop)."""
    from waitress import wasyncore

    def stop_accepting() -> None:
        wasyncore.dispatcher.close(server)  # the listening socket only

    def drop_connections() -> None:
        for channel in list(server._map.values()):
            if channel is server.trigger:
                # Out of the loop but left open: a reply still being written may pull it.
                channel.del_channel()
            else:
                channel.close()

    try:
        server.trigger.pull_trigger(stop_accepting)
        server.task_dispatcher.shutdown(timeout=5.0)
        server.trigger.pull_trigger(drop_connections)
    except OSError:
        return  # the loop is gone already
    # With nothing left to watch, the loop returns.
    thread.join(timeout=5.0)


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
        version=__version__,
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
        finger = _simulated_finger(factory, config)
        print(f"Simulated button on GPIO{config.button_pin}. Keys: {KEYS_HELP}.", flush=True)
        threading.Thread(
            target=_keyboard, args=(finger, ended.one_done), name="spotter-keys", daemon=True
        ).start()

    # The heavy part: the store, the voice and the engine.
    from device.service.build import build
    from device.service.network import page_urls
    from device.voice.player import NullPlayer

    web_port: list[int] = []
    built: list[Assembly] = []

    def command(what: Gesture | Action) -> None:
        # From the broker's thread: the worker only queues it.
        if built:
            if isinstance(what, Gesture):
                built[0].worker.gesture(what)
            else:
                built[0].worker.act(what)

    bridge = _start_mqtt(config, command)

    # STATUS= says what Spotter is doing and, when it has one, the voice's problem
    # (``systemctl status`` shows it; ``spotter doctor`` reads it back).
    shown: list[Status] = []
    voice_problem: list[str] = []

    def on_status(status: Status) -> None:
        shown[:] = [status]
        notifier.status(describe_status(status, voice_problem[0] if voice_problem else None))
        if bridge is not None:
            bridge.status_changed(status)

    def on_voice_problem(problem: VoiceProblem | None) -> None:
        voice_problem[:] = [] if problem is None else [problem.text]
        if shown:
            on_status(shown[0])

    try:
        spotter = build(
            config,
            pin_factory=factory,
            player=NullPlayer() if args.silent else None,
            echo=print_line,
            address_lookup=lambda: page_urls(config.web_host, web_port[0]) if web_port else [],
            heartbeat=notifier.watchdog,
            heartbeat_interval=notifier.watchdog_interval(),
            on_status=on_status,
            on_voice_problem=on_voice_problem,
            button=(early_button, relay),
            on_gesture=bridge.gesture_made if bridge is not None else None,
            on_week=bridge.sessions_this_week if bridge is not None else None,
            pin_recovery=True,
        )
    except BaseException:
        early_button.close()
        if bridge is not None:
            bridge.stop()
        raise
    built.append(spotter)
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
        log_once_per_release(config.file, config.data_dir, __version__)
        if config.web_enabled:
            closers: list[Callable[[], None]] = []
            cleanup.callback(lambda: [close() for close in closers])
            threading.Thread(
                target=_serve_web,
                args=(spotter, config, web_port, closers),
                name="spotter-web-start",
                daemon=True,
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


def _serve_web(
    spotter: Assembly, config: Config, port: list[int], closers: list[Callable[[], None]]
) -> None:
    """Load and start the web page; a failure is logged and the button carries on."""
    try:
        close, effective_port = _start_web(spotter, config)
    except CommandError as err:
        log.error("%s; the button works without it", err)
        return
    except Exception:
        log.exception("the web page could not start; the button works without it")
        return
    closers.append(close)
    port.append(effective_port)
    log.info("web page on http://%s:%d/", config.web_host, effective_port)
    spotter.worker.announce_address()


def _simulated_finger(factory: Any, config: Config) -> SimulatedFinger:
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
    def unknown(key: str) -> None:
        print(f"unknown key {key!r}: {KEYS_HELP}", file=sys.stderr, flush=True)

    drive_from_keys(sys.stdin, finger, on_unknown=unknown)
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
