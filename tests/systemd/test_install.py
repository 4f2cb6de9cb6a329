"""systemd/install.sh builds the package and hands it to apt, with stand-ins for the system's tools.

The stand-ins (apt-get, dpkg, dpkg-query, systemctl, and the build venv's python and pip)
record their command lines; the package itself is tested for real in tests/packaging.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "systemd/install.sh"
DEB = "/build/dist/spotter_9.9.9_all.deb"
PRINT_ARGS = "import json, sys; print(json.dumps(sys.argv[1:]))"
RECORD = f"""#!/bin/sh
"{sys.executable}" -c '{PRINT_ARGS}' "$(basename "$0")" "$@" >>"$FAKE_LOG"
"""


class Machine:
    def __init__(self, tmp_path: Path, arch: str = "arm64", installed: bool = False) -> None:
        self.root = tmp_path / "root"
        self.root.mkdir()
        self.log = tmp_path / "log"
        self.log.touch()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.venv = tmp_path / "venv"
        (self.venv / "bin").mkdir(parents=True)
        self.tool(self.bin / "apt-get")
        self.tool(self.bin / "systemctl")
        self.tool(self.bin / "dpkg", f"echo {arch}")
        status = "install ok installed" if installed else ""
        self.tool(self.bin / "dpkg-query", f"printf '{status}'")
        self.tool(self.venv / "bin/python", f"echo building; echo {DEB}")
        self.tool(self.venv / "bin/pip")

    def tool(self, path: Path, then: str = "") -> None:
        path.write_text(RECORD + then + "\n")
        path.chmod(0o755)

    def systemd_running(self) -> None:
        (self.root / "run/systemd/system").mkdir(parents=True)

    def install(self, *args: str, dry_run: bool = False) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "FAKE_LOG": str(self.log),
            "SPOTTER_ROOT": str(self.root),
            "SPOTTER_BUILD_VENV": str(self.venv),
            "SPOTTER_DRY_RUN": "1" if dry_run else "0",
        }
        return subprocess.run(
            ["sh", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
        )

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def apt(self) -> list[list[str]]:
        return [c[1:] for c in self.calls() if c[0] == "apt-get"]


@pytest.fixture
def pi(tmp_path) -> Machine:
    return Machine(tmp_path)


def test_it_builds_the_package_and_apt_installs_it_keeping_the_owners_config(pi):
    result = pi.install()
    assert result.returncode == 0, result.stderr
    assert pi.apt() == [
        ["update", "-q"],
        [
            "install", "-y", "-q",
            "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
            DEB,
        ],
    ]  # fmt: skip
    # Starting the service is the package's business (it knows whether systemd runs).
    assert not [c for c in pi.calls() if c[0] == "systemctl"]


def test_the_earlier_venv_install_is_replaced_and_its_unit_no_longer_hides_the_packages(pi):
    for name in ("opt/spotter/venv/bin", "etc/systemd/system", "usr/local/bin", "etc/spotter"):
        (pi.root / name).mkdir(parents=True)
    (pi.root / "etc/systemd/system/spotter.service").write_text("[Service]\n")
    (pi.root / "usr/local/bin/spotter").symlink_to("/opt/spotter/venv/bin/spotter")
    (pi.root / "etc/spotter/spotter.toml").write_text('name = "mine"\n')
    pi.systemd_running()
    assert pi.install().returncode == 0
    assert not (pi.root / "opt/spotter").exists()
    assert not (pi.root / "etc/systemd/system/spotter.service").exists()
    assert not (pi.root / "usr/local/bin/spotter").is_symlink()
    assert (pi.root / "etc/spotter/spotter.toml").read_text() == 'name = "mine"\n'
    assert ["systemctl", "daemon-reload"] in pi.calls()


def test_uninstall_is_apt_remove_and_purge_is_apt_purge(tmp_path):
    installed = Machine(tmp_path, installed=True)
    assert installed.install("--uninstall").returncode == 0
    assert installed.apt() == [["remove", "-y", "-q", "spotter"]]
    installed.log.write_text("")
    assert installed.install("--purge").returncode == 0
    assert installed.apt() == [["purge", "-y", "-q", "spotter"]]


def test_uninstalling_what_is_not_installed_is_harmless(pi):
    assert pi.install("--purge").returncode == 0
    assert pi.apt() == []


def test_the_natural_voice_is_installed_beside_the_package_with_pinned_versions(pi):
    assert pi.install("--natural-voice").returncode == 0
    (pip,) = [c[1:] for c in pi.calls() if c[0] == "pip"]
    assert pip[pip.index("--target") + 1] == f"{pi.root}/usr/local/lib/spotter-natural-voice"
    assert pip[pip.index("--constraint") + 1] == str(REPO / "systemd/constraints.txt")
    assert pip[-1] == "hibari-tts"


def test_the_natural_voice_is_refused_on_32_bit_before_anything_changes(tmp_path):
    armhf = Machine(tmp_path, arch="armhf")
    result = armhf.install("--natural-voice")
    assert result.returncode == 1
    assert "needs a 64-bit system (amd64 or arm64) and this one is armhf" in result.stderr
    assert "Traceback" not in result.stderr
    assert [c[0] for c in armhf.calls()] == ["dpkg"]


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(pi):
    result = pi.install(dry_run=True)
    assert result.returncode == 0
    assert "would run: apt-get update -q" in result.stdout
    assert "apt-get install -y -q" in result.stdout
    assert [c[0] for c in pi.calls()] == []


def test_an_unknown_option_is_one_clear_line(pi):
    result = pi.install("--frobnicate")
    assert result.returncode == 1
    assert result.stderr == "install.sh: unknown option --frobnicate (see --help)\n"


def test_help_describes_the_options(pi):
    result = pi.install("--help")
    assert "--uninstall" in result.stdout
    assert "--purge" in result.stdout
    assert "set -eu" not in result.stdout


@pytest.mark.attack
def test_every_package_pip_installs_on_the_device_is_pinned_natural_voice_included():
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    pins = {}
    for line in (REPO / "systemd/constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not an exact pin"
            pins[name.strip().lower()] = version.strip()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # What install.sh installs, with --natural-voice too.
    wanted = [
        Requirement(r)
        for r in [*project["dependencies"], *project["optional-dependencies"]["natural-voice"]]
    ]
    # Debian's (python3-yaml, python3-alsaaudio, python3-evdev), and the setuptools every venv has.
    from_elsewhere = {"pyyaml", "pyalsaaudio", "setuptools", "evdev"}
    seen: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = requirement.name.lower()
        if name in seen or name in from_elsewhere:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        seen.add(name)
        assert name in pins, f"{name} is installed on the device but not pinned"
        assert requirement.specifier.contains(pins[name]), (name, pins[name])
        wanted += [Requirement(r) for r in metadata.requires(name) or []]
