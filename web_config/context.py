"""What every view reaches for: the device's store, the session control and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

from device.control import SessionControl
from routines.store import Store

EXTENSION = "spotter"


@dataclass(frozen=True, slots=True)
class DeviceLink:
    """The parts of the running device the web page is allowed to use."""

    store: Store
    control: SessionControl
    clock: Callable[[], float]


def attach(app: Flask, link: DeviceLink) -> None:
    """Make ``link`` available to the views of ``app``."""
    app.extensions[EXTENSION] = link


def link() -> DeviceLink:
    """The device link of the app handling the current request."""
    found: DeviceLink = current_app.extensions[EXTENSION]
    return found


def store() -> Store:
    """The shared store (routines, settings, history)."""
    return link().store


def control() -> SessionControl:
    """The running session, reached only through the ``SessionControl`` seam."""
    return link().control
