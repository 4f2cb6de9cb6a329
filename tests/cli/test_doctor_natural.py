"""``spotter doctor`` on the natural voice: optional when absent, a warning when chosen but
absent, a real render through the worker when installed, and a failure when it is chosen
and cannot render."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from device.cli import doctor
from device.cli.doctor import Level, check_natural_voice, chosen_voice_engine
from device.voice import natural
from routines.store import Store

ROOT = Path(__file__).resolve().parents[2]
needs_engine = pytest.mark.skipif(
    not natural.natural_installed(), reason="the natural-voice extra is not installed"
)


@pytest.fixture(autouse=True)
def importable_from_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def test_the_chosen_engine_is_read_from_the_store(tmp_path: Path) -> None:
    assert chosen_voice_engine(tmp_path) == "classic"  # no store yet
    store = Store.open(tmp_path)
    try:
        assert chosen_voice_engine(tmp_path) == "classic"
        store.update_settings({"voice_engine": "natural"})
        assert chosen_voice_engine(tmp_path) == "natural"
    finally:
        store.close()


@pytest.mark.parametrize(
    ("chosen", "level", "words"),
    [(False, Level.OK, "not installed (optional)"), (True, Level.WARN, "chosen in Settings")],
)
def test_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, chosen: bool, level: Level, words: str
) -> None:
    monkeypatch.setattr(natural, "natural_installed", lambda: False)
    result = check_natural_voice(chosen)
    assert result.level is level
    assert words in result.detail
    assert ("--natural-voice" in result.fix) is chosen


@needs_engine
def test_an_installed_natural_voice_renders_a_test_line() -> None:
    result = check_natural_voice(chosen=True)
    assert result.level is Level.OK, result
    assert "hibari-tts" in result.detail and "rendered a test line" in result.detail


def test_a_chosen_natural_voice_that_cannot_render_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(natural, "natural_installed", lambda: True)
    broken = [sys.executable, "-c", "import sys; sys.exit(7)"]
    monkeypatch.setattr(natural, "worker_command", lambda: broken)
    result = check_natural_voice(chosen=True)
    assert result.level is Level.FAIL
    assert "exit status 7" in result.detail
    assert doctor.print_report([result], io.StringIO()) == 1
