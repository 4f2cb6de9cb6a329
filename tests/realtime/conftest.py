"""The real-time fixtures: a sound card read at real-time speed, and a busy machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realtime.hog import cpu_hog
from tests.realtime.sound_card import SoundCard


@pytest.fixture
def card() -> Iterator[SoundCard]:
    with SoundCard() as card:
        yield card


@pytest.fixture
def busy_machine() -> Iterator[list[int]]:
    """Every core busy beside the test (the answers must not depend on load)."""
    with cpu_hog() as pids:
        yield pids
