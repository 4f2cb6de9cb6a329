"""The real daemon with the natural voice, held to the unit's memory limits, through a workout.

``spotter run`` runs as a subprocess inside a cgroup v1 memory cgroup that carries the
limits ``systemd/spotter.service`` sets, read from the unit itself:

- ``MemoryMax`` becomes ``memory.limit_in_bytes``: the wall, past which the kernel reclaims
  and then kills, as under the unit;
- ``MemoryHigh`` becomes ``memory.soft_limit_in_bytes``, the nearest knob v1 has. It only
  says what the kernel reclaims the group down to when the machine runs short, where v2
  would throttle the group above it; so the test also holds to it the group's memory that
  reclaim cannot simply drop: anonymous memory plus the file pages mapped into its
  processes (``rss`` + ``mapped_file`` in ``memory.stat``, each page counted once, however
  many processes share it). Page cache that is only cached (the WAVs written) is left to
  reclaim, as v2 would reclaim it at ``MemoryHigh``.

Every process the daemon starts (espeak-ng's render processes, the natural worker) is in
the cgroup with it. The routine's lines render in both voices; then a short routine is
pressed through from start to summary, and the daemon's own log (``-v``) says which voice
played each line. Every one must be natural, nothing may be killed for memory, and the
worker must leave by itself (exit status 0) when it has nothing left to render.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.voice.natural import natural_installed
from routines.store import Store
from routines.validation import routine_from_yaml
from tests.attack.memory_cgroup import MemoryCgroup, made_cgroup
from tests.checkin_support import without_checkins
from tests.service.stopping import DUMPS_STACKS, stopped

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "spotter.service"
SAID = re.compile(r"said in the (natural|classic) voice: (.*)$")
# Two exercises, three short sets: a whole workout in well under a minute of presses.
ROUTINE = """\
id: two-short-moves
name: Two short moves
sessions_per_week: 3
checkin: none
exercises:
  - name: Wall sit
    sets: 1
    hold_seconds: 5
    rest_after_seconds: 5
    setup:
      - Stand with your back flat against a wall.
    cues:
      - Slide down until your knees are bent, and keep breathing.
  - name: Calf raises
    sets: 2
    reps: 3
    rest_seconds: 5
    setup:
      - Stand tall with your feet hip-width apart.
    cues:
      - Rise onto your toes, then lower your heels slowly.
