"""What the package carries matches what Spotter asks for and what the suite ran with."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
# From Debian (packaging/debian/control): compiled, so not carried.
FROM_DEBIAN = {"pyyaml", "pyalsaaudio", "markupsafe", "evdev", "numpy"}  # python3-evdev, -numpy


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            found[name.strip().lower()] = version.strip()
    return found


def test_every_dependency_is_carried_or_comes_from_debian_at_the_tested_version():
    carried = pins(REPO / "packaging/bundle.txt")
    tested = pins(REPO / "systemd/constraints.txt")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in map(Requirement, project["dependencies"]):
        name = requirement.name.lower()
        if name in FROM_DEBIAN:
            continue
        assert name in carried, f"{name} is neither carried nor from Debian"
        assert requirement.specifier.contains(carried[name]), (name, carried[name])
    for name, version in carried.items():
        assert tested.get(name) == version, f"{name}=={version} is not what the suite ran with"


def test_what_debian_provides_is_a_dependency_of_the_package():
    depends = (REPO / "packaging/debian/control").read_text()
    for package in (
        "python3-yaml",
        "python3-alsaaudio",
        "python3-markupsafe",
        "python3-numpy",
        "espeak-ng",
    ):
        assert package in depends


def test_the_version_number_is_written_in_one_place():
    import subprocess

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    found = subprocess.run(
        ["git", "-C", str(REPO), "grep", "-l", "-F", version],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    # The changelog names each release as its notes.
    assert set(found) <= {"pyproject.toml", "CHANGELOG.md"}, found
    from device import __version__

    assert __version__ == version
