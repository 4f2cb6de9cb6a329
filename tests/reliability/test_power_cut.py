"""Power cuts: a process writing Spotter's data is SIGKILLed at random moments, hundreds of
times; after each kill the data opens, is intact and every object is whole.

SIGKILL stops a process between any two instructions, as a pulled plug does, so what
the kill can tear is what Spotter's own write path leaves half-done (the page cache
is not lost, which the fsyncs cover and which no test can pull here).
"""

from __future__ import annotations

import dataclasses
import os
import random
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest

from device.voice.cache import WavCache
from device.voice.tts import Pyttsx3Renderer
from routines.schema import SCHEMA_1, SCHEMA_VERSION
from routines.settings import Settings, parse_settings_changes
from routines.store import DB_NAME, Store
from routines.validation import parse_routine
from tests.cache_writer import SETTINGS, line_for
from tests.routines.test_store_upgrade import FIXTURE, check_fixture_contents
from tests.store_writer import (
    ROUTINE_ID,
    history_for,
    progress_for,
    routine_for,
    settings_for,
    write_round,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KILLS = 200
# A fresh interpreter is ready in well under a second; ten means something is broken.
READY_TIMEOUT = 10.0


def start_child(module: str, *args: str) -> subprocess.Popen[str]:
    """Start ``python -m module args`` and return once it printed ``ready``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(READY_TIMEOUT):
            proc.kill()
            proc.wait()
            pytest.fail(f"{module} did not start within {READY_TIMEOUT} s")
    # Read the line byte by byte from the pipe itself: a buffered readline could take the
    # lines after it too, where communicate(), which reads the pipe, would never see them.
    raw = b""
    while not raw.endswith(b"\n") and (byte := os.read(proc.stdout.fileno(), 1)):
        raw += byte
    line = raw.decode()
    if line.strip() != "ready":
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"{module} failed to start: {line!r} {err}")
    return proc


def kill_after(proc: subprocess.Popen[str], seconds: float) -> list[str]:
    """SIGKILL the child after ``seconds`` (it must still be running) and return what it
    printed meanwhile."""
    # A real process runs in real time: this wait is the random moment of the cut.
    time.sleep(seconds)
    assert proc.poll() is None, proc.communicate()[1]
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=READY_TIMEOUT)
    assert proc.returncode == -signal.SIGKILL
    return out.split()


def wait_for_a_new_file(folder: Path, known: set[str]) -> None:
    """Return once ``folder`` holds a WAV whose name is not in ``known`` (a child wrote it)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if folder.exists() and any(
            p.suffix == ".wav" and p.name not in known for p in folder.iterdir()
        ):
            return
        time.sleep(0.001)
    pytest.fail(f"no new file in {folder} within {READY_TIMEOUT} s")


@dataclass(frozen=True)
class Rounds:
    """Which writer round each stored object comes from."""

    routine: int
    settings: int
    progress: int
    history: int  # the round of the newest history entry


def integrity_check(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def observe(data_dir: Path) -> Rounds:
    """Open the store as Spotter would after a power cut; every object must be one round's
    whole version, never a mix of two."""
    assert integrity_check(data_dir / DB_NAME) == "ok"
    with Store.open(data_dir) as store:
        stored = store.get_routine(ROUTINE_ID)
        assert stored is not None
        r = int(stored.routine.name.removeprefix("Round "))
        assert stored.routine == parse_routine(routine_for(r).to_dict())
        # The version sits in the same row as the body: one save per round since round 0.
        assert stored.version == r + 1

        settings = store.settings()
        assert settings.voice_id.startswith("en-x"), f"torn settings: {settings}"
        s = int(settings.voice_id.removeprefix("en-x"))
        assert settings == parse_settings_changes(settings_for(s), Settings())

        progress = store.load_progress()
        assert progress is not None
        p = progress["round"]
        assert progress == progress_for(p)

        entries = store.history(limit=1_000_000)
        # Each entry whole, none doubled; rounds cut short before their entry left a gap.
        rounds = [int(e.routine_name.removeprefix("Round ")) for e in entries]
        assert rounds == sorted(set(rounds), reverse=True)
        assert [dataclasses.replace(e, id=None) for e in entries] == [
            history_for(k) for k in rounds
        ]
        h = rounds[0]
        assert [x.routine.id for x in store.list_routines()] == ["lower-back", ROUTINE_ID]
    return Rounds(r, s, p, h)


def test_the_store_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random(5)
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        write_round(store, 0)
    before = observe(data_dir)
    assert before == Rounds(0, 0, 0, 0)
    kills_mid_write = 0

    for _ in range(KILLS):
        first = before.routine + 1
        proc = start_child("tests.store_writer", str(data_dir), str(first))
        reported = [int(n) for n in kill_after(proc, rng.uniform(0.005, 0.05))]
        after = observe(data_dir)
        order = [after.routine, after.settings, after.progress, after.history]

        last = reported[-1] if reported else first - 1
        for then, now in zip(
            [before.routine, before.settings, before.progress, before.history], order, strict=True
        ):
            # Either untouched by this child, or a round it began; never ahead of that.
            assert now == then or first <= now <= last + 1
            # What the child was told had committed is there.
            assert not reported or now >= last
        # Written in this order each round, so a later object is never from a later round.
        assert order == sorted(order, reverse=True)
        if order[0] != order[-1]:
            kills_mid_write += 1
        before = after

    # The kills really landed between the writes of a round, not only between rounds.
    assert kills_mid_write >= KILLS // 10
    assert before.history > KILLS


# -- the schema upgrade ------------------------------------------------------------------------

UPGRADE_KILLS = 30
# Enough workouts that the upgrade (mostly indexing them) takes a while to cut into.
EXTRA_WORKOUTS = 60_000


def old_store_with_many_workouts(target: Path) -> None:
    """The committed schema-1 store, with many more workouts added as schema 1 keeps them."""
    target.mkdir(parents=True)
    shutil.copyfile(FIXTURE, target / DB_NAME)
    conn = sqlite3.connect(target / DB_NAME)
    with conn:
        conn.executemany(
            "INSERT INTO history (routine_id, routine_name, started_at, finished_at, "
            "exercises_done, sets_done, completed) VALUES ('lower-back', 'Lower-back relief', "
            "?, ?, 4, 12, 1)",
            [(1e9 + 60.0 * i, 1e9 + 60.0 * i + 50) for i in range(EXTRA_WORKOUTS)],
        )
    conn.close()


def schema_seen(db: Path) -> int:
    """The schema the file holds, checked to be wholly that schema and not a mix."""
    assert integrity_check(db) == "ok"
    conn = sqlite3.connect(db)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {r[1] for r in conn.execute("PRAGMA table_info(history)")}
        keys = {r[0] for r in conn.execute("SELECT key FROM state")}
        workouts = conn.execute("SELECT COUNT(*) FROM history").fetchone()[0]
    finally:
        conn.close()
    assert workouts == 8 + EXTRA_WORKOUTS
    old_tables = {"routines", "state", "settings", "history", "secrets", "sqlite_sequence"}
    if version == 1:
        assert tables == old_tables
        assert len(columns) == SCHEMA_1[3].count(" NOT NULL") + 1
        assert "active_routine" in keys and "profile" not in keys
    else:
        assert version == SCHEMA_VERSION
        assert tables == old_tables | {"profiles", "doses", "dose_changes", "dose_suggestions"}
        assert {"profile_id", "pain_before", "pain_after", "set_reps"} <= columns
        assert "profile" in keys and "active_routine" not in keys
    return version


def test_a_power_cut_during_the_upgrade_leaves_the_old_or_the_new_store(tmp_path: Path) -> None:
    rng = random.Random(11)
    template = tmp_path / "template"
    old_store_with_many_workouts(template)

    # How long one upgrade takes here, so the cuts can be spread over it.
    data_dir = tmp_path / "timed"
    shutil.copytree(template, data_dir)
    proc = start_child("tests.upgrade_opener", str(data_dir))
    began = time.monotonic()
    assert proc.stdout is not None
    said = proc.stdout.readline()
    if "kept the store as it was before the upgrade" in said:  # the copy comes first
        said = proc.stdout.readline()
    assert "upgrading" in said
    assert proc.stdout.readline().strip() == "upgraded"
    took = time.monotonic() - began
    kill_after(proc, 0.0)
    assert schema_seen(data_dir / DB_NAME) == SCHEMA_VERSION

    outcomes = {1: 0, SCHEMA_VERSION: 0}
    cut_mid_upgrade = 0
    for n in range(UPGRADE_KILLS):
        data_dir = tmp_path / f"cut{n}"
        shutil.copytree(template, data_dir)
        proc = start_child("tests.upgrade_opener", str(data_dir))
        reported = kill_after(proc, rng.uniform(0.0, took * 1.2))
        version = schema_seen(data_dir / DB_NAME)
        if "upgraded" in reported:
            assert version == SCHEMA_VERSION
        outcomes[version] += 1
        cut_mid_upgrade += "upgrading" in reported and "upgraded" not in reported
        # The next start finishes the job with everything there.
        check_fixture_contents(data_dir, workouts=8 + EXTRA_WORKOUTS)
        shutil.rmtree(data_dir)

    # The cuts fell before, during and after the upgrade's writes.
    assert outcomes[1] and outcomes[SCHEMA_VERSION], outcomes
    assert cut_mid_upgrade >= UPGRADE_KILLS // 10, (cut_mid_upgrade, outcomes)


# -- the WAV cache -----------------------------------------------------------------------------

CACHE_KILLS = 100


def riff_is_complete(path: Path) -> bool:
    """Walk the file's RIFF chunks: the sizes must add up to exactly the file's length and a
    format and a non-empty data chunk must be there. Written apart from the cache's own
    check, so that a bug there cannot hide a torn file here."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
            return False
        if int.from_bytes(head[4:8], "little") + 8 != size:
            return False
        pos, chunks = 12, {}
        while pos + 8 <= size:
            f.seek(pos)
            chunk = f.read(8)
            length = int.from_bytes(chunk[4:], "little")
            chunks[chunk[:4]] = length
            pos += 8 + length + (length & 1)
    return pos == size and b"fmt " in chunks and chunks.get(b"data", 0) > 0


def test_riff_check_refuses_a_cut_file(tmp_path: Path) -> None:
    good = tmp_path / "good.wav"
    with wave.open(str(good), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(b"\x01\x02" * 1000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(good.read_bytes()[:-100])
    assert riff_is_complete(good)
    assert not riff_is_complete(cut)


def test_the_wav_cache_never_holds_a_torn_file_after_sigkill(tmp_path: Path) -> None:
    rng = random.Random(7)
    cache_dir = tmp_path / "voice-cache"
    version = Pyttsx3Renderer().version
    cache = WavCache(cache_dir)
    seen: dict[str, tuple[int, int]] = {}  # final file -> (inode, mtime) when checked
    next_line = 0
    kills_mid_write = 0

    for _ in range(CACHE_KILLS):
        proc = start_child("tests.cache_writer", str(cache_dir), str(next_line))
        # The cut's random moment counts from the child's first finished file, so on a slow
        # or busy machine it still lands among renders rather than in start-up.
        wait_for_a_new_file(cache_dir, set(seen))
        reported = [int(n) for n in kill_after(proc, rng.uniform(0.005, 0.05))]
        for n in reported:
            # A line the renderer said was cached is there under its final name.
            assert cache.path_for(line_for(n), SETTINGS, version).exists()
        partial = 0
        for path in cache_dir.iterdir() if cache_dir.exists() else ():
            if path.suffix != ".wav":
                partial += 1
                continue
            stat = path.stat()
            if seen.get(path.name) == (stat.st_ino, stat.st_mtime_ns):
                continue
            # Under a name the cache would play: complete, whatever moment the kill hit.
            assert riff_is_complete(path), path.name
            seen[path.name] = (stat.st_ino, stat.st_mtime_ns)
        kills_mid_write += partial > 0
        next_line = (reported[-1] + 1) if reported else next_line

    # The kills hit mid-file (temporary files left behind) and files really were written.
    assert kills_mid_write >= CACHE_KILLS // 10
    assert len(seen) >= CACHE_KILLS // 5
