"""Faults: each one injected into a real ``spotter run --simulate``, then checked from
outside that Spotter kept going and lost nothing.

A fault counts as survived when the daemon still answers the page and the button
after it, and every routine, setting, workout and line of speech that existed or was
asked for is there afterwards (read back from the store and the voice cache once the
daemon has stopped). The full-disk faults need a small tmpfs, which needs root; without
root they are reported as not run.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.daemon_proc import Daemon, daemon
from bench.report import Figure
from routines.store import DB_NAME, Store
from routines.validation import parse_routine

QUICK = {
    "id": "quick",
    "name": "Quick calves",
    "exercises": [{"name": "Calf raises", "sets": 1, "reps": 2, "rest_seconds": 0}],
}
MINE = {"id": "mine", "name": "My own", "exercises": [{"name": "Squat", "sets": 2, "reps": 8}]}


@dataclass(frozen=True, slots=True)
class Outcome:
    fault: str
    survived: bool
    why: str = ""


# -- helpers ------------------------------------------------------------------------------------


def seeded(data_dir: Path) -> None:
    """A store with the user's own routine, a changed setting and its backup."""
    with Store.open(data_dir) as store:
        store.create_routine(parse_routine(MINE))
        store.update_settings({"voice_rate": 180})
        store.backup_now()


def kept_everything(data_dir: Path, *ids: str) -> str:
    """What is missing from the store at ``data_dir`` ('' when nothing is)."""
    with Store.open(data_dir) as store:
        have = {s.routine.id for s in store.list_routines()}
        missing = [i for i in ("mine", *ids) if i not in have]
        if store.settings().voice_rate != 180:
            missing.append("the voice rate")
    return ", ".join(missing)


def full_log(d: Daemon) -> str:
    d.log()  # flushes
    return (d.data_dir.parent / f"spotter-{d.port}.log").read_text(errors="replace")


def button_works(d: Daemon) -> bool:
    before = d.status()
    d.gesture("press")
    d.wait_for_change(before)
    d.gesture("long_hold")  # back towards idle, whatever the press started
    return True


@contextlib.contextmanager
def small_disk(size: str) -> Iterator[Path | None]:
    """A tmpfs of ``size`` (None without root, or where mounting fails)."""
    with tempfile.TemporaryDirectory(prefix="spotter-disk-") as tmp:
        where = Path(tmp)
        if os.geteuid() != 0 or (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                capture_output=True,
                check=False,
            ).returncode
            != 0
        ):
            yield None
            return
        try:
            yield where
        finally:
            subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path) -> Path:
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 16, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def engine_pid(d: Daemon) -> int | None:
    """The speech engine's process: the daemon's child running the render module."""
    for task in Path(f"/proc/{d.proc.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if b"render_child" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return int(pid)
    return None


def rendered_since(cache: Path, since: float) -> int:
    return sum(1 for p in cache.glob("*.wav") if p.stat().st_mtime >= since)


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def rerender_all(d: Daemon, rate: int) -> float:
    """Change the voice so every prepared line is rendered again; returns when."""
    since = time.time()
    code, body = d.request("PUT", "/api/settings", {"voice_rate": rate})
    if code != 200:
        raise RuntimeError(f"PUT /api/settings gave {code}: {body!r}")
    return since


# -- the faults ---------------------------------------------------------------------------------


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])


def _text(p: Path) -> None:
    p.write_text("not a database\n" * 100)


def _empty(p: Path) -> None:
    p.write_bytes(b"")


