"""``spotter clicker pair`` against a stand-in ``bluetoothctl`` on PATH (no Bluetooth here):
the real command line, the real subprocess calls, canned BlueZ answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FAKE = r"""#!/bin/sh
echo "$*" >> "$LOG"
case "$*" in
  show) echo "Controller 00:11:22:33:44:55"; echo "	Powered: $POWERED" ;;
  "devices Paired") echo "Device AA:AA:AA:AA:AA:01 Old keyboard" ;;
  devices) echo "Device AA:AA:AA:AA:AA:01 Old keyboard"; echo "Device AA:AA:AA:AA:AA:02 Speaker"
           echo "Device DC:2C:26:0A:11:22 AB Shutter3" ;;
  "info AA:AA:AA:AA:AA:02") echo "	Icon: audio-card" ;;
  "info DC:2C:26:0A:11:22") echo "	Icon: input-keyboard"; echo "	Paired: $PAIRED" ;;
  "pair DC:2C:26:0A:11:22") echo "$PAIR_SAYS" ;;
  trust*) echo "Changing DC:2C:26:0A:11:22 trust succeeded"; echo "trust successful" ;;
  connect*) echo "Connection successful" ;;
esac
"""


def pair(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "bluetoothctl").write_text(FAKE)
    (bindir / "bluetoothctl").chmod(0o755)
    log = tmp_path / "calls"
    config = tmp_path / "spotter.toml"
    config.write_text("")
    values = {"POWERED": "yes", "PAIRED": "no", "PAIR_SAYS": "Pairing successful", **env}
    result = subprocess.run(
        [sys.executable, "-m", "device.cli", "clicker", "pair", "--scan-seconds", "1"],
        env={
            **os.environ,
            **values,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "LOG": str(log),
            "SPOTTER_CONFIG": str(config),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, log.read_text().splitlines() if log.exists() else []


def test_the_first_new_keyboard_like_device_is_paired_trusted_and_connected(tmp_path):
    result, calls = pair(tmp_path, POWERED="no")
    assert result.returncode == 0, result.stderr
    assert "power on" in calls
    assert "--timeout 1 scan on" in calls
    # Not the one paired already, not the speaker: the shutter remote.
    assert calls[-3:] == [
        "pair DC:2C:26:0A:11:22",
        "trust DC:2C:26:0A:11:22",
        "connect DC:2C:26:0A:11:22",
    ]
    assert "info AA:AA:AA:AA:AA:01" not in calls
    for step in ("Found AB Shutter3", "Paired.", "Trusted.", "Connected."):
        assert step in result.stdout
    assert 'device = "DC:2C:26:0A:11:22"' in result.stdout


def test_a_failed_pairing_says_which_step_and_stops(tmp_path):
    result, calls = pair(tmp_path, PAIR_SAYS="Failed to pair: org.bluez.Error.AuthenticationFailed")
    assert result.returncode == 1
    assert "pair DC:2C:26:0A:11:22 failed" in result.stderr
    assert "AuthenticationFailed" in result.stderr
    assert not any(c.startswith("trust") for c in calls)
