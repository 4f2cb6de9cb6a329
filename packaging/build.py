"""Build Spotter's Debian package from a source tree: ``./dev package``.

The package is ``Architecture: all``: Spotter and the Python packages it carries are
pure Python (checked here), and what is compiled (alsaaudio, PyYAML, MarkupSafe, lgpio,
espeak-ng) comes from the OS's own mirror. Nothing is fetched or built at install time.
The shipped routine's audio in the default voice settings is rendered here too
(``prerender.py``), so a new device renders none of it before its first workout.

    python3 packaging/build.py [--rev GIT_REV | --natural-voice] [--out DIR]

``--rev`` packages the program as it was at that commit (with today's packaging): the
tests install such a build and upgrade from it. ``--natural-voice`` builds the natural
voice's package instead (``natural_voice.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LIB = "usr/lib/spotter"
# Read by the daemon (device.voice.shipped_audio): audio rendered here, played from the first start.
VOICE_CACHE = "usr/share/spotter/voice-cache"
LAUNCHER = """#!/usr/bin/python3
# Spotter's command: the program and the Python packages it carries live in /usr/lib/spotter.
import os
import sys

LIB = "/usr/lib/spotter"
# The natural voice: its own package's, or where systemd/install.sh --natural-voice put it.
NATURAL = ["/usr/lib/spotter-natural-voice", "/usr/local/lib/spotter-natural-voice"]
sys.path.insert(0, LIB)
sys.path.extend(NATURAL)
# The speech engines run as python3 -m device.voice...: they must find the program too.
os.environ["PYTHONPATH"] = os.pathsep.join([LIB, *NATURAL])
from device.cli.main import main

sys.exit(main())
"""


def run(*cmd: str | Path, cwd: Path | None = None) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=cwd)


def source_tree(rev: str | None, into: Path) -> Path:
    """The files pip builds Spotter from: a commit's, or the working tree's."""
    into.mkdir()
    if rev is not None:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", rev],
            check=True,
            capture_output=True,
        ).stdout
        tar = into.parent / "source.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as opened:
            opened.extractall(into, filter="data")
        return into
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-co", "--exclude-standard", "-z"],
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        src = REPO / name.decode()
        if src.is_file():
            (into / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, into / name.decode())
    return into


def version_of(tree: Path) -> str:
    return str(tomllib.loads((tree / "pyproject.toml").read_text())["project"]["version"])


def pip_into(target: Path, *args: str | Path) -> None:
    run(
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
        "--only-binary", ":all:", "--target", target, *args,
    )  # fmt: skip


def check_pure_python(target: Path) -> None:
    """One package for every architecture holds only if nothing in it was compiled."""
    compiled = [p for p in target.rglob("*") if p.suffix in {".so", ".pyd"}]
    if compiled:
        raise SystemExit(f"compiled files would tie the package to one machine: {compiled}")
    for wheel_file in target.glob("*.dist-info/WHEEL"):
        tags = [line for line in wheel_file.read_text().splitlines() if line.startswith("Tag:")]
        if any("none-any" not in tag for tag in tags):
            raise SystemExit(f"{wheel_file.parent.name} is not a pure-Python wheel: {tags}")


# What rendering needs beside the staged program: the device has them from Debian
# (python3-numpy, python3-yaml, libespeak-ng1), a build machine may not.
RENDER_NEEDS = "import numpy, yaml, pyttsx3.drivers._espeak"


def _render_python(env: dict[str, str], cwd: Path) -> str | None:
    """This Python, else the OS's (install.sh builds in a bare venv, and the OS's Python
    has Debian's packages), if it can render; None if neither can."""
    for python in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        probe = subprocess.run(
            [python, "-c", RENDER_NEEDS], cwd=cwd, env=env, capture_output=True, check=False
        )
        if probe.returncode == 0:
            return python
    return None


