"""Fixtures the service tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from device.testing import FakeClock
from tests.service.daemon import Daemon, running_daemon


@pytest.fixture
def daemon(tmp_path: Path, clock: FakeClock, mock_factory: MockFactory) -> Iterator[Daemon]:
    """The whole daemon on the fake clock, greeted and idle."""
    with running_daemon(tmp_path, clock, mock_factory) as running:
        yield running
