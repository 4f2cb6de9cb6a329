"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from device.testing import FakeClock


@pytest.fixture(autouse=True, scope="session")
def _data_home_of_our_own(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A command run without a data directory falls back on $XDG_DATA_HOME/spotter: give
    each test process its own, so no test reads another's store (tests run side by side,
    several to a machine) or the developer's own."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data-home"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    """A fresh MockFactory per test, the previous factory restored afterwards."""
    saved = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    try:
        yield factory
    finally:
        factory.reset()
        Device.pin_factory = saved