"""
SPOTTER_RUN = [sys.executable, "-m", "device.cli", "-v", "run", "--simulate", "--silent"]
PRESS_EVERY = 2.5  # seconds: a quick trainee, slower than a warm render of a line
FILL_TIMEOUT = 600.0  # both voices' caches, on a loaded machine


def unit_limit(name: str) -> int:
    """A byte size the unit sets (``MemoryHigh=160M``)."""
    match = re.search(rf"^{name}=(\d+)([KMG]?)$", UNIT.read_text(), re.MULTILINE)
    assert match, f"{UNIT} sets no {name}"
    return int(match[1]) * 1024 ** " KMG".index(match[2] or " ")


@pytest.fixture
def unit_cgroup() -> Iterator[MemoryCgroup]:
    if not natural_installed():
        pytest.skip("the natural-voice extra (hibari-tts) is not installed")
    limits = {
        "memory.limit_in_bytes": unit_limit("MemoryMax"),
        "memory.soft_limit_in_bytes": unit_limit("MemoryHigh"),
    }
    with made_cgroup("spotter-natural", limits) as cgroup:
        yield cgroup


class Watch:
    """The cgroup's processes, sampled: each one's peak resident set, and the peak sum."""

    def __init__(self, cgroup: MemoryCgroup) -> None:
        self.cgroup = cgroup
        self.peaks: dict[int, tuple[str, int]] = {}  # pid -> (what it is, VmHWM in kB)
        self.peak_sum_kb = 0  # of the resident sets, shared pages counted in each process
        self.peak_held = 0  # bytes: the cgroup's anonymous and mapped memory
        self.workers_seen: set[int] = set()
        self.worker_last_seen = 0.0  # time.monotonic() when a worker last ran
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def pids(self) -> list[int]:
        return [int(p) for p in (self.cgroup.path / "cgroup.procs").read_text().split()]

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            total = 0
            for pid in self.pids():
                with contextlib.suppress(OSError, ValueError, TypeError):  # gone, or a zombie
                    status = Path(f"/proc/{pid}/status").read_text()
                    rss = int(re.search(r"VmRSS:\s+(\d+)", status)[1])  # type: ignore[index]
                    hwm = int(re.search(r"VmHWM:\s+(\d+)", status)[1])  # type: ignore[index]
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    name = b" ".join(argv[1:4]).decode(errors="replace")
                    if "natural_worker" in name:
                        self.workers_seen.add(pid)
                        self.worker_last_seen = time.monotonic()
                    total += rss
                    self.peaks[pid] = (name, max(hwm, self.peaks.get(pid, ("", 0))[1]))
            self.peak_sum_kb = max(self.peak_sum_kb, total)
            stat = dict(
                line.split() for line in (self.cgroup.path / "memory.stat").read_text().splitlines()
            )
            held = int(stat["rss"]) + int(stat["mapped_file"])
            self.peak_held = max(self.peak_held, held)

    def worker_running(self) -> bool:
        return any(pid in self.workers_seen for pid in self.pids())

    def worker_left_after(self, moment: float) -> bool:
        """A worker ran after ``moment`` (and has since left, with ``worker_running``)."""
        return self.worker_last_seen >= moment

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
def test_a_natural_workout_inside_the_units_memory_limits(
    tmp_path: Path, unit_cgroup: MemoryCgroup
) -> None:
    data = tmp_path / "data"
    store = Store.open(data)
    try:
        routine = store.create_routine(routine_from_yaml(ROUTINE, source="test")).routine
        store.set_active_routine(routine.id)
        without_checkins(store)
        store.update_settings({"voice_engine": "natural"})
    finally:
        store.close()
    config = tmp_path / "spotter.toml"
    config.write_text("")
    env = {
        **os.environ,
        "SPOTTER_DATA_DIR": str(data),
        "SPOTTER_CONFIG": str(config),
        "PYTHONPATH": str(ROOT),
        **DUMPS_STACKS,
    }
    env.pop("NOTIFY_SOCKET", None)
    process = subprocess.Popen(
        [*SPOTTER_RUN, "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=unit_cgroup.enter,  # the child joins the cgroup before it runs Spotter
    )
    log: list[tuple[float, str]] = []
    out: list[str] = []
    readers = [
        threading.Thread(
            target=lambda: log.extend((time.monotonic(), x) for x in process.stderr), daemon=True
        ),
        threading.Thread(target=lambda: out.extend(process.stdout), daemon=True),
    ]
    for reader in readers:
        reader.start()
    watch = Watch(unit_cgroup)
    began = time.monotonic()
    try:
        # The routine renders in the classic voice, then the natural worker renders it and
        # leaves once it has nothing more to do: the natural cache is whole.
        deadline = began + FILL_TIMEOUT
        # The lines beyond the planned workout are found off the worker, after the start.
        while not any("every line ahead found" in line for _, line in log):
            assert process.poll() is None, "".join(x for _, x in log)[-3000:]
            assert time.monotonic() < deadline, "the lines ahead were never found"
            time.sleep(0.2)
        found = time.monotonic()
        while not (
            watch.workers_seen and not watch.worker_running() and watch.worker_left_after(found)
        ):
            assert process.poll() is None, "".join(x for _, x in log)[-3000:]
            assert time.monotonic() < deadline, "the natural voice did not finish rendering"
            time.sleep(0.2)
        filled = time.monotonic() - began
        assert process.stdin is not None
        first_press = time.monotonic()
        deadline = first_press + 180
        while not any("You did" in line for _, line in log if "said in" in line):
            assert process.poll() is None, "".join(x for _, x in log)[-3000:]
            assert time.monotonic() < deadline, "the workout did not end"
            process.stdin.write("\n")
            process.stdin.flush()
            time.sleep(PRESS_EVERY)
        time.sleep(PRESS_EVERY)  # the week's count follows the summary
        workout = time.monotonic() - first_press
        process.stdin.write("q\n")
        process.stdin.flush()
        # Up to 30 s of it may be the daemon letting the last words be rendered.
        assert stopped(process, 60, lambda: "".join(x for _, x in log)) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        watch.stop()
        for reader in readers:
            reader.join(timeout=5)

    said = [
        (m[1], m[2].strip())
        for at, line in log
        if at >= first_press and (m := SAID.search(line.rstrip()))
    ]
    counts = Counter(voice for voice, _ in said)
    workers = [peak for pid, (_, peak) in watch.peaks.items() if pid in watch.workers_seen]
    daemon = watch.peaks.get(process.pid, ("", 0))[1]
    others = {n: p for pid, (n, p) in watch.peaks.items() if pid not in watch.workers_seen}
    print(
        f"\nlines of the workout by voice: {dict(counts)}; natural cache whole after "
        f"{filled:.0f} s, workout {workout:.0f} s\n"
        f"peak resident sets (kB): daemon {daemon}, natural worker {max(workers)}, "
        f"all processes together {watch.peak_sum_kb}; every process: {others}\n"
        f"cgroup: anonymous and mapped at most {watch.peak_held} bytes, max usage "
        f"{unit_cgroup_file(unit_cgroup, 'memory.max_usage_in_bytes').strip()} bytes, "
        f"failcnt {unit_cgroup_file(unit_cgroup, 'memory.failcnt').strip()}"
    )
    texts = [text for _, text in said]
    assert any(t.startswith("You did 2 exercises and 3 sets") for t in texts)
    assert any(t.startswith("That is 1 of 3 sessions") for t in texts)
    assert len(said) >= 10
    assert counts == {"natural": len(said)}, [s for s in said if s[0] != "natural"]
    assert unit_cgroup.oom_kills() == 0
    assert "under_oom 0" in unit_cgroup_file(unit_cgroup, "memory.oom_control")
    assert not any("natural voice stopped" in line for _, line in log)
    assert watch.peak_held <= unit_limit("MemoryHigh"), watch.peak_held


def unit_cgroup_file(cgroup: MemoryCgroup, name: str) -> str:
    return (cgroup.path / name).read_text()
