"""Pairing from the running Spotter against a stand-in ``bluetoothctl`` on PATH (no
Bluetooth here): the same BlueZ steps as ``spotter clicker pair``, said aloud."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from device.engine import phrases
from device.service.pairing import ClickerPairing
from tests.cli.test_clicker_pair import FAKE


@pytest.fixture
def bluez(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "bluetoothctl").write_text(FAKE)
    (bindir / "bluetoothctl").chmod(0o755)
    log = tmp_path / "calls"
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("LOG", str(log))
    for name, value in {
        "POWERED": "yes",
        "PAIRED": "no",
        "PAIR_SAYS": "Pairing successful",
    }.items():
        monkeypatch.setenv(name, value)
    return log


def pair() -> list[str]:
    said: list[str] = []
    pairing = ClickerPairing(said.append, scan_seconds=1)
    assert pairing.start()
    pairing.join(timeout=30)
    return said


def test_each_step_is_said_and_the_clicker_paired_trusted_and_connected(bluez):
    said = pair()
    assert said[1:] == [
        "Found AB Shutter3. Pairing.",  # its address is for the log, not the ear
        "Paired.",
        "Trusted.",
        "Connected.",
        phrases.pairing_done(),
    ]
    assert said[0].startswith("Looking for clickers")
    calls = bluez.read_text().splitlines()
    assert calls[-3:] == [f"{step} DC:2C:26:0A:11:22" for step in ("pair", "trust", "connect")]


def test_a_failed_pairing_says_so(bluez, monkeypatch):
    monkeypatch.setenv("PAIR_SAYS", "Failed to pair: org.bluez.Error.AuthenticationFailed")
    said = pair()
    assert said[-1] == phrases.pairing_failed()
    assert "Paired." not in said


def test_one_pairing_at_a_time(bluez):
    release = threading.Event()

    def slow_run(*args, **kwargs):
        release.wait(10)  # BlueZ still answering the first pairing
        return subprocess.run(*args, **kwargs)

    said: list[str] = []
    pairing = ClickerPairing(said.append, run=slow_run, scan_seconds=1)
    assert pairing.start() is True
    assert pairing.start() is False  # a second hold or tap while the first runs
    release.set()
    pairing.join(timeout=30)
    assert said.count(phrases.pairing_done()) == 1


# -- from the running Spotter --------------------------------------------------------------


def test_the_phone_page_asks_and_spotter_says_each_step(bluez, daemon):
    daemon.spotter.pair_clicker()
    daemon.settle()
    assert phrases.pairing_starts() in daemon.spoken
    daemon.spotter._pairing.join(timeout=30)
    daemon.until_said(phrases.pairing_done())
    said = daemon.spoken[daemon.spoken.index(phrases.pairing_starts()) :]
    assert [s for s in said if s in ("Paired.", "Trusted.", "Connected.")] == [
        "Paired.",
        "Trusted.",
        "Connected.",
    ]


def test_a_ten_second_hold_of_the_wall_button_pairs(bluez, daemon):
    from device.engine.gestures import Edge

    daemon.clock.advance(61.0)  # past the first minute (there is no PIN anyway)
    daemon.spotter.submit_edge(Edge(True, daemon.clock.now))
    for _ in range(42):
        daemon.clock.advance(0.25)
        daemon.settle()
    daemon.spotter.submit_edge(Edge(False, daemon.clock.now))
    daemon.settle()
    assert phrases.pairing_starts() in daemon.spoken
    daemon.spotter._pairing.join(timeout=30)
    daemon.until_said(phrases.pairing_done())
    assert "pair DC:2C:26:0A:11:22" in bluez.read_text().splitlines()
