"""The Debian package in a clean Debian root, as a Pi owner would install, upgrade and remove it.

The root (bookworm, this machine's architecture; ``./dev pi-check`` runs these on arm64)
holds only what the package depends on, and every command runs without a network, so
nothing can come from the Python package index. systemd does not run in a root: the
package must enable the service and say it was not started.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from routines.store import Store
from tests.cli.test_cli import USER_ROUTINE
from tests.packaging import debian_root
from tests.routines.test_store_upgrade import FIXTURE

CANNOT = debian_root.missing_powers()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CANNOT is not None, reason=CANNOT or "")]

# Every press of the quick routine: start, the hold and its end, the rest, two sets.
WORKOUT_KEYS = "\n" * 11 + "q\n"
CONF = "/etc/spotter/spotter.toml"
DATA = "/var/lib/spotter"
MAX_SIZE = 40 * 1024 * 1024


@pytest.fixture(scope="module")
def new_deb(tmp_path_factory) -> Path:
    return debian_root.this_trees_package(tmp_path_factory)


@pytest.fixture(scope="module")
def tarball(new_deb) -> Path:
    return debian_root.root_tarball(debian_root.depends(new_deb))


@pytest.fixture
def root(tarball, tmp_path):
    made = debian_root.unpack(tarball, tmp_path / "root")
    try:
        yield made
    finally:
        made.close()


def version_of(deb: Path) -> str:
    return subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def history_count(root) -> int:
    conn = sqlite3.connect(f"file:{root.file(DATA + '/spotter.db')}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM history WHERE completed").fetchone()[0]
    finally:
        conn.close()


def workout(root) -> str:
    """A routine imported and run through by the installed spotter, as the service's user."""
    root.file("/tmp/quick.yaml").write_text(USER_ROUTINE)
    root.run("spotter", "routines", "import", "/tmp/quick.yaml", "--activate", user="spotter")
    # Not --silent: the lines are rendered by the speech engine's own process.
    done = root.run("spotter", "run", "--simulate", "--no-web", user="spotter", stdin=WORKOUT_KEYS)
    assert "Traceback" not in done.stderr and "No module named" not in done.stderr, done.stderr
    return done.stdout


def test_the_package_is_small_and_for_every_architecture(new_deb):
    assert new_deb.stat().st_size <= MAX_SIZE
    assert new_deb.name.endswith("_all.deb")
    version = version_of(new_deb)
    assert new_deb.name == f"spotter_{version}_all.deb"


def test_a_fresh_install_offline_sets_everything_up(root, new_deb):
    # What the checkout's installer left before the package existed: it must not hide it.
    old_unit = root.file("/etc/systemd/system/spotter.service")
    old_unit.write_text("[Service]\nExecStart=/opt/spotter/venv/bin/spotter run\n")
    root.file("/opt/spotter/venv/bin").mkdir(parents=True)
    root.file("/opt/spotter/installed-source.sha256").write_text("0\n")
    root.file("/usr/local/bin/spotter").symlink_to("/opt/spotter/venv/bin/spotter")

    installed = root.dpkg_install(new_deb)
    assert not old_unit.exists()
    assert not root.file("/opt/spotter").exists()
    assert not root.file("/usr/local/bin/spotter").is_symlink()
    assert "systemd is not running here" in installed.stdout
    assert "starts at the next boot" in installed.stdout

    assert root.file("/usr/bin/spotter").stat().st_mode & 0o111
    assert 'data_dir = "/var/lib/spotter"' in root.file(CONF).read_text()
    conffiles = root.run("dpkg-query", "-W", "-f=${Conffiles}", "spotter").stdout
    assert CONF in conffiles
    # The service's user, in the groups that reach the pins and the sound card.
    entry = root.run("getent", "passwd", "spotter").stdout.strip().split(":")
    assert entry[5:] == [DATA, "/usr/sbin/nologin"]
    groups = set(root.run("id", "-nG", "spotter").stdout.split())
    assert groups == {"spotter", "gpio", "audio", "input"}
    assert root.run("stat", "-c", "%U %a", DATA).stdout.split() == ["spotter", "700"]
    # Enabled, as systemctl enable would: the link multi-user.target wants.
    wants = root.file("/etc/systemd/system/multi-user.target.wants/spotter.service")
    assert wants.is_symlink()
    assert str(wants.readlink()).endswith("/systemd/system/spotter.service")

    version = root.run("spotter", "--version").stdout.strip()
    assert version == f"spotter {version_of(new_deb)}"

    # In a root there are no pins and no sound card; everything else must pass.
    doctor = root.run("spotter", "doctor", "--no-play", user="spotter", check=False)
    failed = [
        line.split()[1].lower() for line in doctor.stdout.splitlines() if line.startswith("FAIL")
    ]
    assert set(failed) <= {"gpio", "button", "led", "sound", "audio", "speaker"}, doctor.stdout
    assert f"spotter {version_of(new_deb)}" in doctor.stdout
    assert "Traceback" not in doctor.stdout + doctor.stderr

    said = workout(root)
    assert "Calf raises" in said
    assert history_count(root) == 1

    # A line rendered by the speech engine's own process (python3 -m device.voice...).
    spoken = root.run("spotter", "say", "Ready when you are", user="spotter")
    assert "Ready when you are" in spoken.stdout
    assert "Traceback" not in spoken.stderr and "No module named" not in spoken.stderr
    cached = list(root.file(DATA + "/voice-cache").rglob("*.wav"))
    assert cached, spoken.stderr


