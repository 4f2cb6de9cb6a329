"""The busy machine's spinners are shared by tests that run at once, and stopped by the
last of them."""

from __future__ import annotations

import time

import pytest

from tests.realtime import hog
from tests.realtime.hog import _spinning, cpu_hog


def gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while any(_spinning(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not any(_spinning(pid) for pid in pids)


@pytest.fixture(autouse=True)
def own_state(tmp_path, monkeypatch):
    # Apart from the suite's real-time tests, which may be spinning at this very moment.
    monkeypatch.setattr(hog, "STATE", tmp_path / "hog.json")


def test_tests_at_once_share_the_spinners_and_the_last_stops_them():
    with cpu_hog(2) as first:
        assert len(first) == 2 and all(_spinning(pid) for pid in first)
        with cpu_hog(2) as second:
            assert second == first
        # The first test still runs: its machine stays busy.
        assert all(_spinning(pid) for pid in first)
    assert gone(first)


def test_no_spinner_is_started_for_none():
    with cpu_hog(0) as pids:
        assert pids == []