def prerender(lib: Path, out: Path) -> None:
    """The audio a new device would render before its first workout, rendered now by the
    staged program (so with its keys) and this machine's espeak-ng (Debian's, as the
    device's is: another espeak-ng version has other keys, and renders as before)."""
    reads_it = (lib / "device/voice/shipped_audio.py").exists() or "SHIPPED" in (
        lib / "device/voice/cache.py"
    ).read_text()
    if not reads_it:
        return  # an older program, which would never read it
    env = {**os.environ, "PYTHONPATH": str(lib), "PYTHONDONTWRITEBYTECODE": "1"}
    # Run away from any checkout, whose program would otherwise come first on the path.
    with tempfile.TemporaryDirectory(prefix="spotter-prerender-") as away:
        python = _render_python(env, Path(away))
        if python is None:
            print(
                "no speech pre-rendered: neither this Python nor /usr/bin/python3 has numpy,"
                " PyYAML and espeak-ng (apt install python3-numpy python3-yaml espeak-ng);"
                " a device with this package renders its lines at first start instead",
                file=sys.stderr,
            )
            return
        subprocess.run(
            [python, str(HERE / "prerender.py"), str(out)],
            check=True,
            cwd=away,
            env=env,
            stdout=subprocess.DEVNULL,
        )


def stage(tree: Path, root: Path) -> str:
    version = version_of(tree)
    lib = root / LIB
    pip_into(lib, tree)
    pip_into(lib, "-r", HERE / "bundle.txt")
    shutil.rmtree(lib / "bin", ignore_errors=True)
    prerender(lib, root / VOICE_CACHE)
    for cache in lib.rglob("__pycache__"):
        shutil.rmtree(cache)
    check_pure_python(lib)

    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/spotter").write_text(LAUNCHER)
    (root / "usr/bin/spotter").chmod(0o755)

    unit = root / "lib/systemd/system/spotter.service"
    unit.parent.mkdir(parents=True)
    shutil.copy2(REPO / "systemd/spotter.service", unit)

    # Commands run by hand read the config: point them at the service's data.
    conf = root / "etc/spotter/spotter.toml"
    conf.parent.mkdir(parents=True)
    example = (tree / "systemd/spotter.toml").read_text()
    conf.write_text(
        "\n".join(
            'data_dir = "/var/lib/spotter"' if line.startswith("# data_dir = ") else line
            for line in example.splitlines()
        )
        + "\n"
    )

    # The pristine example: the doctor names keys it has that the owner's file lacks.
    (root / "usr/share/spotter").mkdir(parents=True, exist_ok=True)
    shutil.copy2(conf, root / "usr/share/spotter/spotter.toml")

    doc = root / "usr/share/doc/spotter"
    doc.mkdir(parents=True)
    shutil.copy2(HERE / "debian/copyright", doc / "copyright")
    for name in ("docs/raspberry-pi.md", "docs/install.md", "CHANGELOG.md"):
        if (tree / name).exists():
            shutil.copy2(tree / name, doc / Path(name).name)

    control = root / "DEBIAN"
    control.mkdir()
    size_kib = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) // 1024
    (control / "control").write_text(
        (HERE / "debian/control")
        .read_text()
        .replace("@VERSION@", version)
        .replace("@SIZE@", str(size_kib))
    )
    shutil.copy2(HERE / "debian/conffiles", control / "conffiles")
    for script in ("postinst", "prerm", "postrm"):
        shutil.copy2(HERE / "debian" / script, control / script)
        (control / script).chmod(0o755)
    for path in root.rglob("*"):
        if path.is_dir():
            path.chmod(0o755)
        elif path.parent != control and path != root / "usr/bin/spotter":
            path.chmod(0o644)
    return version


def build(rev: str | None, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="spotter-deb-") as tmp:
        work = Path(tmp)
        tree = source_tree(rev, work / "src")
        root = work / "root"
        root.mkdir()
        version = stage(tree, root)
        deb = out / f"spotter_{version}_all.deb"
        run("dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, deb)
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="package the program as it was at this git commit")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument(
        "--natural-voice",
        action="store_true",
        help="build spotter-natural-voice_<version>_<arch>.deb (amd64 and arm64 only)",
    )
    args = parser.parse_args()
    if args.natural_voice:
        from natural_voice import build_natural

        deb = build_natural(args.out)
    else:
        deb = build(args.rev, args.out)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
