"""Audio rendered ahead (the package's /usr/share/spotter/voice-cache) is played where its
key matches, and never for other settings: then the lines render as before.

The renders are real: espeak-ng in the engine's own process, as on a device.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import re
import shutil
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from device.engine.session import WorkoutSession
from device.events import Action, Line, State
from device.service.build import Parts, build, prerendered_folder
from device.service.config import Config, load_config
from device.testing import FakeClock
from device.voice.cache import WavCache
from device.voice.player import NullPlayer
from device.voice.render_process import VERSION_FILE
from device.voice.speaker import Voice
from device.voice.tts import VoiceSettings
from routines.settings import Settings
from routines.validation import load_library
from routines.week import weekly_goal
from tests.voice.test_speaker import needs_espeak

pytestmark = needs_espeak

WAIT = 60.0
LINES = ["Stand tall with your feet apart.", "Rest for thirty seconds."]


def _voice(cache: Path, shipped: Path | None, settings: VoiceSettings) -> Voice:
    return Voice(
        cache, settings=settings, player=NullPlayer(), shipped_cache=shipped, render_processes=1
    )


def _prepared(voice: Voice) -> dict[str, str | None]:
    voice.prepare(LINES)
    assert voice.wait_until_prepared(timeout=WAIT)
    return {text: voice.cached_audio(text) for text in LINES}


@pytest.fixture
def shipped(tmp_path) -> Path:
    """What the package build does: render for the default settings, keep only the files."""
    build = tmp_path / "build"
    voice = _voice(build, None, VoiceSettings())
    try:
        _prepared(voice)
    finally:
        voice.close()
    folder = tmp_path / "shipped"
    folder.mkdir()
    for wav in build.glob("*.wav"):
        shutil.copyfile(wav, folder / wav.name)
    shutil.copyfile(build / VERSION_FILE, folder / VERSION_FILE)
    folder.chmod(0o555)  # read-only, as below /usr
    yield folder
    folder.chmod(0o755)


def speech_engines() -> list[int]:
    """The speech engine's processes this test has started and that still run."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and b"render_child" in command:
            found.append(int(stat.parent.name))
    return found


def test_closing_the_voice_ends_its_speech_engines(tmp_path):
    voice = _voice(tmp_path / "cache", None, VoiceSettings())
    try:
        _prepared(voice)
        assert len(speech_engines()) == 1
    finally:
        voice.close()
    assert speech_engines() == []


BATCH = re.compile(r"speech for \d+ lines ready: (\d+) rendered now, (\d+) from the package, (\d+)")


def _batches(caplog) -> tuple[int, int, int]:
    """Lines rendered, from the package and from the cache, over every batch logged."""
    found = [BATCH.match(r.getMessage()) for r in caplog.records]
    counts = [tuple(int(n) for n in m.groups()) for m in found if m is not None]
    assert counts, "no batch was logged"
    rendered, shipped, cached = (sum(column) for column in zip(*counts, strict=True))
    return rendered, shipped, cached


def test_a_new_device_plays_the_shipped_audio_and_renders_nothing(tmp_path, shipped, caplog):
    caplog.set_level(logging.INFO, logger="device.voice.render_queue")
    own = tmp_path / "data" / "voice-cache"
    before = {wav: wav.stat().st_mtime_ns for wav in shipped.iterdir()}
    voice = _voice(own, shipped, VoiceSettings())
    try:
        ready = _prepared(voice)
        engines_started = speech_engines()
        assert all(path is not None and Path(path).parent == shipped for path in ready.values())
        voice.speak([Line(LINES[0])])
        assert voice.wait_until_quiet(timeout=WAIT)
    finally:
        voice.close()
    assert not own.exists() or list(own.glob("*.wav")) == []
    # The lines and the press's tone: what the daemon logs when its routine is ready.
    assert _batches(caplog) == (0, 3, 0)
    # Looked up by the version the package was rendered with: no speech engine started.
    assert engines_started == []
    # Read, never touched (root could write below /usr; Spotter must not).
    assert {wav: wav.stat().st_mtime_ns for wav in shipped.iterdir()} == before


def test_other_voice_settings_find_nothing_shipped_and_render_as_before(tmp_path, shipped, caplog):
    caplog.set_level(logging.INFO, logger="device.voice.render_queue")
    own = tmp_path / "data" / "voice-cache"
    voice = _voice(own, shipped, VoiceSettings(rate=200))
    try:
        ready = _prepared(voice)
    finally:
        voice.close()
    assert all(path is not None and Path(path).parent == own for path in ready.values())
    # Each line and the press's tone, in the device's own cache.
    assert len(list(own.glob("*.wav"))) == len(LINES) + 1
    assert _batches(caplog) == (3, 0, 0)