READY = re.compile(r"speech for \d+ lines ready: (\d+) rendered now, (\d+) from the package, (\d+)")
SHIPPED = "/usr/share/spotter/voice-cache"
EXAMPLE = "/usr/share/spotter/spotter.toml"


def start_until_ready(root, lines: int) -> tuple[list[int], str]:
    """Start the installed daemon as the service does (its user, its data), wait until it
    has logged ``lines`` lines ready, then quit it. Lines rendered, from the package, from
    the cache; and its log."""
    daemon = root.start("spotter", "run", "--simulate", "--no-web", user="spotter")
    assert daemon.stdin is not None and daemon.stderr is not None
    logged: list[str] = []
    counts = [0, 0, 0]
    # An arm64 root under qemu starts the speech engine's process slowly.
    timer = threading.Timer(600, daemon.kill)
    timer.start()
    try:
        for line in daemon.stderr:
            logged.append(line)
            if found := READY.search(line):
                counts = [a + int(b) for a, b in zip(counts, found.groups(), strict=True)]
                if sum(counts) >= lines:
                    break
        daemon.stdin.write("q\n")
        daemon.stdin.close()
        logged += daemon.stderr.readlines()
        daemon.wait(timeout=120)
    finally:
        timer.cancel()
    return counts, "".join(logged)


def first_workout_only() -> int:
    """How many of the package's lines a new device asks for only once its first workout
    has made their words known (the summary, the week's count if ended)."""
    path = Path(__file__).resolve().parents[2] / "packaging" / "prerender.py"
    spec = importlib.util.spec_from_file_location("spotter_prerender", path)
    assert spec is not None and spec.loader is not None
    prerender = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prerender)
    with tempfile.TemporaryDirectory(prefix="spotter-store-") as tmp:
        store = Store.open(Path(tmp))
        try:
            return len(set(prerender.first_workout_lines(store)))
        finally:
            store.close()


def test_a_new_device_renders_no_line_before_its_first_workout(root, new_deb):
    root.dpkg_install(new_deb)
    shipped = list(root.file(SHIPPED).glob("*.wav"))
    assert len(shipped) >= 150  # the shipped routine's lines, each paced word, the tones
    at_start = len(shipped) - first_workout_only()
    # An owner's file from before the name setting was documented: it is news once.
    conf = root.file(CONF)
    conf.write_text(conf.read_text().replace('# name = "Spotter (corner 2)"\n', "", 1))

    # Every line the package rendered, but those of the first workout, is what a new
    # device asks for at start.
    counts, log = start_until_ready(root, at_start)
    rendered, from_package, _ = counts
    assert rendered == 0, log
    assert from_package >= at_start, log
    assert not list(root.file(DATA + "/voice-cache").glob("*.wav")), log
    assert "Traceback" not in log, log
    named = [line for line in log.splitlines() if "does not mention" in line]
    assert len(named) == 1, log
    assert named[0].endswith(f"does not mention: name (what they do: {EXAMPLE})"), log

    _, again = start_until_ready(root, at_start)
    assert "does not mention" not in again


