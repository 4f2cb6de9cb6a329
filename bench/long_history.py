"""Attack: a history of a million workouts, read every way it can be read, while the
physical button is pressed.

A real ``spotter run --simulate`` on a store filled straight through SQLite (ten people,
five years). Every page of ``GET /api/history`` is walked (checked for order, repeats and
gaps), the CSV is downloaded whole, and each person's History page is opened; then the
daemon's peak resident memory. Presses on the simulated button (a line on its standard
input) are timed to the first samples at the sound device, on a quiet daemon and while a
client downloads the CSV again and again as fast as it comes.
"""

from __future__ import annotations

import http.client
import json
import tempfile
import threading
import time
from pathlib import Path

from bench.daemon_proc import HOST, Daemon, daemon
from bench.report import Figure, p50_p95
from bench.sound_tap import SoundTap
from tests.big_history import fill

WORKOUTS = 1_000_000
PEOPLE = 10
PAGE = 200
RSS_ATTACK_MB = 80.0
PRESSES = 20
# What a download may add to a press's answer: well under what a person notices.
PRESS_MARGIN_MS = 50.0
PRESS_GAP = 0.7  # seconds between presses: longer than a double press takes
READ = 64 * 1024


def walk_pages(d: Daemon) -> tuple[int, bool, float]:
    """Every page of everyone's history: (workouts seen, all in order without repeats or
    gaps, the slowest page in ms)."""
    conn = http.client.HTTPConnection(HOST, d.port, timeout=60)
    seen: list[tuple[float, int]] = []
    slowest = 0.0
    path: str | None = f"/api/history?limit={PAGE}"
    try:
        while path:
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            answer = json.loads(response.read())
            slowest = max(slowest, time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {path} gave {response.status}")
            seen += [(s["finished_at"], s["id"]) for s in answer["sessions"]]
            path = answer["next"] and f"/api/history?limit={PAGE}&before={answer['next']}"
    finally:
        conn.close()
    ids = {i for _, i in seen}
    ok = len(ids) == len(seen) and seen == sorted(seen, reverse=True)
    return len(seen), ok, slowest * 1000


def download_csv(d: Daemon, *, stop: threading.Event | None = None) -> int:
    """The CSV's lines, counted as they come (never kept), read as fast as they come."""
    conn = http.client.HTTPConnection(HOST, d.port, timeout=120)
    lines = 0
    try:
        conn.request("GET", "/api/history.csv")
        response = conn.getresponse()
        while chunk := response.read(READ):
            lines += chunk.count(b"\n")
            if stop is not None and stop.is_set():
                break
    finally:
        conn.close()
    return lines


def download_until(d: Daemon, stop: threading.Event, lines: list[int]) -> None:
    """Download the CSV again and again until ``stop``; each download's lines go to
    ``lines``."""
    while not stop.is_set():
        lines.append(download_csv(d, stop=stop))


def press_times(d: Daemon, tap: SoundTap, presses: int) -> list[float]:
    """Press the simulated button ``presses`` times; ms from each to its first audio."""
    assert d.proc.stdin is not None
    measured = []
    for _ in range(presses):
        time.sleep(PRESS_GAP)
        mark = time.monotonic()
        d.proc.stdin.write(b"\n")
        d.proc.stdin.flush()
        measured.append((tap.first_after(mark, timeout=30) - mark) * 1000)
    return measured


def run(quick: bool = False) -> list[Figure]:
    workouts = WORKOUTS // 5 if quick else WORKOUTS
    with tempfile.TemporaryDirectory(prefix="spotter-attack-") as tmp, SoundTap() as tap:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        people = fill(data, workouts, people=PEOPLE)
        filled = time.perf_counter() - started
        with daemon(data, silent=False, audio_device=tap.device, checkins=False) as d:
            d.wait_until_quiet()
            before = d.peak_rss_mb()
            quiet = press_times(d, tap, PRESSES)
            started = time.perf_counter()
            seen, in_order, slowest_page = walk_pages(d)
            walked = time.perf_counter() - started
            started = time.perf_counter()
            lines = download_csv(d)
            downloaded = time.perf_counter() - started
            pages = []
            for profile in people:
                began = time.perf_counter()
                status, _ = d.request("GET", f"/history?profile={profile}", timeout=60)
                pages.append((status, time.perf_counter() - began))
            stop = threading.Event()
            during: list[int] = []
            downloading = threading.Thread(target=download_until, args=(d, stop, during))
            downloading.start()
            try:
                busy = press_times(d, tap, PRESSES)
            finally:
                stop.set()
                downloading.join()
            daemon_peak = d.peak_rss_mb()
            page_peak = d.web_peak_rss_mb() or 0.0
            peak = max(daemon_peak, page_peak)
    complete = seen == workouts and in_order and lines == workouts + 1
    pages_ok = all(status == 200 for status, _ in pages)
    order = "in order, none twice" if in_order else "OUT OF ORDER"
    quiet_p50, quiet_p95 = p50_p95(quiet)
    busy_p50, busy_p95 = p50_p95(busy)
    return [
        Figure(
            f"Peak RSS reading {workouts:,} workouts: every API page, the CSV, "
            f"{len(people)} History pages",
            peak,
            None,
            "MB",
            f"<= {RSS_ATTACK_MB:g} MB, nothing lost",
            peak <= RSS_ATTACK_MB and complete and pages_ok,
            baseline=f"before: {before:.1f} MB",
            note=f"the daemon {daemon_peak:.1f} MB, the page's process {page_peak:.1f} MB; "
            f"{seen:,} workouts in {walked:.0f} s of pages ({order}, "
            f"slowest {slowest_page:.0f} ms); CSV {lines - 1:,} rows in {downloaded:.0f} s; "
            f"History pages {max(t for _, t in pages) * 1000:.0f} ms at most; "
            f"store filled in {filled:.0f} s",
        ),
        Figure(
            f"Press to first audio while a client downloads the CSV of {workouts:,} workouts",
            busy_p50,
            busy_p95,
            "ms",
            f"p95 <= quiet p95 + {PRESS_MARGIN_MS:g} ms",
            busy_p95 <= quiet_p95 + PRESS_MARGIN_MS,
            baseline=f"quiet daemon: p50 {quiet_p50:.1f} ms, p95 {quiet_p95:.1f} ms",
            note=f"{PRESSES} presses each; {sum(during):,} CSV lines downloaded meanwhile",
        ),
    ]


def _main() -> None:
    from bench.report import table

    print(table(run(quick=True)))


if __name__ == "__main__":
    _main()
