"""Log lines carry journald's priority prefix under systemd, and only there."""

from __future__ import annotations

import os
import subprocess
import sys

LOG_SOME = """
import logging
from device.cli.journal import configure_logging
configure_logging(logging.DEBUG)
log = logging.getLogger("spotter.test")
log.debug("detail")
log.info("started")
log.warning("no sound device")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed")
"""


def run_with_stderr_to(path, journal_stream: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    if journal_stream is not None:
        env["JOURNAL_STREAM"] = journal_stream
    with path.open("w") as err:
        subprocess.run([sys.executable, "-c", LOG_SOME], stderr=err, env=env, check=True)
    return path.read_text().splitlines()


def identity(path) -> str:
    st = path.stat()
    return f"{st.st_dev}:{st.st_ino}"


def test_under_journald_each_line_has_its_priority(tmp_path):
    stderr = tmp_path / "stderr"
    stderr.touch()
    lines = run_with_stderr_to(stderr, identity(stderr))
    assert lines[:3] == [
        "<7>DEBUG spotter.test: detail",
        "<6>INFO spotter.test: started",
        "<4>WARNING spotter.test: no sound device",
    ]
    # A traceback's lines are errors too, so journalctl -p err shows all of it.
    assert lines[3] == "<3>ERROR spotter.test: failed"
    assert len(lines) > 5
    assert all(line.startswith("<3>") for line in lines[3:])


def test_a_journal_stream_inherited_elsewhere_adds_no_prefix(tmp_path):
    # A shell started from a unit inherits JOURNAL_STREAM; its stderr is a terminal or file.
    stderr, other = tmp_path / "stderr", tmp_path / "other"
    other.touch()
    lines = run_with_stderr_to(stderr, identity(other))
    assert lines[1] == "INFO spotter.test: started"
    assert not any(line.startswith("<") for line in lines)
