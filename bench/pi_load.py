"""The phone page and the button on an emulated Pi: page p95s for one and ten clients,
and press -> first audio while ten phones poll and one downloads the CSV.

The data directory holds a year of three workouts a week and a full voice cache,
both made outside the quota (they are set up, not measured); then a real
``spotter run --simulate`` starts inside it (``bench.pi_zero``), playing into a
``SoundTap`` whose reader stays outside, as a sound card is outside a Pi's CPU.
The clients run outside it too: they are the phones, not the Pi.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from pathlib import Path

from bench.daemon_proc import HOST, Daemon, daemon
from bench.long_history import download_until, press_times
from bench.pi_zero import PiZeroQuota
from bench.report import Figure, p50_p95
from bench.sound_tap import SoundTap
from bench.startup import emulation
from bench.web_load import hammer
from tests.big_history import fill

YEAR_OF_WORKOUTS = 3 * 52
PAGES = ("/", "/history", "/routines/", "/settings/", "/api/status")
TARGET_PAGE_P95_MS = 100.0
TARGET_PRESS_P95_MS = 5.0
PHONES = 10
POLL_EVERY = 0.3  # seconds: ten phones make about 33 status requests a second


def poll_until(port: int, stop: threading.Event, errors: list[int]) -> None:
    """One phone polling ``/api/status`` until ``stop``."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        while not stop.wait(POLL_EVERY):
            try:
                conn.request("GET", "/api/status")
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
            except (OSError, http.client.HTTPException):
                errors.append(0)
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=10)
    finally:
        conn.close()


def presses_under_load(d: Daemon, tap: SoundTap, presses: int) -> tuple[list[float], int]:
    """Press times (ms) while ``PHONES`` poll and one client downloads the CSV; errors."""
    stop = threading.Event()
    errors: list[int] = []
    lines: list[int] = []
    threads = [
        threading.Thread(target=poll_until, args=(d.port, stop, errors)) for _ in range(PHONES)
    ]
    threads.append(threading.Thread(target=download_until, args=(d, stop, lines)))
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)  # the load is under way before the first press
        return press_times(d, tap, presses), len(errors)
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def prepared(data_dir: Path) -> None:
    """A year of workouts and a full voice cache in ``data_dir``, made at full speed."""
    fill(data_dir, YEAR_OF_WORKOUTS, people=1, years=1.0)
    with daemon(data_dir, checkins=False) as d:
        d.wait_until_quiet()


def run(quick: bool, quota: PiZeroQuota) -> list[Figure]:
    """Presses quiet and under load, then every page for one and for ten clients."""
    presses = 10 if quick else 20
    seconds = 3.0 if quick else 8.0
    where = emulation(quota)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp, SoundTap() as tap:
        data = Path(tmp) / "data"
        prepared(data)
        with daemon(
            data, silent=False, audio_device=tap.device, checkins=False, preexec_fn=quota.enter
        ) as d:
            d.wait_until_quiet()
            quiet = press_times(d, tap, presses)
            busy, errors = presses_under_load(d, tap, presses)
            quiet_50, quiet_95 = p50_p95(quiet)
            p50, p95 = p50_p95(busy)
            figures.append(
                Figure(
                    f"8. {where}Press -> first audio, {PHONES} phones polling + a CSV download "
                    f"({presses} presses)",
                    p50,
                    p95,
                    "ms",
                    target=f"p95 <= {TARGET_PRESS_P95_MS:g} ms",
                    passed=p95 <= TARGET_PRESS_P95_MS and errors == 0,
                    baseline=f"quiet: p50 {quiet_50:.1f} ms, p95 {quiet_95:.1f} ms",
                    note=f"{errors} failed polls; each phone polls /api/status every "
                    f"{POLL_EVERY:g} s",
                )
            )
            for path in PAGES:
                for clients in (1, PHONES):
                    latencies, failed, wall = hammer(d.port, path, seconds, clients)
                    p50, p95 = p50_p95(latencies)
                    one = clients == 1
                    figures.append(
                        Figure(
                            f"9. {where}GET {path}, {clients} client{'s' * (not one)}",
                            p50,
                            p95,
                            "ms",
                            target=f"p95 <= {TARGET_PAGE_P95_MS:g} ms" if one else "",
                            passed=(p95 <= TARGET_PAGE_P95_MS and failed == 0) if one else None,
                            note=f"{len(latencies) / wall:.1f} requests/s, {failed} errors; "
                            "each client requests back to back",
                        )
                    )
            web_rss = d.web_peak_rss_mb()
            figures.append(
                Figure(
                    f"8. {where}Peak RSS of the daemon",
                    d.peak_rss_mb(),
                    None,
                    "MB",
                    note=f"the page's own process peaked at {web_rss or 0:.1f} MB",
                )
            )
    return figures
