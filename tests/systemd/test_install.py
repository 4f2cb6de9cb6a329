"""systemd/install.sh against a temporary root, with stand-ins for the system's tools.

The stand-ins (apt-get, dpkg-query, getent, groupadd, useradd, usermod, userdel,
id, systemctl, python3, and the venv's pip and spotter) are this file run as a
script: each records its command line and keeps its state in files, so a second
run of the installer sees what the first one did. ``spotter config check`` is
the real config checker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOLS = [
    "apt-get",
    "dpkg-query",
    "getent",
    "groupadd",
    "useradd",
    "usermod",
    "userdel",
    "id",
    "systemctl",
    "python3",
]
DEBS = [
    "python3",
    "python3-venv",
    "python3-yaml",
    "python3-alsaaudio",
    "python3-evdev",
    "espeak-ng",
    "libespeak-ng1",
    "alsa-utils",
]
# Commands that only look: a second run may issue these and nothing else.
QUERIES = {"dpkg-query", "getent", "id", "spotter"}
QUERY_VERBS = {"is-enabled", "is-active"}


# -- the stand-ins (run as ``python test_install.py TOOL ARGS...``) ------------------------------


def _wrapper(path: Path, tool: str) -> None:
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{__file__}" {tool} "$@"\n')
    path.chmod(0o755)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _fake(tool: str, args: list[str]) -> int:
    root = Path(os.environ["SPOTTER_ROOT"])
    state = Path(os.environ["FAKE_STATE"])
    with Path(os.environ["FAKE_LOG"]).open("a") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    passwd, group = root / "etc/passwd", root / "etc/group"

    def groups_of(user: str) -> list[str]:
        found = []
        for line in _lines(group):
            name, _, _, members = line.split(":")
            if name == user or user in members.split(","):
                found.append(name)
        return found

    def add_member(user: str, names: list[str]) -> None:
        rows = []
        for line in _lines(group):
            name, x, gid, members = line.split(":")
            if name in names:
                members = ",".join([m for m in members.split(",") if m] + [user])
            rows.append(":".join([name, x, gid, members]))
        group.write_text("".join(r + "\n" for r in rows))

    if tool == "dpkg-query":
        if args[-1] in _lines(state / "debs"):
            print("install ok installed", end="")
            return 0
        return 1
    if tool == "apt-get":
        if args[0] == "install":
            with (state / "debs").open("a") as f:
                f.writelines(a + "\n" for a in args[1:] if not a.startswith("-"))
        return 0
    if tool == "getent":
        table = passwd if args[0] == "passwd" else group
        return 0 if any(line.split(":")[0] == args[1] for line in _lines(table)) else 2
    if tool == "groupadd":
        with group.open("a") as f:
            f.write(f"{args[-1]}:x:{900 + len(_lines(group))}:\n")
        return 0
    if tool == "useradd":
        name = args[-1]
        with passwd.open("a") as f:
            f.write(f"{name}:x:999:999::{args[args.index('--home-dir') + 1]}:/usr/sbin/nologin\n")
        with group.open("a") as f:
            f.write(f"{name}:x:999:\n")
        add_member(name, args[args.index("--groups") + 1].split(","))
        return 0
    if tool == "usermod":
        add_member(args[-1], args[args.index("--groups") + 1].split(","))
        return 0
    if tool == "userdel":
        passwd.write_text(
            "".join(f"{x}\n" for x in _lines(passwd) if not x.startswith(args[-1] + ":"))
        )
        return 0
    if tool == "id":
        if args[0] == "-nG":
            print(" ".join(groups_of(args[1])))
            return 0
        return subprocess.call(["/usr/bin/id", *args])
    if tool == "systemctl":
        verb, unit = args[0], args[-1]
        flags = {"enabled": state / "enabled", "active": state / "active"}
        if verb == "is-enabled":
            return 0 if flags["enabled"].exists() else 1
        if verb == "is-active":
            return 0 if flags["active"].exists() else 3
        if verb == "enable":
            flags["enabled"].touch()
        if verb in ("start", "restart"):
            flags["active"].touch()
        if verb == "disable" and "--now" in args:
            flags["enabled"].unlink(missing_ok=True)
            flags["active"].unlink(missing_ok=True)
        assert verb == "daemon-reload" or unit == "spotter", args
        return 0
    if tool == "python3":
        assert args[:2] == ["-m", "venv"], args
        bin_dir = Path(args[-1]) / "bin"
        bin_dir.mkdir(parents=True)
        _wrapper(bin_dir / "python", "python3")
        _wrapper(bin_dir / "pip", "pip")
        return 0
    if tool == "pip":
        assert args[args.index("--constraint") + 1].endswith("systemd/constraints.txt"), args
        # The last argument is the source folder, and the extras in brackets, if any.
        folder, _, extras = args[-1].partition("[")
        source = Path(folder)
        assert (source / "pyproject.toml").exists()
        venv = Path(os.environ["SPOTTER_ROOT"]) / "opt/spotter/venv"
        (venv / "installed-extras").write_text(extras.rstrip("]"))
        version = (source / "device" / "__init__.py").read_text()
        (venv / "installed-device-init.py").write_text(version)
        _wrapper(venv / "bin" / "spotter", "spotter")
        return 0
    if tool == "spotter":
        sys.path.insert(0, str(REPO))
        if args[0] == "avahi-service":
            # What the real command prints (the stand-in runs without site-packages).
            from device.service.config import load_config
            from device.service.mdns import service_file

            assert args[1] == "--config", args
            config = load_config(Path(args[2]), {}, {})
            print(service_file(config.name, config.web_port), end="")
            return 0
        assert args[:2] == ["config", "check"], args
        from device.service.config import check_config_file

        problems = check_config_file(Path(args[2]))
        print("\n".join(problems))
        return 1 if problems else 0
    raise AssertionError(f"no stand-in for {tool}")


if __name__ == "__main__":
    sys.exit(_fake(sys.argv[1], sys.argv[2:]))


# -- the tests ----------------------------------------------------------------------------------

import pytest  # noqa: E402 - the stand-ins above run without pytest's start-up

# Each test copies the checkout and runs the installer as a program, a second or more each.
pytestmark = pytest.mark.slow


class Machine:
    """A temporary root, its tools, and a copy of the checkout to install from."""

    def __init__(self, tmp_path: Path, *, pi: bool = True) -> None:
        self.root = tmp_path / "root"
        self.state = tmp_path / "state"
        self.log = tmp_path / "commands.log"
        self.bin = tmp_path / "bin"
        self.src = tmp_path / "src"
        for d in (self.root / "etc", self.state, self.bin):
            d.mkdir(parents=True)
        (self.root / "etc/group").write_text("audio:x:29:\n")
        (self.root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
        if pi:
            model = self.root / "proc/device-tree/model"
            model.parent.mkdir(parents=True)
            model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.5\0")
        for tool in TOOLS:
            _wrapper(self.bin / tool, tool)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("device", "routines", "web_config", "systemd", "docs"):
            shutil.copytree(REPO / name, self.src / name, ignore=ignore)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(REPO / name, self.src / name)

    def install(self, *args: str, dry_run: bool = False) -> subprocess.CompletedProcess[str]:
        self.log.write_text("")
        env = {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "SPOTTER_ROOT": str(self.root),
            "FAKE_STATE": str(self.state),
            "FAKE_LOG": str(self.log),
        }
        if dry_run:
            env["SPOTTER_DRY_RUN"] = "1"
        return subprocess.run(
            ["sh", str(self.src / "systemd/install.sh"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.install(*args)
        assert result.returncode == 0, result.stderr
        return result

    def commands(self) -> list[list[str]]:
        return [json.loads(line) for line in _lines(self.log)]

    def changes(self) -> list[list[str]]:
        """The recorded commands that change something."""
        return [
            c
            for c in self.commands()
            if c[0] not in QUERIES and not (c[0] == "systemctl" and c[1] in QUERY_VERBS)
        ]

    def tree(self) -> dict[str, str]:
        """Every path below the root with its type, mode and content (or link target)."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            mode = path.lstat().st_mode
            rel = str(path.relative_to(self.root))
            if stat.S_ISLNK(mode):
                found[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(mode):
                found[rel] = f"dir {oct(mode & 0o7777)}"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[rel] = f"file {oct(mode & 0o7777)} {digest}"
        return found

    def file(self, path: str) -> Path:
        return self.root / path.lstrip("/")


@pytest.fixture
def pi(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_a_fresh_install_puts_everything_in_place(pi):
    result = pi.ok()
    assert pi.changes() == [
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBS, "python3-lgpio"],
        ["groupadd", "--system", "gpio"],
        ["groupadd", "--system", "input"],
        [
            "useradd",
            "--system",
            "--user-group",
            "--groups",
            "gpio,audio,input",
            "--home-dir",
            "/var/lib/spotter",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "Spotter workout companion",
            "spotter",
        ],
        ["python3", "-m", "venv", "--system-site-packages", str(pi.file("/opt/spotter/venv"))],
        [
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--constraint",
            pi.changes()[6][-2],
            pi.changes()[6][-1],
        ],
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "spotter"],
        ["systemctl", "start", "spotter"],
    ]
    assert pi.changes()[6][-2].endswith("/systemd/constraints.txt")
    unit = pi.file("/etc/systemd/system/spotter.service")
    assert unit.read_text() == (REPO / "systemd/spotter.service").read_text()
    assert oct(unit.stat().st_mode & 0o777) == "0o644"
    assert os.readlink(pi.file("/usr/local/bin/spotter")) == "/opt/spotter/venv/bin/spotter"
    assert (
        pi.file("/opt/spotter/docs/raspberry-pi.md").read_text()
        == (REPO / "docs/raspberry-pi.md").read_text()
    )
    assert (
        pi.file("/opt/spotter/venv/installed-device-init.py").read_text()
        == (REPO / "device/__init__.py").read_text()
    )
    assert "Logs: journalctl -u spotter -f" in result.stderr