def _damage_header(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[:100] = random.Random(1).randbytes(100)
    p.write_bytes(bytes(data))


def _damage_pages(p: Path) -> None:
    data = bytearray(p.read_bytes())
    for page in range(1, len(data) // 4096):
        data[page * 4096 : page * 4096 + 64] = random.Random(page).randbytes(64)
    p.write_bytes(bytes(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "random header bytes": _damage_header,
    "random page bytes": _damage_pages,
    "truncated to a third": _truncate,
    "a text file": _text,
    "0 bytes (a power cut on some cards)": _empty,
}


def damaged_store(tmp: Path, kind: str) -> Outcome:
    data = tmp / "data"
    seeded(data)
    DAMAGE[kind](data / DB_NAME)
    with daemon(data) as d:
        button_works(d)
        said = "restored" in full_log(d)
    missing = kept_everything(data)
    return Outcome(f"store damaged at start: {kind}", said and not missing, missing)


def store_gone(tmp: Path, how: str) -> Outcome:
    data = tmp / "data"
    seeded(data)
    with daemon(data) as d:
        if how == "deleted":
            for suffix in ("", "-wal", "-shm"):
                (data / (DB_NAME + suffix)).unlink(missing_ok=True)
        else:
            other = tmp / "other"
            Store.open(other).close()
            (other / DB_NAME).replace(data / DB_NAME)
        code, _ = d.request("POST", "/api/routines", QUICK)
        button_works(d)
    missing = kept_everything(data, "quick")
    return Outcome(f"store {how} while running", code == 201 and not missing, missing)


def finish_on_full_disk(d: Daemon, disk: Path) -> tuple[bool, bool, int]:
    """Fill the disk, then work the quick routine to its end: its summary is a line no
    cache holds, so it must be rendered on the full disk. Returns whether it finished,
    whether the voice made room or paused, and how many lines a voice change renders again."""
    d.request("POST", "/api/routines", QUICK)
    d.request("POST", "/api/routines/quick/activate", {})
    d.wait_until_quiet()
    # How many lines a change of voice renders again, before any fault.
    since = rerender_all(d, 160)
    d.wait_until_quiet()
    prepared = rendered_since(d.data_dir / "voice-cache", since)
    filler = fill(disk)
    status = d.status()
    for _ in range(12):
        d.gesture("press")
        status = d.wait_for_change(status)
        if status["state"] == "done":
            break
    finished = status["state"] == "done"
    # The voice either makes room by dropping lines it does not need, or pauses.
    coped = wait_for(
        lambda: "rendering is paused" in full_log(d) or "files not needed" in full_log(d), 30
    )
    filler.unlink()
    return finished, coped, prepared


def full_disk_voice(tmp: Path) -> Outcome:
    with small_disk("48m") as disk:
        if disk is None:
            return Outcome("disk full while rendering", False, "not run: needs root for a tmpfs")
        with daemon(disk / "data") as d:
            _, coped, lines = finish_on_full_disk(d, disk)
            button_works(d)
            # What once re-rendered 0 of 75 lines: a voice change after the disk was full.
            since = rerender_all(d, 150)
            done = wait_for(lambda: rendered_since(disk / "data/voice-cache", since) >= lines, 120)
        ok = coped and done
        why = "" if ok else f"made room or paused: {coped}, every line rendered again: {done}"
        return Outcome("disk full while rendering, then space freed", ok, why)


def full_disk_workout(tmp: Path) -> Outcome:
    with small_disk("48m") as disk:
        if disk is None:
            return Outcome("workout finished on a full disk", False, "not run: needs root")
        data = disk / "data"
        with daemon(data) as d:
            finished, _, _ = finish_on_full_disk(d, disk)
        with Store.open(data) as store:
            kept = [e.routine_id for e in store.history()] == ["quick"]
        why = "" if kept else "the workout is not in History"
        return Outcome("workout finished on a full disk", finished and kept, why)


def engine_fault(tmp: Path, sig: signal.Signals) -> Outcome:
    what = {signal.SIGSTOP: "hung (SIGSTOP)", signal.SIGKILL: "killed (SIGKILL)"}[sig]
    with daemon(tmp / "data") as d:
        d.wait_until_quiet()
        pid = engine_pid(d)
        if pid is None:
            return Outcome(f"speech engine {what} mid-render", False, "no engine process")
        since = rerender_all(d, 180)
        d.wait_until_quiet()
        lines = rendered_since(tmp / "data/voice-cache", since)
        since = rerender_all(d, 200)
        os.kill(pid, sig)
        button_works(d)
        cache = tmp / "data/voice-cache"
        done = wait_for(lambda: rendered_since(cache, since) >= lines, 120)
        healed = engine_pid(d) not in (None, pid)
    return Outcome(f"speech engine {what} mid-render", done and healed, f"lines: {done}")


def stops_under_load(tmp: Path, rounds: int) -> tuple[int, str]:
    """Start and stop while four clients poll; how many stops gave no traceback."""
    clean, last = 0, ""
    for _ in range(rounds):
        d = Daemon(tmp / "data")
        try:
            d.wait_for_web()
            stop_polling = _poll(d)
            time.sleep(random.uniform(0.05, 0.4))
        finally:
            code = d.stop()
        stop_polling()
        log = (tmp / f"spotter-{d.port}.log").read_text(errors="replace")
        if code == 0 and "Traceback" not in log:
            clean += 1
        else:
            last = log[-300:]
    return clean, last


def _poll(d: Daemon) -> Callable[[], None]:
    import threading

    stopped = threading.Event()

    def poll() -> None:
        while not stopped.is_set():
            with contextlib.suppress(Exception):
                d.request("GET", "/api/status", timeout=2)

    threads = [threading.Thread(target=poll, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()

    def stop() -> None:
        stopped.set()
        for t in threads:
            t.join(5)

    return stop


# -- the figures --------------------------------------------------------------------------------


def run(quick: bool = False) -> list[Figure]:
    """Every fault once; the stop race ``20`` (quick) or ``200`` times."""
    faults: list[Callable[[Path], Outcome]] = [
        *(lambda tmp, k=kind: damaged_store(tmp, k) for kind in DAMAGE),
        lambda tmp: store_gone(tmp, "deleted"),
        lambda tmp: store_gone(tmp, "replaced"),
        full_disk_voice,
        full_disk_workout,
        lambda tmp: engine_fault(tmp, signal.SIGSTOP),
        lambda tmp: engine_fault(tmp, signal.SIGKILL),
    ]
    outcomes: list[Outcome] = []
    for fault in faults:
        with tempfile.TemporaryDirectory(prefix="spotter-fault-") as tmp:
            try:
                outcomes.append(fault(Path(tmp)))
            except Exception as err:  # a fault that broke the bench broke Spotter too
                outcomes.append(Outcome(getattr(fault, "__name__", "fault"), False, repr(err)))
    for o in outcomes:
        print(f"  {'survived' if o.survived else 'LOST    '}  {o.fault}  {o.why}", flush=True)
    survived = sum(o.survived for o in outcomes)
    rounds = 20 if quick else 200
    with tempfile.TemporaryDirectory(prefix="spotter-stops-") as tmp:
        clean, last = stops_under_load(Path(tmp), rounds)
    return [
        Figure(
            "Faults injected, survived with nothing lost",
            survived,
            None,
            f"of {len(outcomes)}",
            target="all",
            passed=survived == len(outcomes),
            note="; ".join(o.fault for o in outcomes if not o.survived),
        ),
        Figure(
            "Stops under 4 polling clients without a traceback",
            clean,
            None,
            f"of {rounds}",
            target="all",
            passed=clean == rounds,
            note=last,
        ),
    ]
