"""``spotter clicker list`` and ``spotter clicker test``: find a clicker and check it in a minute.

``test`` decodes with the engine's own gesture code and prints each key and each
gesture; given a recording (evtest's text) it plays it through the same ``KeyButton``
a live device feeds, as fast as it can, on the recording's own clock.
"""

from __future__ import annotations

import argparse
import queue
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.engine.buttons import ButtonLink, Buttons, ButtonSpec
from device.engine.gestures import Edge, GestureTimings
from device.events import DEFAULT_GESTURE_ACTIONS, Gesture
from device.service.clickers import DEFAULT_KEYS, ClickerSetting
from device.service.errors import CommandError

AddOptions = Callable[[argparse.ArgumentParser], None]


class GesturePrinter:
    """Edges in, one ``gesture`` line per gesture out (and a ``key`` line per key edge)."""

    def __init__(
        self,
        timings: GestureTimings,
        specs: dict[str, ButtonSpec],
        write: Callable[[str], None],
        *,
        start: float = 0.0,
    ) -> None:
        self._buttons = Buttons(timings)
        self._buttons.set_specs(specs)
        self._write = write
        self._start = start

    def _stamp(self, at: float) -> str:
        return f"{at - self._start:8.3f} s"

    def edge(self, edge: Edge) -> None:
        self._write(
            f"key      {self._stamp(edge.at)}  {edge.button}: {'down' if edge.pressed else 'up'}"
        )
        self._show(self._buttons.edge(edge), edge.at)

    def link(self, link: ButtonLink) -> None:
        if not link.connected:
            self._buttons.gone(link.button)
        word = "connected" if link.connected else "gone"
        self._write(f"device   {self._stamp(link.at)}  {link.button}: {word}")

    def until(self, now: float) -> None:
        """Decide everything due up to ``now``, each at its own time."""
        while (deadline := self._buttons.next_deadline()) is not None and deadline <= now:
            self._show(self._buttons.poll(deadline), deadline)

    def next_deadline(self) -> float | None:
        return self._buttons.next_deadline()

    def _show(self, decided: list[tuple[str, Gesture]], at: float) -> None:
        for button, gesture in decided:
            action = DEFAULT_GESTURE_ACTIONS.get(gesture)
            counted = "" if self._buttons.holds(button) is not False else "  (counted presses)"
            self._write(
                f"gesture  {self._stamp(at)}  {button}: {gesture.value} -> "
                f"{action.value if action else '-'}{counted}"
            )


def _timings_and_clickers(args: argparse.Namespace) -> tuple[GestureTimings, list[ClickerSetting]]:
    from device.service.config import config_from_args
    from device.service.worker import gesture_timings
    from routines.settings import Settings

    config = config_from_args(args)
    return gesture_timings(config.gestures.apply(Settings())), list(config.clickers)


def _print(text: str) -> None:
    print(text, flush=True)


def cmd_clicker_test(args: argparse.Namespace) -> int:
    timings, clickers = _timings_and_clickers(args)
    specs = {c.name: ButtonSpec(holds=c.holds) for c in clickers}
    files = [Path(t) for t in args.target if Path(t).is_file()]
    if files and len(files) == len(args.target):
        return _test_recordings(files, clickers, timings, specs)
    if len(args.target) > 1:
        raise CommandError("give one device, or recordings (files) only")
    return _test_live(args.target[0] if args.target else None, clickers, timings, specs)


def _test_recordings(
    paths: list[Path],
    clickers: list[ClickerSetting],
    timings: GestureTimings,
    specs: dict[str, ButtonSpec],
) -> int:
    from device.hardware.clicker_playback import replay, timeline
    from device.hardware.evtest_recording import RecordingError
    from device.service.clicker_inputs import recorded_buttons

    holder: list[GesturePrinter] = []
    try:
        bound = recorded_buttons(
            paths, clickers, lambda e: holder[0].edge(e), lambda k: holder[0].link(k)
        )
    except RecordingError as err:
        raise CommandError(str(err)) from err
    events = timeline(bound)
    start = events[0][0] if events else 0.0
    printer = GesturePrinter(timings, specs, _print, start=start)
    holder.append(printer)
    replay(events, at_time=printer.until)
    printer.until(float("inf"))
    return 0