def test_the_config_is_the_commented_example_pointing_at_the_service_data(pi):
    pi.ok()
    config = pi.file("/etc/spotter/spotter.toml").read_text().splitlines()
    example = (REPO / "systemd/spotter.toml").read_text().splitlines()
    differ = [(a, b) for a, b in zip(example, config, strict=True) if a != b]
    assert differ == [('# data_dir = "/var/lib/spotter"', 'data_dir = "/var/lib/spotter"')]
    from device.service.config import check_config_file, load_config

    path = pi.file("/etc/spotter/spotter.toml")
    assert check_config_file(path) == []
    assert load_config(path, {}, {}).data_dir == Path("/var/lib/spotter")


def test_the_page_is_announced_to_avahi_and_nothing_else_restarts(pi):
    result = pi.ok()
    service = pi.file("/etc/avahi/services/spotter.service")
    root = ET.fromstring(service.read_bytes())
    assert root.findtext("name") == "Spotter (%h)"
    assert root.find("name").get("replace-wildcards") == "yes"
    assert root.findtext("service/type") == "_http._tcp"
    assert root.findtext("service/port") == "8080"
    assert oct(service.stat().st_mode & 0o777) == "0o644"
    assert "announcing the page on the network" in result.stderr
    # Every systemctl call is about spotter (the stand-in checks it): Avahi is not touched.
    assert all(c[-1] == "spotter" for c in pi.changes() if c[0] == "systemctl" and len(c) > 2)

    pi.file("/etc/spotter/spotter.toml").write_text('name = "Corner 2"\n[web]\nport = 9000\n')
    pi.ok()
    root = ET.fromstring(service.read_bytes())
    assert (root.findtext("name"), root.findtext("service/port")) == ("Corner 2", "9000")
    assert pi.changes() == []  # a new file for Avahi to read; nothing restarted

    pi.ok("--uninstall")
    assert not service.exists()


