"""The boot unit: systemd checks it (``verify``, ``security``), and what it promises holds.

``systemd-analyze verify`` wants the ExecStart program to exist, so it checks the
unit inside a temporary root that holds a stand-in ``/usr/bin/spotter``
and a copy of the system's own units (the targets the unit is ordered against).
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "spotter.service"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
SYSTEM_UNIT_DIRS = [Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")]
MAX_EXPOSURE = 1.5


def directives(text: str) -> list[tuple[str, str, str]]:
    """``(section, key, value)`` for every line, repeated keys kept, as systemd reads them."""
    found: list[tuple[str, str, str]] = []
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found.append((section, key.strip(), value.strip()))
    return found


def values(key: str, text: str | None = None) -> list[str]:
    return [v for _, k, v in directives(text or UNIT.read_text()) if k == key]


def value(key: str) -> str:
    (only,) = values(key)
    return only


@pytest.fixture(scope="module")
def verify_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("root")
    program = root / "usr/bin/spotter"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\nexit 0\n")
    program.chmod(0o755)
    units = next((d for d in SYSTEM_UNIT_DIRS if (d / "multi-user.target").exists()), None)
    if units is None:
        pytest.skip("this machine has no systemd units to verify against")
    shutil.copytree(units, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def verify(root: Path, unit_text: str) -> subprocess.CompletedProcess[str]:
    (root / "etc/systemd/system/spotter.service").write_text(unit_text)
    return subprocess.run(
        [ANALYZE, "verify", f"--root={root}", "spotter.service"],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_analyze
def test_systemd_analyze_verify_passes_without_a_warning(verify_root):
    result = verify(verify_root, UNIT.read_text())
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


@needs_analyze
@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("Type=notify", "Type=notifyy"), "Failed to parse service type"),
        (("UMask=0077", "UMask=0077\nProtectSystm=strict"), "Unknown key"),
    ],
)
def test_verify_would_catch_a_broken_unit(verify_root, change, complaint):
    broken = UNIT.read_text().replace(*change)
    result = verify(verify_root, broken)
    assert complaint in result.stdout + result.stderr


@needs_analyze
def test_verify_would_catch_a_missing_program(verify_root):
    text = UNIT.read_text().replace("/usr/bin/spotter", "/usr/bin/nothing")
    result = verify(verify_root, text)
    assert result.returncode != 0
    assert "is not executable" in result.stderr


@needs_analyze
def test_the_security_exposure_is_at_most_one_and_a_half(tmp_path):
    unit = tmp_path / "spotter.service"
    shutil.copy(UNIT, unit)
    result = subprocess.run(
        [
            ANALYZE,
            "security",
            "--offline=yes",
            f"--threshold={round(MAX_EXPOSURE * 10)}",
            str(unit),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for spotter\.service: (\d+\.\d)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= MAX_EXPOSURE
    assert result.returncode == 0, result.stdout


# -- what the unit promises -------------------------------------------------------------------


def test_it_tells_systemd_when_it_is_ready_and_is_watched():
    assert value("Type") == "notify"
    assert value("NotifyAccess") == "main"
    assert int(value("WatchdogSec")) >= 10
    assert value("Restart") == "on-failure"
    assert int(value("StartLimitBurst")) >= 1
    assert int(value("StartLimitIntervalSec")) > 0
    assert value("ExecStart") == "/usr/bin/spotter run --config /etc/spotter/spotter.toml"


def test_it_runs_as_its_own_user_with_gpio_sound_and_input():
    assert value("User") == "spotter"
    assert set(value("SupplementaryGroups").split()) == {"gpio", "audio", "input"}
    assert value("DevicePolicy") == "closed"
    allowed = dict(v.split() for v in values("DeviceAllow"))
    # Clickers are read and grabbed, never written: input devices read-only.
    assert allowed == {"char-gpiochip": "rw", "char-alsa": "rw", "char-input": "r"}
    # Either would cut the service off from /dev/gpiochip* or from its groups.
    for key in ("PrivateDevices", "PrivateUsers", "DynamicUser"):
        assert values(key) in ([], ["no"])


def test_its_data_lives_in_the_state_directory_and_nothing_else_is_written():
    assert value("StateDirectory") == "spotter"
    assert "SPOTTER_DATA_DIR=%S/spotter" in values("Environment")
    assert value("ProtectSystem") == "strict"
    assert value("WorkingDirectory") == "%t/spotter"  # a tmpfs, for lgpio's pipes
    assert "LG_WD=%t/spotter" in values("Environment")
    assert values("ReadWritePaths") == []
    assert values("StandardOutput") in ([], ["journal"])


def test_it_keeps_no_privileges():
    assert value("CapabilityBoundingSet") == ""
    assert value("AmbientCapabilities") == ""
    assert value("NoNewPrivileges") == "yes"
    assert value("SystemCallArchitectures") == "native"
    assert "@system-service" in values("SystemCallFilter")
    assert value("RestrictAddressFamilies").split() == [
        "AF_UNIX",
        "AF_INET",
        "AF_INET6",
        "AF_NETLINK",  # socket.if_nameindex(), the address lookup's fallback
    ]


@pytest.mark.attack
def test_it_talks_only_to_the_lan():
    assert values("IPAddressDeny") == ["any"]
    allowed = " ".join(values("IPAddressAllow")).split()
    assert set(allowed) == {
        "localhost",
        "link-local",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
    }


def megabytes(text: str) -> float:
    units = {"K": 1 / 1024, "M": 1, "G": 1024}
    return float(text[:-1]) * units[text[-1]] if text[-1] in units else int(text) / 2**20


@pytest.mark.attack
def test_memory_and_tasks_are_capped_with_headroom():
    # The daemon's own target is 55 MB; espeak-ng's process takes about 25 MB more.
    assert 55 + 25 + 40 <= megabytes(value("MemoryHigh")) <= megabytes(value("MemoryMax")) <= 256
    assert 32 <= int(value("TasksMax")) <= 128


# -- MemoryDenyWriteExecute= against the real voice ---------------------------------------------

PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1


def kernel_has_mdwe() -> bool:
    if sys.platform != "linux":
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    # PR_GET_MDWE: reading the flags is harmless and says whether the kernel knows them.
    return libc.prctl(66, 0, 0, 0, 0) >= 0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.skipif(not kernel_has_mdwe(), reason="the kernel has no PR_SET_MDWE (Linux < 6.3)")
def test_the_voice_renders_with_write_execute_memory_refused(tmp_path):
    # The kernel's own W^X switch refuses what MemoryDenyWriteExecute= refuses:
    # memory that is writable and executable, or made executable later.
    code = textwrap.dedent(
        f"""
        import ctypes, sys
        from pathlib import Path
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) == 0
        from device.voice.tts import Pyttsx3Renderer, VoiceSettings
        target = Path(sys.argv[1])
        Pyttsx3Renderer().render("Set two of three. Ten reps.", VoiceSettings(), target)
        print(target.stat().st_size)
        """
    )
    wav = tmp_path / "line.wav"
    result = subprocess.run(
        [sys.executable, "-c", code, str(wav)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 10_000
