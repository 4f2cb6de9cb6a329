"""Live clickers: find the configured ones among /dev/input's devices, grab them, read them.

One thread looks for devices every ``rescan`` seconds (a Bluetooth remote that slept
comes back as a new /dev/input/eventN) and reads every open one with one ``select``.
A device is grabbed (EVIOCGRAB) so that its volume keys do not also change the volume
or type into a console; one already grabbed by another program is read anyway, and
said so. python-evdev is imported only here, and only when a clicker is configured.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from device.hardware.clicker import DeviceIdentity, KeyButton, matching

log = logging.getLogger(__name__)

EV_KEY = 1
BY_ID = Path("/dev/input/by-id")
# A Pi without a real-time clock may step its wall clock at boot: an event stamped more
# than this before it was read is taken as read.
MOST_LATE = 2.0


class NoEvdevError(RuntimeError):
    """python-evdev is not installed; the message says how to install it."""


def load_evdev() -> Any:
    try:
        import evdev
    except ImportError as err:
        raise NoEvdevError(
            "clickers need python-evdev (apt: python3-evdev; in a venv: pip install evdev)"
        ) from err
    return evdev


def by_id_names(path: str, directory: Path = BY_ID) -> tuple[str, ...]:
    """The /dev/input/by-id names that point at ``path``."""
    try:
        links = list(directory.iterdir())
    except OSError:
        return ()
    real = os.path.realpath(path)
    return tuple(sorted(link.name for link in links if os.path.realpath(link) == real))


def identify(device: Any, by_id: Path = BY_ID) -> DeviceIdentity:
    """What an open python-evdev ``InputDevice`` is known by."""
    return DeviceIdentity(
        path=str(device.path),
        name=device.name or "",
        uniq=device.uniq or "",
        phys=device.phys or "",
        by_id=by_id_names(str(device.path), by_id),
    )


def has_keys(device: Any) -> bool:
    """Whether a device sends keys at all (a mouse or a sensor does not)."""
    return bool(device.capabilities().get(EV_KEY))


def list_input_devices(evdev: Any, input_dir: str = "/dev/input") -> list[DeviceIdentity]:
    """Every key device this process may open, for ``spotter clicker list``."""
    found = []
    for path in sorted(evdev.list_devices(input_dir)):
        try:
            device = evdev.InputDevice(path)
        except OSError:
            continue
        try:
            if has_keys(device):
                found.append(identify(device))
        finally:
            device.close()
    return found


class ClickerWatcher:
    """Follows the configured clickers as they come and go, and feeds their ``KeyButton``s."""

    def __init__(
        self,
        buttons: Sequence[tuple[str, KeyButton]],
        *,
        evdev: Any = None,
        input_dir: str = "/dev/input",
        by_id: Path = BY_ID,
        rescan: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``buttons``: each clicker's configured device name and its KeyButton."""
        self._wanted = [wanted for wanted, _ in buttons]
        self._buttons = [button for _, button in buttons]
        self._evdev = evdev if evdev is not None else load_evdev()
        self._input_dir = input_dir
        self._by_id = by_id
        self._rescan = rescan
        self._clock = clock
        self._wall_clock = wall_clock
        self._open: dict[str, tuple[Any, KeyButton]] = {}
        self._ignored: dict[str, int] = {}  # path -> inode of a device that is no clicker
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spotter-clickers", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop reading and let go of every device (ungrabbed as it closes)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._rescan + 1.0)
        for path in list(self._open):
            self._drop(path, report=False)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.scan()
                self.read(self._rescan)
            except Exception:
                # A device that misbehaves must not take the other buttons with it.
                log.exception("reading the clickers failed; trying again")
                self._stop.wait(self._rescan)

    def scan(self) -> None:
        """Open and grab every configured clicker's device not open yet."""
        for path in self._evdev.list_devices(self._input_dir):
            if path in self._open or self._known_other(path):
                continue
            try:
                device = self._evdev.InputDevice(path)
            except OSError as err:
                log.debug("cannot open %s: %s", path, err)
                continue
            index = matching(self._wanted, identify(device, self._by_id))
            if index is None or not has_keys(device):
                self._remember_other(path)
                device.close()
                continue
            button = self._buttons[index]
            try:
                device.grab()
            except OSError as err:
                log.warning(
                    "clicker %s (%s): cannot have it to itself (%s); its keys also reach "
                    "other programs",
                    button.name,
                    path,
                    err.strerror or err,
                )
            self._open[path] = (device, button)
            log.info("clicker %s connected (%s, %s)", button.name, device.name, path)
            button.appeared(path, self._clock())

    def read(self, timeout: float) -> None:
        """Wait up to ``timeout`` for events and hand every key event on."""
        if not self._open:
            self._stop.wait(timeout)
            return
        devices = {device.fileno(): path for path, (device, _) in self._open.items()}
        ready, _, _ = select.select(list(devices), [], [], timeout)
        for fd in ready:
            self._read_one(devices[fd])

    def _read_one(self, path: str) -> None:
        device, button = self._open[path]
        try:
            for event in device.read():
                if event.type == EV_KEY:
                    button.key(path, event.code, event.value, self._stamp(event.timestamp()))
        except BlockingIOError:
            return
        except OSError as err:
            if err.errno not in (errno.ENODEV, errno.EIO):
                log.warning("clicker %s (%s): %s", button.name, path, err)
            self._drop(path, report=True)

    def _stamp(self, event_time: float) -> float:
        """An event's kernel time (the wall clock) on the engine's clock."""
        late = min(max(0.0, self._wall_clock() - event_time), MOST_LATE)
        return self._clock() - late

    def _drop(self, path: str, *, report: bool) -> None:
        device, button = self._open.pop(path)
        with contextlib.suppress(OSError):
            device.close()
        if report:
            log.info("clicker %s went away (%s)", button.name, path)
        button.vanished(path, self._clock())

    def _known_other(self, path: str) -> bool:
        inode = self._ignored.get(path)
        if inode is None:
            return False
        try:
            return Path(path).stat().st_ino == inode
        except OSError:
            return False

    def _remember_other(self, path: str) -> None:
        with contextlib.suppress(OSError):
            self._ignored[path] = Path(path).stat().st_ino
