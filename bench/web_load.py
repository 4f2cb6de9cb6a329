"""Web: latency and throughput of the phone page under 20 phones at once, and page weight.

A real ``spotter run --simulate --silent`` serves on loopback with a workout
running (a hold counting down). Twenty client threads, each with one keep-alive
``http.client`` connection and its own session cookie (as a phone's browser keeps),
request one URL back to back for a fixed time
(``GET /api/status``, then the Now page ``/``); each request's time is from
sending it to having read the whole body. The clients share the machine's two
cores with the server, so the figures include their own cost.

Page weight: each page's HTML plus every stylesheet, script and image it links
from Spotter itself, in bytes as sent (no compression) and in requests.
"""

from __future__ import annotations

import http.client
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

from bench.daemon_proc import HOST, Daemon, daemon
from bench.report import Figure, p50_p95

TARGET_P95_MS = 25.0
PAGE_LIMIT_BYTES = 40 * 1024
CLIENTS = 20
MAX_REQUESTS_PER_CLIENT = 50_000
PAGES = ("/", "/routines/", "/settings/", "/history")


def hammer(
    port: int, path: str, seconds: float, clients: int = CLIENTS
) -> tuple[list[float], int, float]:
    """``clients`` threads request ``path`` for ``seconds``: (latencies ms, errors, wall s)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    go = threading.Barrier(clients + 1)

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        mine = latencies[i]
        headers: dict[str, str] = {}
        go.wait()
        deadline = time.perf_counter() + seconds
        while len(mine) < MAX_REQUESTS_PER_CLIENT:
            start = time.perf_counter()
            if start >= deadline:
                break
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                # Like a phone's browser, keep the session cookie the page hands out.
                if cookie := response.getheader("Set-Cookie"):
                    headers["Cookie"] = cookie.split(";", 1)[0]
                if response.status != 200:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                continue
            mine.append((time.perf_counter() - start) * 1000)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    go.wait()
    began = time.perf_counter()
    for t in threads:
        t.join(seconds + 30)
    wall = time.perf_counter() - began
    return [x for per in latencies for x in per], sum(errors), wall


class _Assets(HTMLParser):
    """Collects the URLs a page makes the browser fetch at once."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        url = None
        if tag == "link" and a.get("rel") in ("stylesheet", "icon"):
            url = a.get("href")
        elif tag in ("script", "img"):
            url = a.get("src")
        if url and url.startswith("/"):
            self.urls.append(url)


def page_weight(d: Daemon, path: str) -> tuple[int, int]:
    """(bytes, requests) of a page with its own assets; ``data:`` URLs cost no request."""
    code, html = d.request("GET", path)
    if code != 200:
        raise RuntimeError(f"GET {path} gave {code}")
    parser = _Assets()
    parser.feed(html.decode("utf-8", "replace"))
    total, requests = len(html), 1
    for url in dict.fromkeys(parser.urls):
        code, body = d.request("GET", url)
        if code != 200:
            raise RuntimeError(f"GET {url} gave {code}")
        total += len(body)
        requests += 1
    return total, requests


def run(quick: bool = False) -> list[Figure]:
    """Both URLs under load, then the weight of every page."""
    seconds = 3.0 if quick else 10.0
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp,
        daemon(Path(tmp) / "data", checkins=False) as d,
    ):
        d.wait_until_quiet()
        for _ in range(3):  # into the first 30-second hold: the status changes every second
            d.gesture("press")
        d.wait_for_state("hold")
        for path, label in (("/api/status", "GET /api/status"), ("/", "Now page /")):
            cpu_before = d.cpu_seconds()
            latencies, errors, wall = hammer(d.port, path, seconds)
            server_cpu = 100 * (d.cpu_seconds() - cpu_before) / wall
            p50, p95 = p50_p95(latencies)
            figures.append(
                Figure(
                    f"5. {label}, {CLIENTS} clients, {seconds:g} s",
                    p50,
                    p95,
                    "ms",
                    target=f"p95 <= {TARGET_P95_MS:g} ms",
                    passed=p95 <= TARGET_P95_MS and errors == 0,
                    note=f"{len(latencies) / wall:.0f} requests/s, {len(latencies)} requests, "
                    f"{errors} errors; the server used {server_cpu:.0f} % of one core",
                )
            )
        weights = {path: page_weight(d, path) for path in PAGES}
        _, panel = d.request("GET", "/now/panel")
    heaviest = max(b for b, _ in weights.values())
    figures.append(
        Figure(
            "5. Page weight, heaviest page",
            heaviest / 1024,
            None,
            "KB",
            target=f"<= {PAGE_LIMIT_BYTES // 1024} KB per page",
            passed=heaviest <= PAGE_LIMIT_BYTES,
            note="; ".join(f"{p} {b} B in {r} requests" for p, (b, r) in weights.items())
            + f"; the Now page then polls /now/panel ({len(panel)} B) once a second",
        )
    )
    return figures
