"""What a start of the daemon loads: each module is CPU time before the button answers,
about eight times as much on a Pi Zero 2 W, so what only some commands or only the page
need is loaded by them, not by every start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Loaded on demand: YAML for routine files (stored routines are JSON), XML and TLS for
# nothing at start, the page's Flask and waitress in the page's own process, the status
# LED's code only when one is configured.
NOT_AT_START = (
    "yaml",
    "xml.sax",
    "ssl",
    "urllib.request",
    "flask",
    "waitress",
    "secrets",
    "device.hardware.led",
)


def test_a_start_loads_nothing_only_some_commands_need() -> None:
    program = (
        "import json, sys\n"
        "import device.cli.main, device.service.runner, device.service.build\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", program], text=True)))
    assert "device.service.worker" in loaded  # the start path itself was loaded
    assert sorted(loaded & set(NOT_AT_START)) == []


# Before the button is live only the command line, the config and gpiozero load: the
# store, the engine, the routines' model, the voice and the worker come after it (about
# 0.1 s of CPU a Pi Zero would spend with presses unheard). So do what only some configs
# need (clickers, a broker) and the spelling hints for a mistyped key.
NOT_BEFORE_THE_PIN = (
    "sqlite3",
    "routines.database",
    "routines.store",
    "routines.model",
    "routines.settings",
    "device.events",
    "device.engine.gestures",
    "device.service.build",
    "device.service.worker",
    "device.service.clickers",
    "device.service.homeassistant",
    "device.engine.session",
    "device.voice.speaker",
    "difflib",
)
SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "systemd" / "spotter.toml"


def test_the_button_is_set_up_before_the_store_and_the_voice_are_loaded() -> None:
    # As the service starts: its command line, with the config file the package ships.
    program = (
        "import json, sys\n"
        "import device.cli.main as cli, device.service.runner\n"
        "from device.service.config import config_from_args\n"
        f"run = ['run', '--simulate', '--config', {str(SHIPPED_CONFIG)!r}]\n"
        "config_from_args(cli.parser_for(run).parse_args(run))\n"
        "import device.hardware.button, device.hardware.edge_relay, gpiozero.pins.mock\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = set(json.loads(subprocess.check_output([sys.executable, "-c", program], text=True)))
    assert {"gpiozero", "tomllib"} <= loaded  # the button's own imports and the config's
    assert sorted(loaded & set(NOT_BEFORE_THE_PIN)) == []
