"""A new device's first workout: with the package's pre-rendered speech, nothing to render.

The package carries the shipped routine's speech in the default voice settings
(``packaging/prerender.py``, run by ``packaging/build.py`` while the package is built).
Here that very step renders a folder, outside any quota, as a build machine would; each
daemon is then a real ``spotter run --simulate`` on a fresh data directory, pointed at
the folder by ``SPOTTER_AUDIO_PRERENDERED`` (``audio.prerendered``) as a package's
daemon finds ``/usr/share/spotter/voice-cache``, inside the emulated Pi, playing into a
``SoundTap`` outside it. For each start:

- **a press at button-live** (50 ms after the ``STATUS=`` line, the simulated keyboard's
  Enter) is timed to its answer's first samples at the tap;
- **the whole first workout** is then pressed through (``POST /api/button``, each press
  once the page shows the last one's effect), and once the daemon is quiet the lines it
  **rendered** are counted: WAVs in its own cache (the package's folder is read-only to
  it), checked against the render queue's log (``... N rendered now, M from the
  package ...``).

The baseline, in the same run: the same starts with ``SPOTTER_AUDIO_PRERENDERED=none``.
Then, without the package's speech and with the natural voice chosen, **start -> every
line cached** (classic and natural): the time until a fresh cache holds as many WAVs as
a settled daemon's with the same settings (counted outside the quota first).
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import socket
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.daemon_proc import CLK_TCK, Daemon, _cpu_of, children, daemon
from bench.memory import natural_voice_filled
from bench.pi_zero import PiZeroQuota
from bench.report import Figure, p50_p95
from bench.sound_tap import SoundTap
from bench.startup import emulation, wait_for_live, wav_count
from device.voice.natural import natural_installed
from routines.store import Store

REPO = Path(__file__).resolve().parents[1]
PRESS_AFTER = 0.05
ANSWER_TIMEOUT = 60.0
PRESS_TIMEOUT = 30.0  # a press that waits for a render on a slow Pi still changes the page
MAX_PRESSES = 500  # the lower-back routine takes about 140
NATURAL_TIMEOUT = 300.0
TARGET_RENDERS = 0
TARGET_FIRST_AUDIO_S = 1.0
TARGET_NATURAL_S = 40.0
NO_PACKAGE = {"SPOTTER_AUDIO_PRERENDERED": "none"}
LOGGED = re.compile(r"ready: (\d+) rendered now, (\d+) from the package, (\d+) from the cache")


def package_speech(out: Path) -> int:
    """The package build's own pre-rendering step, with this checkout as the staged
    program; returns how many files it made."""
    spec = importlib.util.spec_from_file_location(
        "spotter_package_build", REPO / "packaging/build.py"
    )
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.prerender(REPO, out)
    made = len(list(out.glob("*.wav")))
    if made == 0:
        raise RuntimeError("the package build pre-rendered nothing (numpy, PyYAML, espeak-ng?)")
    out.chmod(0o555)  # read-only, as below /usr
    return made


@dataclass
class FirstWorkout:
    """One new device's start and first workout."""

    first_audio: float  # s from the press at button-live to its answer's first samples
    presses: int
    workout_s: float
    rendered: int  # WAVs the device wrote into its own cache
    logged: tuple[int, int, int]  # rendered, from the package, from its cache (the log)


def _press_through(d: Daemon) -> int:
    """Press until the workout is done, each press once the page shows the last one's
    effect (a finger waits to hear it); returns how many presses it took."""
    status = d.status()
    for presses in range(1, MAX_PRESSES + 1):
        d.gesture("press")
        status = d.wait_for_change(status, timeout=PRESS_TIMEOUT)
        if status["state"] == "done":
            return presses
    raise RuntimeError(f"the workout did not end after {MAX_PRESSES} presses")


def _settle(d: Daemon, window: float = 3.0, timeout: float = 600.0) -> None:
    """Wait until no speech engine process (the render processes, the natural worker)
    used a clock tick of CPU for a whole ``window``: whatever the workout asked for is
    rendered. The daemon itself is not watched: on the emulated Pi its threads keep a
    few per cent of a core busy even when nothing renders."""
    deadline = time.monotonic() + timeout
    before = _engines_cpu(d)
    while time.monotonic() < deadline:
        time.sleep(window)
        after = _engines_cpu(d)
        if after - before <= 1 / CLK_TCK:
            return
        before = after
    raise TimeoutError(f"spotter kept rendering for {timeout:g} s")


def _engines_cpu(d: Daemon) -> float:
    total = 0.0
    for pid in children(d.proc.pid):
        with contextlib.suppress(OSError):
            if b"device.voice." in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += _cpu_of(pid)
    return total


def _logged(log: Path) -> tuple[int, int, int]:
    counts = [tuple(int(n) for n in m.groups()) for m in LOGGED.finditer(log.read_text())]
    if not counts:
        return (0, 0, 0)
    rendered, shipped, cached = (sum(column) for column in zip(*counts, strict=True))
    return rendered, shipped, cached


