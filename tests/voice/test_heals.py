"""The voice heals itself: a hung engine is killed and the line tried again; a full disk
pauses rendering, frees what the cache may free, and rendering resumes once writes work.

Real espeak-ng in its own process, real WAV files, and for the full disk a real tmpfs
(mounted by the test; it needs root, which CI has).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

import pytest

from device.events import Line
from device.voice.cache import WavCache, is_playable_wav
from device.voice.player import NullPlayer
from device.voice.render_process import ProcessRenderer, RenderTimeout
from device.voice.speaker import Voice, VoiceProblem
from device.voice.tts import RenderError, VoiceSettings
from tests.small_disk import fill, small_disk

pytestmark = pytest.mark.attack

WAIT = 30.0  # a bound for what takes milliseconds; only a broken voice takes this long
NONE = VoiceProblem("", restart_helps=True)
LINES = [f"Set {n} of twelve. Ten slow reps, then rest." for n in range(1, 13)]


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """True as soon as ``condition`` holds (the voice's threads make it so), else at timeout."""
    tick = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        tick.wait(0.02)
    return condition()


def cached(cache: WavCache, voice: Voice, texts: list[str], settings: VoiceSettings) -> int:
    version = voice.renderer.version
    return sum(is_playable_wav(cache.path_for(t, settings, version)) for t in texts)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_hung_render_is_killed_and_the_line_tried_again(tmp_path):
    marker = tmp_path / "hung-once"
    renderer = ProcessRenderer(
        timeout=2.0, command=[sys.executable, "-m", "tests.stuck_engine", str(marker)]
    )
    printed: list[str] = []
    voice = Voice(
        tmp_path / "cache",
        renderer=renderer,
        player=NullPlayer(),
        echo=printed.append,
        render_timeout=WAIT,
        retry_first=0.05,
    )
    try:
        voice.speak([Line("Hold for thirty seconds.", interrupt=True)])
        assert eventually(marker.exists)
        hung_pid = renderer.pid
        assert hung_pid is not None
        # The line is not held up by the hang: it is printed at once, then heard once healed.
        assert printed == ["Hold for thirty seconds."]
        assert eventually(lambda: not alive(hung_pid)), "the hung engine was killed"
        cache = WavCache(tmp_path / "cache")
        assert eventually(
            lambda: cached(cache, voice, ["Hold for thirty seconds."], VoiceSettings()) == 1
        )
        assert renderer.starts == 2
        assert voice.health() is None
    finally:
        voice.close()


@pytest.mark.slow
def test_a_render_past_its_time_in_a_thread_can_still_be_aborted(tmp_path):
    marker = tmp_path / "hung-once"
    renderer = ProcessRenderer(
        timeout=WAIT, command=[sys.executable, "-m", "tests.stuck_engine", str(marker)]
    )
    # The render queue's own watchdog (a shorter limit) kills the engine's process.
    voice = Voice(
        tmp_path / "cache",
        renderer=renderer,
        player=NullPlayer(),
        render_timeout=1.0,
        retry_first=0.05,
    )
    try:
        # Started first, so the limit times only the hung render and not a start-up that a
        # loaded machine can make longer than a second.
        assert renderer.version.startswith("pyttsx3")
        voice.prepare(["Ten reps."])
        # Healed well before the engine's own limit (WAIT) could have ended the render.
        assert eventually(lambda: renderer.starts == 2 and voice.health() is None, WAIT / 3)
        assert eventually(
            lambda: cached(WavCache(tmp_path / "cache"), voice, ["Ten reps."], VoiceSettings()) == 1
        )
    finally:
        voice.close()


def test_an_abort_while_the_engine_starts_is_not_held_against_the_next_start(tmp_path):
    # A start that takes a while (a loaded Pi): the render queue's watchdog may give up
    # on the line before the engine has answered at all.
    slow_start = (
        "import time; time.sleep(1.5); from device.voice import render_child; render_child.main()"
    )
    renderer = ProcessRenderer(timeout=WAIT, command=[sys.executable, "-c", slow_start])
    failed: list[BaseException] = []

    def render() -> None:
        try:
            renderer.render("Ten reps.", VoiceSettings(), tmp_path / "first.wav")
        except RenderError as err:
            failed.append(err)

    try:
        first = threading.Thread(target=render)
        first.start()
        assert eventually(lambda: renderer.pid is not None)
        renderer.abort()
        first.join(WAIT)
        assert isinstance(failed[0], RenderTimeout)
        # The next line starts a fresh engine at once instead of being refused for a while.
        renderer.render("Ten reps.", VoiceSettings(), tmp_path / "second.wav")
        assert is_playable_wav(tmp_path / "second.wav")
        assert renderer.starts == 2
    finally:
        renderer.close()


@pytest.mark.slow
def test_a_full_disk_pauses_rendering_and_it_resumes_when_space_returns(tmp_path, caplog):
    with small_disk(tmp_path / "disk", "4m") as disk:
        cache = WavCache(disk / "cache")
        voice = Voice(disk / "cache", player=NullPlayer(), retry_first=0.05, space_first=0.05)
        try:
            assert voice.renderer.version.startswith("pyttsx3")
            filler = fill(disk)
            with caplog.at_level(logging.WARNING):
                voice.prepare(LINES)
                assert eventually(
                    lambda: (voice.health() or NONE).text == "paused, the disk is full"
                )
                # A line asked for meanwhile is printed at once, never waited for.
                voice.speak([Line("Rest now.", interrupt=True)])
                assert voice.wait_until_quiet(WAIT)
                filler.unlink()
                assert eventually(lambda: cached(cache, voice, LINES, VoiceSettings()) == 12)
            assert voice.health() is None
            assert "speech rendering is paused" in caplog.text
            assert "carries on" in caplog.text
            # After the fault, a change of voice renders every line again (it was 0 of 75).
            faster = VoiceSettings(rate=200)
            voice.configure(faster)
            voice.prepare(LINES)
            assert eventually(lambda: cached(cache, voice, LINES, faster) == 12)
            assert not list(disk.glob("cache/*.part"))
        finally:
            voice.close()


@pytest.mark.slow
def test_a_full_disk_frees_what_the_routine_does_not_need(tmp_path):
    with small_disk(tmp_path / "disk", "16m") as disk:
        cache = WavCache(disk / "cache")
        # Longer lines than the new routine's, so what they free is enough for it.
        other_routine = [
            f"Another routine, move {n}: lie on your side, lift the top leg slowly, "
            "hold it for a breath, and lower it again without letting it drop."
            for n in range(1, 13)
        ]
        voice = Voice(disk / "cache", player=NullPlayer(), retry_first=0.05, space_first=0.05)
        try:
            # The setting: another routine fully cached. (espeak-ng now and then writes an
            # empty line; a line that failed all its retries is asked for again here.)
            for _ in range(3):
                voice.prepare(other_routine)
                voice.wait_until_prepared(WAIT)
                if cached(cache, voice, other_routine, VoiceSettings()) == 12:
                    break
            assert cached(cache, voice, other_routine, VoiceSettings()) == 12
            fill(disk)
            voice.prepare(LINES)  # the routine changed: the other one's lines are not needed
            # Nobody freed anything by hand: the old routine's audio made room for the new.
            # (Each render that meets the full disk hangs espeak-ng until it is killed.)
            assert eventually(lambda: cached(cache, voice, LINES, VoiceSettings()) == 12, 120)
            assert cached(cache, voice, other_routine, VoiceSettings()) < 12
            voice.speak([Line(LINES[0], interrupt=True)])  # and it plays from the cache
            assert voice.wait_until_quiet(WAIT)
            assert not voice.degraded or voice.health() is None
        finally:
            voice.close()
