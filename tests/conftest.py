"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from device.testing import FakeClock


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: spread over parallel workers, the short ones then fill the
    gaps, where a slow test drawn last would keep one worker busy after the rest are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