def test_a_damaged_shipped_file_is_rendered_again_and_left_in_place(tmp_path, shipped):
    cache = WavCache(tmp_path / "own", shipped=shipped)
    first = sorted(shipped.glob("*.wav"))[0]
    assert cache.find(tmp_path / "own" / first.name) == first

    shipped.chmod(0o755)
    first.write_bytes(first.read_bytes()[:100])  # cut short, as a bad copy would be
    shipped.chmod(0o555)
    assert cache.find(tmp_path / "own" / first.name) is None
    assert first.exists()  # the package's file is not the cache's to delete


def _config(tmp_path: Path, env: dict[str, str]) -> Config:
    empty = tmp_path / "spotter.toml"
    empty.write_text("")
    return load_config(empty, env, {"data_dir": str(tmp_path / "data"), "web.enabled": False})


def test_the_config_names_the_folder_the_daemon_plays_from(tmp_path, shipped):
    config = _config(tmp_path, {"SPOTTER_AUDIO_PRERENDERED": str(shipped)})
    spotter = build(config, Parts(pin_factory=MockFactory(), player=NullPlayer()))
    try:
        ready = _prepared(spotter.voice)
    finally:
        spotter.close()
    # The routine's own lines render beside them: the folder holds only these two.
    assert all(path is not None and Path(path).parent == shipped for path in ready.values())


def test_a_named_folder_that_is_missing_is_logged_and_every_line_rendered(tmp_path, caplog):
    missing = tmp_path / "nowhere"
    named = _config(tmp_path, {"SPOTTER_AUDIO_PRERENDERED": str(missing)})
    assert prerendered_folder(named) is None
    assert f"audio.prerendered (environment): {missing} is not a folder" in caplog.text
    caplog.clear()
    # The package's place, absent in a checkout: no folder, and nothing to say.
    absent = dataclasses.replace(named, prerendered_audio=missing, origins={})
    assert prerendered_folder(absent) is None
    assert caplog.text == ""
    assert prerendered_folder(_config(tmp_path, {"SPOTTER_AUDIO_PRERENDERED": "none"})) is None


# -- what the package build renders -------------------------------------------------------


@pytest.fixture(scope="module")
def package_folder(tmp_path_factory) -> Path:
    """The package build's own step (packaging/prerender.py), with real espeak-ng."""
    path = Path(__file__).resolve().parents[2] / "packaging" / "prerender.py"
    spec = importlib.util.spec_from_file_location("spotter_prerender", path)
    assert spec is not None and spec.loader is not None
    prerender = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prerender)
    out = tmp_path_factory.mktemp("voice-cache")
    assert prerender.render_into(out) > 0
    return out


def _first_workout(press_after: float, *, ended_early: bool) -> set[str]:
    """Every line a new device's first workout lists as known late, and what it says at
    its end, pressed ``press_after`` seconds after each wait. Ended at its start, only the
    week's count, said last: the summary of a part done depends on how far it got."""
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    clock = FakeClock()
    session = WorkoutSession(clock, default_rest=20, speech_seconds=lambda text: 2.0)
    goal = weekly_goal(routine, Settings())
    session.set_routine(routine, sessions_this_week=0, weekly_goal=goal)
    texts = set(session.late_lines())
    session.handle(Action.NEXT)
    said: list[str] = []
    while session.status().state is not State.DONE:
        texts |= set(session.late_lines())
        deadline = session.next_deadline()
        if ended_early:
            said = [line.text for line in session.handle(Action.PAUSE)]
        elif session.waiting_for_press() or deadline is None:
            clock.advance(press_after)
            said = [line.text for line in session.handle(Action.NEXT)]
        else:
            clock.now = deadline
            said = [line.text for line in session.tick()]
    return texts | ({said[-1]} if ended_early else set(said))


@pytest.mark.parametrize(("press_after", "ended_early"), [(1.0, False), (29.0, False), (1.0, True)])
def test_the_package_holds_every_line_of_a_new_devices_first_workout(
    tmp_path, package_folder, press_after, ended_early
):
    """The summary and the week's count are only known as the workout goes: a new
    device that had to render them would render during its very first workout."""
    texts = sorted(_first_workout(press_after, ended_early=ended_early))
    voice = _voice(tmp_path / "own", package_folder, VoiceSettings.of(Settings()))
    try:
        voice.prepare(texts)
        assert voice.wait_until_prepared(timeout=WAIT)
        found = {text: voice.cached_audio(text) for text in texts}
    finally:
        voice.close()
    rendered = [text for text, path in found.items() if Path(path or "").parent != package_folder]
    assert rendered == []
