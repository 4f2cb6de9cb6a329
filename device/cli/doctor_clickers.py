"""``spotter doctor``'s lines about clickers: python-evdev, access to /dev/input, Bluetooth,
and each configured clicker found or missing. Nothing is grabbed or changed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.cli.doctor import CheckResult, Level
from device.service.config import Config

Run = Callable[..., "subprocess.CompletedProcess[str]"]
_ADDRESS = re.compile(r"([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}")
PAIR_FIX = (
    "press it to wake it; if it was never paired: bluetoothctl, then scan on, pair, trust "
    "and connect its address (docs/clickers.md); 'spotter clicker list' shows what is there"
)


def check_clickers(
    config: Config,
    *,
    evdev: Any = None,
    input_dir: Path = Path("/dev/input"),
    run: Run = subprocess.run,
) -> list[CheckResult]:
    """One line per configured clicker, and what stops them all; [] when none is configured."""
    if not config.clickers:
        return []
    from device.hardware.clicker import matching
    from device.hardware.clicker_devices import NoEvdevError, list_input_devices, load_evdev

    try:
        evdev = evdev if evdev is not None else load_evdev()
    except NoEvdevError as err:
        return [CheckResult("clickers", Level.FAIL, str(err), "sudo apt install python3-evdev")]
    results: list[CheckResult] = []
    nodes = sorted(input_dir.glob("event*"))
    unreadable = [n for n in nodes if not os.access(n, os.R_OK)]
    if not nodes:
        results.append(CheckResult("clickers", Level.WARN, f"no input devices in {input_dir}"))
    elif len(unreadable) == len(nodes):
        results.append(
            CheckResult(
                "clickers",
                Level.FAIL,
                f"cannot read the input devices in {input_dir}",
                "add the user to the input group: sudo usermod -aG input $USER "
                "(the service has it already)",
            )
        )
    if (bluetooth := _bluetooth(run)) is not None:
        results.append(bluetooth)
    found = list_input_devices(evdev, str(input_dir))
    wanted = [c.device for c in config.clickers]
    for index, clicker in enumerate(config.clickers):
        name = f"clicker {clicker.name}"
        here = [d for d in found if matching(wanted, d) == index]
        paired = _paired(clicker.device, run)
        if here:
            where = ", ".join(f"{d.path} ({d.name})" for d in here)
            results.append(CheckResult(name, Level.OK, f"connected: {where}{paired}"))
        else:
            results.append(
                CheckResult(
                    name, Level.WARN, f"{clicker.device} is not connected{paired}", PAIR_FIX
                )
            )
    return results


def _bluetooth(run: Run) -> CheckResult | None:
    """Whether the Bluetooth controller is on, when bluetoothctl is installed."""
    if shutil.which("bluetoothctl") is None:
        return None
    try:
        shown = run(["bluetoothctl", "show"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as err:
        return CheckResult("Bluetooth", Level.WARN, f"bluetoothctl did not answer ({err})")
    if "Powered: yes" in shown.stdout:
        return CheckResult("Bluetooth", Level.OK, "the controller is on")
    if "Powered: no" in shown.stdout:
        return CheckResult(
            "Bluetooth", Level.WARN, "the controller is off", "bluetoothctl power on"
        )
    return CheckResult(
        "Bluetooth", Level.WARN, "no Bluetooth controller found", "USB clickers still work"
    )


def _paired(device: str, run: Run) -> str:
    """'; paired, trusted' for a Bluetooth address BlueZ knows; '' otherwise."""
    if not _ADDRESS.fullmatch(device) or shutil.which("bluetoothctl") is None:
        return ""
    try:
        info = run(["bluetoothctl", "info", device], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    words = [w for w in ("Paired", "Trusted") if f"{w}: yes" in info.stdout]
    return "; " + (", ".join(w.lower() for w in words) if words else "not paired")
