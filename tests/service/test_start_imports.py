"""What a start of the daemon loads: each module is CPU time before the button answers,
about eight times as much on a Pi Zero 2 W, so what only some commands or only the page
need is loaded by them, not by every start."""

from __future__ import annotations

import json
import subprocess
import sys

# Loaded on demand: YAML for routine files (stored routines are JSON), XML and TLS for
# nothing at start, the page's Flask and waitress in the page's own process.
NOT_AT_START = ("yaml", "xml.sax", "ssl", "urllib.request", "flask", "waitress", "secrets")


def test_a_start_loads_nothing_only_some_commands_need() -> None:
    program = (
        "import json, sys\n"
        "import device.cli.main, device.service.runner, device.service.build\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", program], text=True)))
    assert "device.service.worker" in loaded  # the start path itself was loaded
    assert sorted(loaded & set(NOT_AT_START)) == []
