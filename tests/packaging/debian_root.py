"""A clean Debian root, made once per machine with mmdebstrap, for installing the package.

The root holds what the package depends on (read from its control file) and nothing
else, so the package itself installs offline: its commands run in a network namespace
with no network at all, which proves no Python package index (nor any mirror) is needed.
The made root is kept as a tarball under /var/cache/spotter-test (or ~/.cache) and
unpacked afresh for each test.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE = os.environ.get("SPOTTER_TEST_SUITE", "bookworm")
ARCH = (
    os.environ.get("SPOTTER_TEST_ARCH")
    or subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=False
    ).stdout.strip()
)
# The last build that wrote the store's first schema: a downgrade goes back to it.
SCHEMA_1_BUILD = "db548c4"
# Main's last commit before the package existed: the build a first upgrade comes from.
PREVIOUS_BUILD = "4c82df6"
# A Pi runs systemd; the root has it too, though nothing starts it.
ALSO = ["systemd"]


def missing_powers() -> str | None:
    """Why roots cannot be used here (a container without the needed privileges), or None."""
    if os.geteuid() != 0:
        return "needs root (chroot, mounts)"
    if shutil.which("mmdebstrap") is None:
        return "needs mmdebstrap (./dev test installs it)"
    tried = subprocess.run(
        ["unshare", "--net", "--mount", "true"], capture_output=True, check=False
    )
    if tried.returncode != 0:
        return "cannot make namespaces here (an unprivileged container?)"
    return None


def cache_dir() -> Path:
    for candidate in (Path("/var/cache/spotter-test"), Path.home() / ".cache/spotter-test"):
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise RuntimeError("no writable cache directory for the Debian root")


def mirror() -> str:
    """The Debian mirror this machine's apt uses (deb.debian.org when none is found)."""
    for sources in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for uri in re.findall(r"^URIs:\s*(\S+)", sources.read_text(), re.M):
            if uri.rstrip("/").endswith("/debian"):
                return uri
    listed = Path("/etc/apt/sources.list")
    if listed.exists():
        found = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)\s", listed.read_text(), re.M)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def depends(deb: Path) -> list[str]:
    """The package names the .deb depends on, without versions or alternatives."""
    field = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    return [part.split()[0].split("|")[0] for part in field.split(",") if part.strip()]


def root_tarball(includes: list[str]) -> Path:
    """The cached root with these packages, made the first time it is asked for."""
    wanted = sorted({*includes, *ALSO})
    key = hashlib.sha256(f"{SUITE} {ARCH} {' '.join(wanted)}".encode()).hexdigest()[:12]
    tarball = cache_dir() / f"{SUITE}-{ARCH}-{key}.tar"
    # The parallel run's workers each ask for it: one makes it, the others wait for it.
    with _one_at_a_time(tarball.with_suffix(".lock")):
        if tarball.exists():
            return tarball
        partial = tarball.with_suffix(".partial.tar")
        subprocess.run(
            [
                "mmdebstrap", "--quiet", "--variant=apt", f"--architectures={ARCH}",
                f"--include={','.join(wanted)}", SUITE, str(partial), mirror(),
            ],
            check=True,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        partial.rename(tarball)
    return tarball


@contextmanager
def _one_at_a_time(lock: Path) -> Iterator[None]:
    """Held by one process at a time; let go when the block ends or its process dies."""
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


class Root:
    """An unpacked root: run commands in it (offline), read its files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        for name in ("proc", "dev"):
            (path / name).mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "proc", "proc", str(path / "proc")], check=True)
        subprocess.run(["mount", "--rbind", "/dev", str(path / "dev")], check=True)

    def close(self) -> None:
        subprocess.run(["umount", "-R", str(self.path / "dev")], check=False)
        subprocess.run(["umount", str(self.path / "proc")], check=False)
        # Removing the tree through a mount still in place would delete the host's /dev.
        still = [m for m in ("dev", "proc") if (self.path / m).is_mount()]
        if still:
            raise RuntimeError(f"{self.path}: {', '.join(still)} still mounted; not removed")
        shutil.rmtree(self.path, ignore_errors=True)

    def file(self, name: str) -> Path:
        return self.path / name.lstrip("/")

    def put(self, local: Path, name: str) -> str:
        shutil.copy2(local, self.file(name))
        return name

    def run(
        self, *command: str, user: str | None = None, stdin: str = "", check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run in the root with no network (a fresh network namespace: not even loopback up)."""
        argv, env = self._offline(command, user)
        result = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, env=env, timeout=600, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result

    def start(self, *command: str, user: str | None = None) -> subprocess.Popen[str]:
        """Start a command in the root, offline, to talk to while it runs: its stdin and
        stderr are pipes, its stdout is dropped."""
        argv, env = self._offline(command, user)
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def _offline(
        self, command: tuple[str, ...], user: str | None
    ) -> tuple[list[str], dict[str, str]]:
        inner = list(command)
        if user is not None:
            inner = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *inner]
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "DEBIAN_FRONTEND": "noninteractive",
            "HOME": "/root" if user is None else "/nonexistent",
        }
        return ["unshare", "--net", "chroot", str(self.path), *inner], env

    def dpkg_install(self, deb: Path) -> subprocess.CompletedProcess[str]:
        name = self.put(deb, f"/tmp/{deb.name}")
        return self.run("dpkg", "--install", name)


def unpack(tarball: Path, into: Path) -> Root:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as opened:
        opened.extractall(into, filter="fully_trusted")
    return Root(into)


def this_trees_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package of this tree, built once per test run: the parallel run's workers
    share it rather than each building its own (about 20 s of CPU apiece)."""
    base = tmp_path_factory.getbasetemp()
    # A worker's base is inside the run's own, which its fellow workers share.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "this-trees-package"
    with _one_at_a_time(shared / "this-trees-package.lock"):
        found = sorted(out.glob("spotter_*.deb"))
        if found:
            return found[0]
        out.mkdir(exist_ok=True)
        return built_package(None, out)


def built_package(rev: str | None, out: Path) -> Path:
    """The package of this tree (rev None) or of an older commit, cached by commit."""
    if rev is not None:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", rev], capture_output=True, text=True, check=True
        ).stdout.strip()
        # Today's packaging of that commit's program: a change to either is a new build.
        packaging = hashlib.sha256()
        for part in sorted((REPO / "packaging").rglob("*")):
            if part.is_file() and "__pycache__" not in part.parts:
                packaging.update(part.name.encode() + part.read_bytes())
        out = cache_dir() / f"build-{commit[:12]}-{packaging.hexdigest()[:12]}"
        found = sorted(out.glob("spotter_*.deb"))
        if found:
            return found[0]
    command = ["python3", str(REPO / "packaging/build.py"), "--out", str(out)]
    if rev is not None:
        command += ["--rev", rev]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return Path(done.stdout.strip().splitlines()[-1])
