"""Config files and environment values that used to crash start-up or hang it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from device.service.config import ConfigError, load_config

pytestmark = pytest.mark.attack

HUGE = "9" * 5000


def load_soon(path: Path | None, env: dict[str, str]) -> ConfigError:
    """The ConfigError ``load_config`` raises, within five seconds."""
    found: list[BaseException] = []

    def attempt() -> None:
        try:
            load_config(path, env, {})
        except BaseException as err:
            found.append(err)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "loading the config hangs"
    assert found, "the config was accepted"
    assert isinstance(found[0], ConfigError), repr(found[0])
    return found[0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spotter.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "key"),
    [(f"[button]\npin = {HUGE}\n", "file"), (f"[web]\nport = {HUGE}\n", "file")],
)
def test_a_number_of_five_thousand_digits_in_the_file_is_named(tmp_path, text, key):
    err = load_soon(write(tmp_path, text), {})
    assert key in err.errors
    assert "too long" in err.errors[key] or "digits" in err.errors[key]


@pytest.mark.parametrize(
    "name", ["SPOTTER_BUTTON_PIN", "SPOTTER_WEB_PORT", "SPOTTER_GESTURES_HOLD_MS"]
)
def test_a_number_of_five_thousand_digits_in_the_environment_is_named(tmp_path, name):
    env = {name: HUGE}
    if name == "SPOTTER_GESTURES_HOLD_MS":
        env["SPOTTER_GESTURES_LONG_HOLD_MS"] = "3000"
    err = load_soon(write(tmp_path, ""), env)
    assert name in err.errors


@pytest.mark.parametrize("host", ["256.1.1.1", "1.2.3.4.5", "999.0.0.1", "10.0.0"])
def test_an_impossible_ip_address_is_named(tmp_path, host):
    err = load_soon(write(tmp_path, ""), {"SPOTTER_WEB_HOST": host})
    assert "SPOTTER_WEB_HOST" in err.errors


def test_a_deeply_nested_file_is_refused(tmp_path):
    err = load_soon(write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n"), {})
    assert "nested" in err.errors["file"]


def test_a_device_as_the_config_file_is_refused_at_once():
    err = load_soon(Path("/dev/zero"), {})
    assert "regular file" in err.errors["file"]


def test_a_fifo_as_the_config_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "spotter.toml"
    os.mkfifo(fifo)
    err = load_soon(None, {"SPOTTER_CONFIG": str(fifo)})
    assert "regular file" in err.errors["file"]


def test_a_directory_as_the_config_file_is_refused(tmp_path):
    err = load_soon(tmp_path, {})
    assert "regular file" in err.errors["file"]


def test_a_huge_config_file_is_refused(tmp_path):
    err = load_soon(write(tmp_path, "# " + "x" * 200_000 + "\n"), {})
    assert "too large" in err.errors["file"]
