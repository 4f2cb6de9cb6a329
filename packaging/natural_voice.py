"""Build the natural voice's Debian package: ``./dev package --natural-voice``.

``spotter-natural-voice_<version>_<arch>.deb`` carries what the natural voice runs on
(hibari-tts with its voice, onnxruntime, numpy and theirs) in
/usr/lib/spotter-natural-voice, which the spotter command puts on its path. They are
wheels from the Python package index, fetched now at the versions the suite ran with
(systemd/constraints.txt), so the Pi needs no index and no compiler. onnxruntime is
compiled for one architecture and one Python: the package is for this machine's
architecture and its Python's minor version, which the target's python3 must match,
and it goes with the spotter package of the same version.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from build import HERE, REPO, run, version_of

LIB = "usr/lib/spotter-natural-voice"
# onnxruntime, which the natural voice runs on, is built for 64-bit systems only.
ARCHITECTURES = ("amd64", "arm64")


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def check_fits(arch: str) -> None:
    """Refuse, before anything is fetched, an architecture onnxruntime has no build for."""
    if arch not in ARCHITECTURES:
        raise SystemExit(
            f"the natural voice needs a 64-bit system (amd64 or arm64) and this one is {arch}: "
            "onnxruntime, which it runs on, has no build for it; the classic voice in the "
            "spotter package works there as it is"
        )


def stage(root: Path, version: str, arch: str) -> None:
    lib = root / LIB
    run(
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
        "--only-binary", ":all:", "--target", lib,
        "--constraint", REPO / "systemd/constraints.txt", "hibari-tts",
    )  # fmt: skip
    shutil.rmtree(lib / "bin", ignore_errors=True)
    for cache in lib.rglob("__pycache__"):
        shutil.rmtree(cache)
    doc = root / "usr/share/doc/spotter-natural-voice"
    doc.mkdir(parents=True)
    shutil.copy2(HERE / "debian/copyright", doc / "copyright")

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    control = root / "DEBIAN"
    control.mkdir()
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024
    (control / "control").write_text(
        (HERE / "debian/natural-voice/control")
        .read_text()
        .replace("@VERSION@", version)
        .replace("@ARCH@", arch)
        .replace("@SIZE@", str(size_kib))
        .replace("@PYTHON@", python)
        .replace("@PYTHON_NEXT@", f"{sys.version_info.major}.{sys.version_info.minor + 1}")
    )
    for script in ("postinst", "prerm"):
        shutil.copy2(HERE / "debian/natural-voice" / script, control / script)
        (control / script).chmod(0o755)
    for path in root.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
        elif path.parent != control:
            # Keep what the wheels made executable (none needs it on the path).
            path.chmod(0o755 if path.stat().st_mode & 0o100 else 0o644)


def build_natural(out: Path) -> Path:
    arch = architecture()
    check_fits(arch)
    version = version_of(REPO)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spotter-natural-deb-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        stage(root, version, arch)
        deb = out / f"spotter-natural-voice_{version}_{arch}.deb"
        run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, deb)
    return deb
