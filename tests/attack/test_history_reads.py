"""Finding 1 of round 3: reading a long history (the API, the CSV, the page) kept all of it
in memory. The real daemon, under the unit's memory limit, on a store of 150,000 workouts."""

from __future__ import annotations

import http.client
import json

import pytest

from bench.daemon_proc import HOST, Daemon
from tests.attack.memory_cgroup import memory_cgroup, page_process, peak_rss
from tests.big_history import fill

pytestmark = [pytest.mark.attack, pytest.mark.slow]

__all__ = ["memory_cgroup"]

WORKOUTS = 150_000
PEAK_LIMIT = 80 * 1024 * 1024
PAGE = 200


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def _csv_lines(port: int, path: str) -> int:
    """How many lines the answer has, counted as it arrives rather than kept."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200
        lines = 0
        while chunk := response.read(65536):
            lines += chunk.count(b"\n")
        return lines
    finally:
        conn.close()


def test_a_long_history_is_read_in_pages_and_streamed_within_the_memory_limit(
    tmp_path, memory_cgroup
):
    data = tmp_path / "data"
    me, other = fill(data, WORKOUTS)
    daemon = Daemon(data, preexec_fn=memory_cgroup.enter)
    try:
        daemon.wait_for_web()
        conn = http.client.HTTPConnection(HOST, daemon.port, timeout=30)
        seen: list[tuple[float, int]] = []
        path = f"/api/history?limit={PAGE}"
        pages = 0
        while path:
            status, body = _get(conn, path)
            assert status == 200, body[:200]
            answer = json.loads(body)
            assert len(answer["sessions"]) <= PAGE
            seen += [(s["finished_at"], s["id"]) for s in answer["sessions"]]
            pages += 1
            path = answer["next"] and f"/api/history?limit={PAGE}&before={answer['next']}"
        conn.close()
        ids = [i for _, i in seen]
        assert len(ids) == WORKOUTS and len(set(ids)) == WORKOUTS
        assert seen == sorted(seen, reverse=True)
        assert pages == WORKOUTS // PAGE + (WORKOUTS % PAGE > 0)
        # The header, then one line per workout.
        assert _csv_lines(daemon.port, "/api/history.csv") == WORKOUTS + 1
        assert _csv_lines(daemon.port, f"/api/history.csv?profile={other}") == WORKOUTS // 2 + 1
        for profile in (me, other):
            status, page = daemon.request("GET", f"/history?profile={profile}", timeout=30)
            assert status == 200
            assert b"in the download" in page
        assert daemon.proc.poll() is None
        # The page's own process answered every read; the daemon kept the button.
        for pid in (daemon.proc.pid, page_process(daemon.proc.pid)):
            peak = peak_rss(pid)
            assert peak <= PEAK_LIMIT, f"peak RSS {peak / 2**20:.0f} MB"
        assert memory_cgroup.oom_kills() == 0
    finally:
        daemon.stop()