@pytest.fixture(scope="module")
def previous_deb(tmp_path_factory) -> Path:
    return debian_root.built_package(debian_root.PREVIOUS_BUILD, tmp_path_factory.mktemp("prev"))


def test_an_upgrade_keeps_the_data_and_the_owners_config_edit(root, new_deb, previous_deb):
    root.dpkg_install(previous_deb)
    workout(root)
    conf = root.file(CONF)
    conf.write_text(conf.read_text().replace('# name = "Spotter (corner 2)"', 'name = "Corner 2"'))

    # As unattended upgrades do: keep the owner's file where both changed.
    upgraded = root.run(
        "dpkg", "--force-confdef", "--force-confold", "--install",
        root.put(new_deb, f"/tmp/{new_deb.name}"),
    )  # fmt: skip
    assert "starts at the next boot" in upgraded.stdout
    assert 'name = "Corner 2"' in conf.read_text()
    assert root.run("spotter", "--version").stdout.strip() == f"spotter {version_of(new_deb)}"
    listed = root.run("spotter", "routines", "list", user="spotter").stdout
    assert "quick-test\tQuick test" in listed and "(active)" in listed
    assert history_count(root) == 1
    assert root.file("/etc/systemd/system/multi-user.target.wants/spotter.service").is_symlink()


@pytest.fixture(scope="module")
def schema1_deb(tmp_path_factory) -> Path:
    return debian_root.built_package(debian_root.SCHEMA_1_BUILD, tmp_path_factory.mktemp("old"))


def test_a_downgrade_gets_the_data_back_from_the_copy_kept_before_the_upgrade(
    root, new_deb, schema1_deb
):
    root.dpkg_install(schema1_deb)
    store = root.file(DATA + "/spotter.db")
    store.write_bytes(FIXTURE.read_bytes())
    root.run("chown", "spotter:spotter", DATA + "/spotter.db")
    assert "desk-break" in root.run("spotter", "routines", "list", user="spotter").stdout

    root.dpkg_install(new_deb)
    assert "desk-break" in root.run("spotter", "routines", "list", user="spotter").stdout
    copy = root.file(DATA + "/spotter.db.pre-0.1.0")
    assert copy.exists()

    # Back to the older build: it refuses the upgraded store, and takes the copy.
    root.run("dpkg", "--install", root.put(schema1_deb, f"/tmp/{schema1_deb.name}"))
    refused = root.run("spotter", "routines", "list", user="spotter", check=False)
    assert refused.returncode != 0
    assert "newer Spotter" in refused.stderr
    # docs/install.md, "Going back to an older version": these exact commands.
    root.run(
        "sh", "-c",
        "cd /var/lib/spotter && rm -f spotter.db-wal spotter.db-shm "
        "&& cp -p spotter.db.pre-0.1.0 spotter.db",
        user="spotter",
    )  # fmt: skip
    listed = root.run("spotter", "routines", "list", user="spotter").stdout
    assert "desk-break\tDesk break" in listed


def test_remove_keeps_the_data_and_purge_removes_everything(root, new_deb):
    root.dpkg_install(new_deb)
    workout(root)
    removed = root.run("dpkg", "--remove", "spotter")
    assert "kept in /var/lib/spotter" in removed.stdout
    assert not root.file("/usr/bin/spotter").exists()
    assert history_count(root) == 1
    assert root.file(CONF).exists()
    assert root.run("getent", "passwd", "spotter").returncode == 0

    root.run("dpkg", "--purge", "spotter")
    assert not root.file(DATA).exists()
    assert not root.file("/etc/spotter").exists()
    assert root.run("getent", "passwd", "spotter", check=False).returncode == 2
    assert root.run("getent", "group", "spotter", check=False).returncode == 2
    assert not root.file("/etc/systemd/system/multi-user.target.wants/spotter.service").exists()
    assert root.run("dpkg-query", "-W", "spotter", check=False).returncode != 0