def test_the_user_is_in_the_gpio_and_audio_groups(pi):
    pi.ok()
    group = pi.file("/etc/group").read_text()
    assert "audio:x:29:spotter" in group
    assert any(line.startswith("gpio:") and line.endswith(":spotter") for line in group.split())


def test_running_it_again_changes_nothing(pi):
    pi.ok()
    before = pi.tree()
    pi.ok()
    assert pi.tree() == before
    assert pi.changes() == []
    # It did look: the packages, the user, the service and the config.
    tools = {c[0] for c in pi.commands()}
    assert {"dpkg-query", "getent", "id", "systemctl", "spotter"} <= tools


def test_an_edited_config_is_kept(pi):
    pi.ok()
    config = pi.file("/etc/spotter/spotter.toml")
    config.write_text("[button]\npin = 22\n")
    pi.ok()
    assert config.read_text() == "[button]\npin = 22\n"


def test_a_broken_config_is_reported_on_update(pi):
    pi.ok()
    pi.file("/etc/spotter/spotter.toml").write_text("[button]\npin = 99\n")
    result = pi.ok()
    assert "button.pin: must be a whole number from 0 to 27" in result.stderr
    assert "warning: fix /etc/spotter/spotter.toml" in result.stderr


def test_an_update_reinstalls_and_restarts(pi):
    pi.ok()
    init = pi.src / "device/__init__.py"
    init.write_text(init.read_text().replace('"0.1.0"', '"0.1.1"'))
    pi.ok()
    assert [c[0] for c in pi.changes()] == ["pip", "systemctl"]
    assert pi.changes()[-1] == ["systemctl", "restart", "spotter"]
    assert '"0.1.1"' in pi.file("/opt/spotter/venv/installed-device-init.py").read_text()


