"""The speech engine's version is kept between starts, so cached audio is found by it
before any engine has started; what is rendered is named by the version the engine says.

Real espeak-ng in its own process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from device.voice.cache import WavCache
from device.voice.player import NullPlayer
from device.voice.render_process import VERSION_FILE, RenderProcesses, read_version
from device.voice.speaker import Voice
from device.voice.tts import VoiceSettings
from tests.voice.test_speaker import needs_espeak

pytestmark = needs_espeak

WAIT = 60.0


def test_a_version_kept_from_before_is_used_without_starting_an_engine(tmp_path):
    (tmp_path / VERSION_FILE).write_text("pyttsx3 2.99, espeak-ng 1.51\n")
    engines = RenderProcesses(1, version_file=tmp_path / VERSION_FILE)
    try:
        assert engines.version == "pyttsx3 2.99, espeak-ng 1.51"
        assert engines.pids == []
    finally:
        engines.close()


def test_a_render_is_named_by_the_engines_own_version_and_that_is_kept(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / VERSION_FILE).write_text("an engine of long ago\n")
    voice = Voice(cache, player=NullPlayer(), render_processes=1)
    try:
        voice.prepare(["Rest for ten seconds."])
        assert voice.wait_until_prepared(timeout=WAIT)
        played = voice.cached_audio("Rest for ten seconds.")
        real = voice.renderer.version
    finally:
        voice.close()
    assert "long ago" not in real
    assert played is not None
    assert Path(played) == WavCache(cache).path_for("Rest for ten seconds.", VoiceSettings(), real)
    assert read_version(cache / VERSION_FILE) == real.split(";")[0]


@pytest.mark.parametrize("kept", [b"", b"\xff\xfe\x00", b"x" * 500, b"two\nlines\x07"])
def test_a_kept_version_that_is_not_one_is_ignored(tmp_path, kept):
    (tmp_path / VERSION_FILE).write_bytes(kept)
    assert read_version(tmp_path / VERSION_FILE) is None
