"""Chooses how gpiozero reaches the pins: a real GPIO library on a Pi, or mock pins."""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any

log = logging.getLogger(__name__)

# gpiozero's own order of preference: lgpio drives every Pi including the Pi 5,
# RPi.GPIO cannot drive a Pi 5, and the native factory is gpiozero's last resort.
DEFAULT_ORDER = ("lgpio", "rpigpio", "pigpio", "native")
FACTORY_NAMES = ("mock", *DEFAULT_ORDER)
# gpiozero's own registry (its "gpiozero_pin_factories" entry points), written out: looking
# a name up there reads the metadata of every installed package, which on a Pi with the
# system's Python packages is a good part of the time before the button is live.
FACTORY_CLASSES = {
    "mock": ("gpiozero.pins.mock", "MockFactory"),
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}

# Where each library comes from: Pi OS packages serve the system Python, a venv
# without system site-packages needs the one from PyPI.
PACKAGES = {
    "lgpio": ("lgpio", "python3-lgpio", "lgpio"),
    "rpigpio": ("RPi.GPIO", "python3-rpi-lgpio", "rpi-lgpio"),
    "pigpio": ("pigpio", "python3-pigpio", "pigpio"),
}


def install_hint(name: str) -> str:
    """How to install the library behind factory ``name``, for a one-line error."""
    library, apt, pip = PACKAGES[name]
    return f"install {library} (apt: {apt}; in a venv: pip install {pip})"


class NoGpioError(RuntimeError):
    """No pin factory could be made; the message is one line for the user."""


def make_pin_factory(name: str | None = None) -> Any:
    """A gpiozero pin factory by ``name`` (see FACTORY_NAMES), or None for gpiozero's choice.

    None honours ``GPIOZERO_PIN_FACTORY`` as gpiozero does, else tries DEFAULT_ORDER.
    Raises NoGpioError with one line naming what to install.
    """
    source = "GPIO library"
    if name is None and os.environ.get("GPIOZERO_PIN_FACTORY"):
        name = os.environ["GPIOZERO_PIN_FACTORY"]
        source = "GPIOZERO_PIN_FACTORY"
    if name is not None:
        name = name.lower()
        if name not in FACTORY_NAMES:
            raise NoGpioError(f"unknown {source} {name!r} (choose from {', '.join(FACTORY_NAMES)})")
        try:
            return _load(name)
        except Exception as err:
            hint = f": {install_hint(name)}" if isinstance(err, ImportError) else ""
            raise NoGpioError(f"GPIO via {name} failed ({_reason(err)}){hint}") from err
    reasons: list[str] = []
    for candidate in DEFAULT_ORDER:
        try:
            return _load(candidate)
        except Exception as err:
            reasons.append(f"{candidate}: {_reason(err)}")
    log.debug("no pin factory loaded (%s)", "; ".join(reasons))
    raise NoGpioError(f"no GPIO found: {install_hint('lgpio')}")


def _load(name: str) -> Any:
    module, cls = FACTORY_CLASSES[name]
    return getattr(importlib.import_module(module), cls)()


def _reason(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__
