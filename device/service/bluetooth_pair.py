"""Pairing a clicker through BlueZ's ``bluetoothctl``: scan, pair, trust and connect the
first new keyboard-like Bluetooth device, saying each step.

``spotter clicker pair`` runs it at a terminal (``sudo`` where BlueZ asks for it), printing
the steps; the running service runs it for a 10 s hold of the wall button or the phone
page (``device.service.pairing``), speaking them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

from device.service.errors import CommandError

Run = Callable[..., "subprocess.CompletedProcess[str]"]
_DEVICE = re.compile(r"^Device\s+(?P<address>([0-9A-F]{2}:){5}[0-9A-F]{2})\s*(?P<name>.*)$", re.I)
# What BlueZ shows for a device that sends keys: a keyboard's icon, or the HID profile.
_KEYS = ("Icon: input-keyboard", "Icon: input-gaming", "Human Interface Device")


def _ctl(run: Run, *args: str, timeout: float = 30.0) -> str:
    try:
        done = run(["bluetoothctl", *args], capture_output=True, text=True, timeout=timeout + 10)
    except subprocess.TimeoutExpired as err:
        raise CommandError(f"bluetoothctl {' '.join(args)} did not finish") from err
    return done.stdout or ""


def _devices(run: Run, *which: str) -> dict[str, str]:
    found = {}
    for line in _ctl(run, "devices", *which).splitlines():
        if match := _DEVICE.match(line.strip()):
            found[match["address"].upper()] = match["name"].strip()
    return found


def pair_first_clicker(
    *, scan_seconds: int = 20, run: Run = subprocess.run, say: Callable[[str], None] = print
) -> tuple[str, str]:
    """Pair the first keyboard-like device not paired yet; its address and name."""
    if shutil.which("bluetoothctl") is None:
        raise CommandError("bluetoothctl is not installed (sudo apt install bluez)")
    if "Powered: yes" not in _ctl(run, "show"):
        say("Turning Bluetooth on.")
        _ctl(run, "power", "on")
    known = _devices(run, "Paired")
    say(f"Looking for clickers for {scan_seconds} s: wake yours now (press or hold its button).")
    _ctl(run, "--timeout", str(scan_seconds), "scan", "on", timeout=scan_seconds)
    for address, name in _devices(run).items():
        if address in known:
            continue
        info = _ctl(run, "info", address)
        if not any(mark in info for mark in _KEYS):
            continue
        label = f"{name or 'a device'} ({address})"
        say(f"Found {label}. Pairing.")
        for step, words in (("pair", "Paired"), ("trust", "Trusted"), ("connect", "Connected")):
            out = _ctl(run, step, address)
            if "successful" not in out.lower() and f"{words}: yes" not in _ctl(
                run, "info", address
            ):
                raise CommandError(f"{step} {address} failed: {out.strip() or 'no answer'}")
            say(f"{words}.")
        return address, name or address
    raise CommandError(
        "no new clicker was found: wake it (most pair while their button is held) and try again"
    )
