"""Back through the HTTP API of a running ``spotter run --simulate``."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SPOTTER = [sys.executable, "-m", "device.cli"]


@pytest.fixture
def page(tmp_path: Path) -> Iterator[str]:
    config = tmp_path / "spotter.toml"
    config.write_text("")
    env = {**os.environ, "SPOTTER_DATA_DIR": str(tmp_path / "data"), "SPOTTER_CONFIG": str(config)}
    process = subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--silent", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + 30
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            found = re.search(r"web page on (http://\S+/)", line)
            url = found.group(1) if found else None
        assert url is not None, "the daemon never said where its page is"
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(url: str, body: object | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def status_when(page: str, ready: object, timeout: float = 10.0) -> dict[str, Any]:
    """Poll the status until ``ready(status)`` (the worker answers on its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        _, status = call(page + "api/status")
        if ready(status) or time.monotonic() > deadline:  # type: ignore[operator]
            return status
        time.sleep(0.05)


def test_back_after_three_counted_reps_leaves_the_status_at_rep_2(page: str) -> None:
    def act(action: str) -> None:
        assert call(page + "api/button", {"action": action}) == (202, {"queued": action})

    act("next")  # start: the shipped routine first asks about pain, answered here
    status_when(page, lambda s: s["question"] == "pain_before")
    assert call(page + "api/checkin", {"moment": "before", "score": 3})[0] == 200
    status_when(page, lambda s: s["state"] == "intro")  # the stretch is introduced
    for _ in range(3):
        act("skip")  # on to the hamstring curls, counted a press at a time
    status_when(page, lambda s: (s["exercise"] or {}).get("index") == 3)
    act("next")  # set 1, left leg
    for _ in range(3):
        act("next")
    status = status_when(page, lambda s: s["rep"] == 3)
    assert (status["exercise"]["name"], status["rep"]) == ("Isometric banded hamstring curls", 3)

    code, body = call(page + "api/button", {"action": "undo"})
    assert code == 422
    assert body["fields"] == {
        "action": "must be one of: next, back, skip, repeat, pause, resume, end, extend_rest"
    }
    time.sleep(0.3)
    assert call(page + "api/status")[1]["rep"] == 3  # the bad action changed nothing

    act("back")
    status = status_when(page, lambda s: s["rep"] == 2)
    assert (status["state"], status["rep"], status["reps"]) == ("set", 2, 10)
    assert status["last_spoken"] == "2 done, 8 to go. Press after each rep."