def test_the_natural_voice_is_installed_as_an_extra_when_asked_for(pi):
    pi.ok()
    assert pi.file("/opt/spotter/venv/installed-extras").read_text() == ""
    pi.ok("--natural-voice")
    assert [c[0] for c in pi.changes()] == ["pip", "systemctl"]
    assert pi.changes()[0][-1].endswith("[natural-voice]")
    assert pi.file("/opt/spotter/venv/installed-extras").read_text() == "natural-voice"
    pi.ok("--natural-voice")
    assert pi.changes() == []  # the same again changes nothing


def test_a_changed_unit_is_reloaded_and_restarted(pi):
    pi.ok()
    unit = pi.src / "systemd/spotter.service"
    unit.write_text(unit.read_text().replace("WatchdogSec=30", "WatchdogSec=40"))
    pi.ok()
    assert pi.changes() == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "restart", "spotter"],
    ]
    assert "WatchdogSec=40" in pi.file("/etc/systemd/system/spotter.service").read_text()


def test_an_existing_user_gets_the_missing_group(pi):
    pi.file("/etc/group").write_text("audio:x:29:\ngpio:x:997:\ninput:x:101:\nspotter:x:999:\n")
    pi.file("/etc/passwd").write_text("spotter:x:999:999::/var/lib/spotter:/usr/sbin/nologin\n")
    pi.ok()
    assert ["usermod", "--append", "--groups", "gpio", "spotter"] in pi.changes()
    assert ["usermod", "--append", "--groups", "audio", "spotter"] in pi.changes()
    assert ["usermod", "--append", "--groups", "input", "spotter"] in pi.changes()
    assert not any(c[0] in ("useradd", "groupadd") for c in pi.changes())


def test_off_a_pi_no_gpio_library_is_installed(tmp_path):
    machine = Machine(tmp_path, pi=False)
    result = machine.ok()
    (install,) = [c for c in machine.changes() if c[:2] == ["apt-get", "install"]]
    assert install[-len(DEBS) :] == DEBS
    assert "not a Raspberry Pi" in result.stderr


def test_uninstall_keeps_the_data_the_config_and_the_user(pi):
    pi.ok()
    data = pi.file("/var/lib/spotter/spotter.db")
    data.parent.mkdir(parents=True)
    data.write_bytes(b"routines and history")
    result = pi.ok("--uninstall")
    assert pi.changes() == [
        ["systemctl", "disable", "--now", "spotter"],
        ["systemctl", "daemon-reload"],
    ]
    assert not pi.file("/etc/systemd/system/spotter.service").exists()
    assert not pi.file("/opt/spotter").exists()
    assert not pi.file("/usr/local/bin/spotter").is_symlink()
    assert data.read_bytes() == b"routines and history"
    assert pi.file("/etc/spotter/spotter.toml").exists()
    assert "spotter:" in pi.file("/etc/passwd").read_text()
    assert "--purge removes them" in result.stderr
    # Installing again finds the data where it was.
    pi.ok()
    assert data.read_bytes() == b"routines and history"


def test_purge_removes_the_data_the_config_and_the_user(pi):
    pi.ok()
    data = pi.file("/var/lib/spotter/spotter.db")
    data.parent.mkdir(parents=True)
    data.write_bytes(b"routines and history")
    pi.ok("--purge")
    assert ["userdel", "spotter"] in pi.changes()
    assert not pi.file("/var/lib/spotter").exists()
    assert not pi.file("/etc/spotter").exists()
    assert not pi.file("/opt/spotter").exists()
    assert "spotter:" not in pi.file("/etc/passwd").read_text()


def test_uninstalling_what_is_not_installed_is_harmless(pi):
    pi.ok("--uninstall")
    assert pi.changes() == []


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(pi):
    before = pi.tree()
    result = pi.install(dry_run=True)
    assert result.returncode == 0, result.stderr
    assert pi.tree() == before
    assert pi.changes() == []
    assert "would run: useradd --system" in result.stdout
    assert "would run: systemctl enable spotter" in result.stdout


def test_an_unknown_option_is_one_clear_line(pi):
    result = pi.install("--frobnicate")
    assert result.returncode == 1
    assert result.stderr == "install.sh: unknown option --frobnicate (see --help)\n"


def test_help_describes_the_options(pi):
    result = pi.ok("--help")
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
    # Debian's (python3-yaml, python3-alsaaudio, python3-evdev), and the setuptools every
    # venv has.
    from_elsewhere = {"pyyaml", "pyalsaaudio", "evdev", "setuptools"}
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
