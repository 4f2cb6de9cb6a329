"""The natural voice's package: built for this machine, installed offline beside Spotter's
in a clean Debian root, heard by the doctor; refused where onnxruntime has no build."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging import debian_root

REPO = Path(__file__).resolve().parents[2]
HOST = subprocess.run(
    ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
).stdout.strip()


def _natural_voice_module(monkeypatch):
    """packaging/natural_voice.py, as build.py imports it (beside build.py)."""
    monkeypatch.syspath_prepend(str(REPO / "packaging"))
    for name in ("build", "natural_voice"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("natural_voice")


def test_32_bit_arm_is_refused_before_anything_is_fetched(monkeypatch):
    natural_voice = _natural_voice_module(monkeypatch)
    with pytest.raises(SystemExit, match=r"needs a 64-bit system .* this one is armhf"):
        natural_voice.check_fits("armhf")
    natural_voice.check_fits("arm64")


CANNOT = debian_root.missing_powers() or (
    None if debian_root.ARCH == HOST else f"built for {HOST}, not for {debian_root.ARCH}"
)


@pytest.fixture(scope="module")
def debs(tmp_path_factory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("dist")
    spotter = debian_root.this_trees_package(tmp_path_factory)
    done = subprocess.run(
        [sys.executable, str(REPO / "packaging/build.py"), "--natural-voice", "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    return spotter, Path(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(CANNOT is not None, reason=CANNOT or "")
def test_the_natural_voice_installs_offline_and_the_doctor_hears_it(debs, tmp_path):
    spotter, natural = debs
    assert natural.name == f"spotter-natural-voice_{spotter.name.split('_')[1]}_{HOST}.deb"
    root = debian_root.unpack(
        debian_root.root_tarball(debian_root.depends(spotter)), tmp_path / "root"
    )
    try:
        root.dpkg_install(spotter)
        root.dpkg_install(natural)
        doctor = root.run("spotter", "doctor", "--no-play", user="spotter", check=False)
        (line,) = [line for line in doctor.stdout.splitlines() if "natural voice" in line]
        assert line.startswith("OK"), doctor.stdout + doctor.stderr
        assert "hibari-tts" in line and "rendered a test line" in line, line

        root.run("dpkg", "--remove", "spotter-natural-voice")
        assert not root.file("/usr/lib/spotter-natural-voice").exists()
        doctor = root.run("spotter", "doctor", "--no-play", user="spotter", check=False)
        assert "not installed (optional)" in doctor.stdout
    finally:
        root.close()
