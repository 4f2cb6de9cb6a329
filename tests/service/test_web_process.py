"""The phone page in its own process: the daemon starts it, and when it dies the daemon
starts it again while the workout goes on."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.cli.web_child import OOM_SCORE_ADJ

SPOTTER = [sys.executable, "-m", "device.cli"]
WAIT = 60.0  # bounds for a loaded machine; each step takes well under a second here


class Daemon:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.log: list[str] = []
        self.said: list[str] = []
        self._changed = threading.Condition()
        for stream, into in ((process.stderr, self.log), (process.stdout, self.said)):
            threading.Thread(target=self._read, args=(stream, into), daemon=True).start()

    def _read(self, stream, into: list[str]) -> None:
        for line in stream:
            with self._changed:
                into.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, lines: list[str], pattern: str, start: int = 0) -> re.Match[str]:
        with self._changed:
            deadline = time.monotonic() + WAIT
            while True:
                for line in lines[start:]:
                    if found := re.search(pattern, line):
                        return found
                left = deadline - time.monotonic()
                assert left > 0, f"no {pattern!r} in {lines}"
                self._changed.wait(left)

    def press(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    config = tmp_path / "spotter.toml"
    config.write_text("")
    env = {**os.environ, "SPOTTER_DATA_DIR": str(tmp_path / "data"), "SPOTTER_CONFIG": str(config)}
    process = subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--host", "127.0.0.1", "--port", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield Daemon(process)
    finally:
        process.terminate()
        try:
            process.wait(WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def web_child(pid: int) -> int:
    [child] = [
        c
        for c in children(pid)
        if b"device.cli.web_child" in Path(f"/proc/{c}/cmdline").read_bytes()
    ]
    return child


def status(url: str) -> dict:
    with urllib.request.urlopen(url + "/api/status", timeout=5) as answer:
        return json.load(answer)


@pytest.mark.slow
def test_a_killed_page_comes_back_and_the_workout_loses_no_press(daemon: Daemon) -> None:
    found = daemon.wait_for(daemon.log, r"web page on (http://127\.0\.0\.1:\d+)/")
    url = found.group(1)
    assert status(url)["state"] == "idle"
    # The daemon loads nothing of the page: Flask's templates (Jinja's MarkupSafe, whose
    # compiled part shows in a process's memory map) live in the page's process only.
    pid = daemon.process.pid
    child = web_child(pid)
    assert "markupsafe" not in Path(f"/proc/{pid}/maps").read_text()
    assert "markupsafe" in Path(f"/proc/{child}/maps").read_text()
    # Out of memory, the kernel takes the page before the daemon and its button.
    assert int(Path(f"/proc/{child}/oom_score_adj").read_text()) == OOM_SCORE_ADJ
    assert int(Path(f"/proc/{pid}/oom_score_adj").read_text()) < OOM_SCORE_ADJ

    daemon.press()  # the shipped routine asks how the back is first
    daemon.wait_for(daemon.said, r"How much pain")
    daemon.wait_for(daemon.said, r"^» 2$")
    os.kill(child, signal.SIGKILL)
    killed_at = time.monotonic()
    daemon.press()  # while the page is down, on "2": the button does not need the page
    daemon.wait_for(daemon.said, r"Exercise 1 of 4")
    assert not any("No score" in line for line in daemon.said)
    daemon.wait_for(daemon.log, r"web page's process ended \(killed by signal 9\)")

    back = None
    while back is None and time.monotonic() - killed_at < WAIT:
        try:
            back = status(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    assert back is not None, daemon.log
    came_back = time.monotonic() - killed_at
    assert back["state"] != "idle"  # the workout went on
    assert web_child(pid) != child
    # Said once at the first start, not again: the trainee is mid-workout.
    assert sum("web page on" in line for line in daemon.log) == 2
    print(f"the page answered again {came_back:.2f} s after the kill")


@pytest.mark.slow
def test_the_page_ends_with_a_daemon_killed_outright(daemon: Daemon) -> None:
    daemon.wait_for(daemon.log, r"web page on http://")
    child = web_child(daemon.process.pid)
    os.kill(daemon.process.pid, signal.SIGKILL)
    daemon.process.wait()
    deadline = time.monotonic() + WAIT
    # Left behind, it would hold the page's port from the daemon systemd starts again.
    while Path(f"/proc/{child}").exists() and _state(child) != "Z":
        assert time.monotonic() < deadline, "the page outlived its daemon"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


class _Refuse(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a login's redirect is its answer here
        return None


def _browser() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _Refuse()
    )


def _ask(browser, url: str, *, data: bytes | None = None, headers=None, method=None):
    asked = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with browser.open(asked, timeout=10) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read().decode()


def _form(browser, url: str, path: str, fields: dict[str, str]) -> tuple[int, object, str]:
    page = _ask(browser, url + "/login")[2]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page
    body = urllib.parse.urlencode({"csrf_token": token.group(1), **fields}).encode()
    return _ask(browser, url + path, data=body)


def _bearer(url: str, pin: str) -> tuple[int, object, str]:
    return _ask(
        _browser(),
        url + "/api/settings",
        data=b"{}",
        headers={"Authorization": f"Bearer {pin}", "Content-Type": "application/json"},
        method="PUT",
    )


@pytest.mark.slow
def test_a_page_started_again_keeps_strangers_waiting_and_the_owner_out_of_it(daemon):
    url = daemon.wait_for(daemon.log, r"web page on (http://127\.0\.0\.1:\d+)/").group(1)
    pin = "246810"
    owner = _browser()
    set_pin = json.dumps({"pin": pin}).encode()
    assert (
        _ask(
            owner,
            url + "/api/settings",
            data=set_pin,
            method="PUT",
            headers={"Content-Type": "application/json"},
        )[0]
        == 200
    )
    assert _form(owner, url, "/login", {"pin": pin})[0] == 302
    assert _form(owner, url, "/logout", {})[0] == 302  # a known phone, logged out

    codes = [_bearer(url, "000000")[0] for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # three free tries, then a wait
    child = web_child(daemon.process.pid)
    os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + WAIT
    while True:
        try:
            status(url)
            break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, daemon.log
            time.sleep(0.05)
    assert web_child(daemon.process.pid) != child

    # Still waiting, or (on a slow restart) one more wrong PIN doubles the wait: a page
    # with a count of its own would judge both as the first of three free tries.
    after = [_bearer(url, "000000") for _ in range(2)]
    assert 429 in [code for code, _, _ in after], after
    refused = next(headers for code, headers, _ in after if code == 429)
    assert int(refused["Retry-After"]) >= 1
    # The owner's phone has an allowance of its own, in the new page as in the old.
    assert _form(owner, url, "/login", {"pin": pin})[0] == 302