def _test_live(
    device: str | None,
    clickers: list[ClickerSetting],
    timings: GestureTimings,
    specs: dict[str, ButtonSpec],
) -> int:
    import time

    from device.hardware.clicker_devices import ClickerWatcher, NoEvdevError
    from device.service.clicker_inputs import configured_buttons

    if device is not None:
        named = [c for c in clickers if device in (c.name, c.device)]
        clickers = named or [ClickerSetting(device, device, DEFAULT_KEYS)]
    if not clickers:
        raise CommandError(
            "name a device (see 'spotter clicker list'), or add a [[clicker]] to the config"
        )
    items: queue.SimpleQueue[Edge | ButtonLink] = queue.SimpleQueue()
    chosen = clickers
    try:
        watcher = ClickerWatcher(configured_buttons(chosen, items.put, items.put))
    except NoEvdevError as err:
        raise CommandError(str(err)) from err
    printer = GesturePrinter(timings, specs, _print, start=time.monotonic())
    print(f"Listening to {', '.join(c.name for c in chosen)}; Ctrl-C stops.", flush=True)
    watcher.start()
    try:
        while True:
            deadline = printer.next_deadline()
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = items.get(timeout=wait)
            except queue.Empty:
                printer.until(time.monotonic())
                continue
            printer.until(item.at)
            if isinstance(item, Edge):
                printer.edge(item)
            else:
                printer.link(item)
    except KeyboardInterrupt:
        return 0
    finally:
        watcher.close()


def cmd_clicker_list(args: argparse.Namespace) -> int:
    from device.hardware.clicker import matching
    from device.hardware.clicker_devices import NoEvdevError, list_input_devices, load_evdev

    _, clickers = _timings_and_clickers(args)
    try:
        evdev: Any = load_evdev()
    except NoEvdevError as err:
        raise CommandError(str(err)) from err
    found = list_input_devices(evdev)
    if not found:
        print("No key devices found (is this user in the 'input' group?).", file=sys.stderr)
    wanted = [c.device for c in clickers]
    for device in found:
        index = matching(wanted, device)
        used = f"used as {clickers[index].name}" if index is not None else "not used"
        ids = ", ".join(device.by_id) or "-"
        print(f"{device.path}  {device.name!r}  uniq={device.uniq or '-'}  by-id={ids}  {used}")
    seen = {i for d in found if (i := matching(wanted, d)) is not None}
    for index, clicker in enumerate(clickers):
        if index not in seen:
            print(f"missing: {clicker.name} ({clicker.device}) is not connected")
    return 0


def cmd_clicker_pair(args: argparse.Namespace) -> int:
    from device.service.bluetooth_pair import pair_first_clicker

    address, name = pair_first_clicker(scan_seconds=args.scan_seconds)
    print(
        "Done. Add it to the config file, then restart Spotter:\n"
        f'[[clicker]]\ndevice = "{address}"\nname = "{name}"'
    )
    return 0


def add_commands(sub: Any, config_option: AddOptions, parser_class: type) -> None:
    clicker = sub.add_parser("clicker", help="find and check Bluetooth/USB clickers and pedals")
    csub = clicker.add_subparsers(
        dest="clicker_command", metavar="ACTION", parser_class=parser_class
    )
    csub.required = True
    c_list = csub.add_parser("list", help="the key devices present, and which are clickers")
    c_list.set_defaults(func=cmd_clicker_list)
    c_test = csub.add_parser(
        "test", help="print each key and the gesture Spotter makes of it (live, or a recording)"
    )
    c_test.add_argument(
        "target",
        nargs="*",
        metavar="DEVICE|RECORDING",
        help="a clicker's name, address or by-id name (default: the configured ones); "
        "or recordings of evtest's output, played instead of a live device",
    )
    c_test.set_defaults(func=cmd_clicker_test)
    c_pair = csub.add_parser(
        "pair", help="scan, pair, trust and connect the first new Bluetooth clicker"
    )
    c_pair.add_argument(
        "--scan-seconds", type=int, default=20, help="how long to look (default 20)"
    )
    c_pair.set_defaults(func=cmd_clicker_pair)
    for p in (c_list, c_test):
        config_option(p)