def first_workout(
    data_dir: Path,
    sock_path: Path,
    tap: SoundTap,
    env: dict[str, str],
    quota: PiZeroQuota | None,
    *,
    workout: bool = True,
) -> FirstWorkout:
    """A fresh device: start, press at button-live, press through the workout (unless
    ``workout`` is False: the baseline, which renders its every line, is only left to
    settle), settle."""
    sock_path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(0.01)
        d = Daemon(
            data_dir,
            env={"NOTIFY_SOCKET": str(sock_path), **env},
            preexec_fn=quota.enter if quota is not None else None,
            silent=False,
            audio_device=tap.device,
        )
        try:
            wait_for_live(sock, d)
            time.sleep(PRESS_AFTER)
            assert d.proc.stdin is not None
            pressed = time.monotonic()
            d.proc.stdin.write(b"\n")
            d.proc.stdin.flush()
            first_audio = tap.first_after(pressed, timeout=ANSWER_TIMEOUT) - pressed
            d.wait_for_web()
            began = time.monotonic()
            presses = 1 + _press_through(d) if workout else 1
            workout_s = time.monotonic() - began
            _settle(d)
        finally:
            d.stop()
    log = data_dir.parent / f"spotter-{d.port}.log"
    return FirstWorkout(first_audio, presses, workout_s, wav_count(data_dir), _logged(log))


def natural_fill(root: Path, quota: PiZeroQuota | None) -> tuple[float | None, int, int]:
    """Start -> every line cached with the natural voice chosen, fresh cache, no package
    speech: (seconds or None when not reached in time, files reached, files in full)."""
    counted = root / "natural-count"
    _choose_natural(counted)
    with daemon(counted, env=NO_PACKAGE) as d:
        natural_voice_filled(d)
        d.wait_until_quiet()
    full = wav_count(counted)
    data = root / "natural-fresh"
    _choose_natural(data)
    d = Daemon(data, env=NO_PACKAGE, preexec_fn=quota.enter if quota is not None else None)
    try:
        deadline = time.monotonic() + NATURAL_TIMEOUT
        while wav_count(data) < full and time.monotonic() < deadline:
            if d.proc.poll() is not None:
                raise RuntimeError(f"spotter exited: {d.log()}")
            time.sleep(0.01)
        reached = wav_count(data)
        filled = time.perf_counter() - d.started_at if reached >= full else None
    finally:
        d.stop()
    return filled, reached, full


def _choose_natural(data: Path) -> None:
    store = Store.open(data)
    try:
        store.update_settings({"voice_engine": "natural"})
    finally:
        store.close()


def run_emulated(quick: bool, quota: PiZeroQuota | None) -> list[Figure]:
    """The figures, on the emulated Pi when ``quota`` is given (else on this machine)."""
    starts = 1 if quick else 3
    where = emulation(quota) if quota is not None else ""
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp, SoundTap() as tap:
        root = Path(tmp)
        package = root / "package-voice-cache"
        files = package_speech(package)
        shipped_env = {"SPOTTER_AUDIO_PRERENDERED": str(package)}
        runs = {
            label: [
                first_workout(
                    root / f"{label}-{i}",
                    root / "notify.sock",
                    tap,
                    env,
                    quota,
                    workout=label == "package",
                )
                for i in range(starts)
            ]
            for label, env in (("package", shipped_env), ("none", NO_PACKAGE))
        }
        natural = natural_fill(root, quota) if natural_installed() else None
        package.chmod(0o755)  # so that the folder can be removed
    return _figures(where, files, runs["package"], runs["none"], natural)


def _figures(
    where: str,
    files: int,
    shipped: list[FirstWorkout],
    bare: list[FirstWorkout],
    natural: tuple[float | None, int, int] | None,
) -> list[Figure]:
    n = len(shipped)
    presses = statistics.median(w.presses for w in shipped)
    rendered = [float(w.rendered) for w in shipped]
    logged = [w.logged for w in shipped]
    p50, p95 = p50_p95(rendered)
    figures = [
        Figure(
            f"3. {where}With the package's speech: lines rendered from start to the end of "
            f"the first workout ({n} starts, {presses:.0f} presses each)",
            p50,
            p95,
            "lines",
            target=f"{TARGET_RENDERS}",
            passed=max(rendered) <= TARGET_RENDERS
            and all(counts[0] <= TARGET_RENDERS for counts in logged),
            baseline=f"{statistics.median(w.rendered for w in bare):.0f} lines without it "
            "(start -> settled)",
            note=f"WAVs the device wrote into its own cache; the package's folder held {files}; "
            f"its log: {_said(logged)}; the workout pressed through in "
            f"{statistics.median(w.workout_s for w in shipped):.0f} s",
        )
    ]
    first = [w.first_audio for w in shipped]
    p50, p95 = p50_p95(first)
    base50, base95 = p50_p95([w.first_audio for w in bare])
    figures.append(
        Figure(
            f"3. {where}With the package's speech: press at button-live -> first audio "
            f"({n} starts)",
            p50,
            p95,
            "s",
            target=f"<= {TARGET_FIRST_AUDIO_S:g} s",
            passed=max(first) <= TARGET_FIRST_AUDIO_S,
            baseline=f"p50 {base50:.2f} s, p95 {base95:.2f} s without it",
            note="from the press, 50 ms after button-live, to its answer's first samples",
        )
    )
    if natural is None:
        return figures
    filled, reached, full = natural
    figures.append(
        Figure(
            f"3. {where}Start -> every line cached, natural voice chosen, fresh cache, "
            f"no package speech ({full} files)",
            filled,
            None,
            "s",
            target=f"<= {TARGET_NATURAL_S:g} s",
            passed=filled is not None and filled <= TARGET_NATURAL_S,
            note="classic and natural files, as many as a settled daemon's"
            + ("" if filled is not None else f"; {reached} of {full} after {NATURAL_TIMEOUT:g} s"),
        )
    )
    return figures


def _said(logged: list[tuple[int, int, int]]) -> str:
    rendered, shipped, cached = (sum(c) for c in zip(*logged, strict=True))
    return f"{rendered} rendered now, {shipped} from the package, {cached} from the cache"


def run(quick: bool = False) -> list[Figure]:
    """The same figures on this machine."""
    return run_emulated(quick, None)
