"""Each command imports what it needs and no more: the web stack and the voice cost seconds
on a Pi Zero, so a command that does not serve or speak must not load them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("flask", "waitress", "jinja2", "web_config", "pyttsx3", "device.voice.speaker")

PROBE = """
import json, sys
from device.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = {heavy!r}
print(json.dumps(sorted(name for name in heavy if name in sys.modules)), file=sys.stderr)
"""


def loaded_by(*args: str, data_dir: Path) -> list[str]:
    """Which of the heavy modules ``spotter ARGS`` had imported when it finished."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"SPOTTER_DATA_DIR": str(data_dir), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["routines", "list"], ["routines", "--help"]])
def test_commands_that_neither_serve_nor_speak_load_neither(args, tmp_path):
    assert loaded_by(*args, data_dir=tmp_path) == []


def test_the_probe_sees_what_a_command_loads(tmp_path):
    # The check above would pass if the probe looked in the wrong place: 'say' loads the
    # voice before it finds there is nothing to say.
    assert "device.voice.speaker" in loaded_by("say", "", data_dir=tmp_path)
