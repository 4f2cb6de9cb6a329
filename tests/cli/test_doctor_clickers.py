"""``spotter doctor`` on clickers: found, missing, unreadable, and silent when none is set."""

from __future__ import annotations

import subprocess
from pathlib import Path

from device.cli.doctor import Level
from device.cli.doctor_clickers import check_clickers
from device.service.clickers import ClickerSetting
from device.service.config import Config
from tests.hardware.test_clicker import StandInDevice, StandInEvdev

ANN = ClickerSetting("dc:2c:26:0a:11:01", "Ann's remote")
BEN = ClickerSetting("dc:2c:26:0a:11:02", "Ben's remote")


def no_bluetooth(*args, **kwargs):
    raise AssertionError("bluetoothctl is not asked here")


def test_no_clicker_configured_adds_no_lines():
    assert check_clickers(Config(), evdev=object()) == []


def test_each_clicker_found_or_missing(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    remote = StandInDevice(str(tmp_path / "event1"), "AB Shutter3", "DC:2C:26:0A:11:01")
    Path(remote.path).touch()
    results = check_clickers(
        Config(clickers=(ANN, BEN)), evdev=StandInEvdev(remote), input_dir=tmp_path
    )
    by_name = {r.name: r for r in results}
    assert by_name["clicker Ann's remote"].level is Level.OK
    assert remote.path in by_name["clicker Ann's remote"].detail
    assert by_name["clicker Ben's remote"].level is Level.WARN
    assert "not connected" in by_name["clicker Ben's remote"].detail
    assert "bluetoothctl" in by_name["clicker Ben's remote"].fix


def test_input_devices_nobody_may_read_name_the_input_group(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    node = tmp_path / "event0"
    node.touch()
    monkeypatch.setattr("os.access", lambda path, mode: False)
    (first, *_) = check_clickers(Config(clickers=(ANN,)), evdev=StandInEvdev(), input_dir=tmp_path)
    assert first.level is Level.FAIL
    assert "input group" in first.fix


def test_bluetooth_state_and_pairing_come_from_bluetoothctl(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/" + name)
    said = {
        ("bluetoothctl", "show"): "Controller 00:11:22:33:44:55\n\tPowered: yes\n",
        ("bluetoothctl", "info", ANN.device): "\tPaired: yes\n\tTrusted: yes\n",
    }

    def run(args, **kwargs):
        return subprocess.CompletedProcess(args, 0, said[tuple(args)], "")

    results = check_clickers(
        Config(clickers=(ANN,)), evdev=StandInEvdev(), input_dir=tmp_path, run=run
    )
    by_name = {r.name: r for r in results}
    assert by_name["Bluetooth"].level is Level.OK
    assert "paired, trusted" in by_name["clicker Ann's remote"].detail
