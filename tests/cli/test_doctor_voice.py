"""``spotter doctor`` reads what the running service says of its voice."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from device.cli.doctor import Level, check_service_voice
from device.events import State, Status
from device.service.notify import describe_status

pytestmark = [
    pytest.mark.attack,
    pytest.mark.skipif(shutil.which("systemctl") is None, reason="systemctl is not installed"),
]


def service(active: str, status_text: str):
    def run(args, **kwargs):
        assert args[:3] == ["systemctl", "show", "spotter"], args
        out = f"ActiveState={active}\nStatusText={status_text}\n"
        return subprocess.CompletedProcess(args, 0, out, "")

    return run


IDLE = Status(state=State.IDLE, routine_name="Lower-back relief")


def test_a_voice_paused_for_a_full_disk_fails_with_what_to_do():
    line = describe_status(IDLE, "paused, the disk is full")
    result = check_service_voice(service("active", line))
    assert result is not None
    assert result.level == Level.FAIL
    assert "paused, the disk is full" in result.detail
    assert "make room" in result.fix


def test_a_silent_engine_points_at_the_journal():
    line = describe_status(IDLE, "silent for 3 min, the speech engine keeps failing")
    result = check_service_voice(service("active", line))
    assert result is not None and result.level == Level.FAIL
    assert "journalctl" in result.fix


def test_a_healthy_voice_is_ok_and_a_stopped_service_is_not_checked():
    result = check_service_voice(service("active", describe_status(IDLE)))
    assert result is not None and result.level == Level.OK
    assert check_service_voice(service("inactive", "")) is None
