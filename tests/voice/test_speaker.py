"""The voice: real espeak-ng renders through pyttsx3, and the speaking rules around them.

The rules (a press cuts in at once, timed cues wait, failures are logged once)
are driven with a renderer that writes a small WAV and a player that records
what it was asked to play and ends each line when the test says so.
"""

from __future__ import annotations

import array
import logging
import math
import shutil
import sys
import threading
import wave
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from device.events import Line
from device.voice import tts as tts
from device.voice.cache import WavCache, is_playable_wav
from device.voice.player import NullPlayer, PlayerError
from device.voice.speaker import Voice, cached_renderer
from device.voice.tts import Pyttsx3Renderer, RenderError, VoiceSettings

WAIT = 5.0  # seconds; a bound for things that take milliseconds


def _espeak_missing() -> bool:
    if shutil.which("espeak-ng") is None:
        return True
    try:
        import pyttsx3.drivers._espeak  # noqa: F401
    except Exception:
        return True
    return False


needs_espeak = pytest.mark.skipif(_espeak_missing(), reason="espeak-ng is not installed")

LONG_LINE = (
    "Lie on your back with your knees bent and your feet flat on the mat. Breathe out and "
    "press the small of your back gently down, keep your shoulders soft and your chin "
    "tucked, hold it while you count to five, then let go slowly and rest for a moment "
    "before you start the next one with the same calm and steady breathing."
)


def frames_and_rms(path: Path) -> tuple[int, float]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = array.array("h", wav.readframes(wav.getnframes()))
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return len(samples), rms


def write_wav(path: Path, frames: int = 2205) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes((2500).to_bytes(2, "little", signed=True) * frames)


class FakeRenderer:
    """Writes a short tone for any line; can be told to fail, or to hang until released."""

    version = "fake 1"

    def __init__(self) -> None:
        self.rendered: list[tuple[str, VoiceSettings]] = []
        self.fail = False
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(timeout=30)
        if self.fail:
            raise RenderError("the engine is broken")
        write_wav(target)
        self.rendered.append((text, settings))

    def voices(self) -> list[tuple[str, str]]:
        return [("gmw/en", "English (Great Britain)"), ("gmw/en-us", "English (America)")]


class FakePlayback:
    def __init__(self, path: str) -> None:
        self.path = path
        self.stopped = False
        self.problem: str | None = None
        self._ended = threading.Event()

    def wait(self) -> str | None:
        self._ended.wait()
        return self.problem

    def stop(self) -> None:
        self.stopped = True
        self._ended.set()

    def finish(self, problem: str | None = None) -> None:
        self.problem = problem
        self._ended.set()


class RecordingPlayer:
    """Remembers every playback; each plays until the test finishes or the voice stops it."""

    def __init__(self) -> None:
        self.playbacks: list[FakePlayback] = []
        self.fail = False
        self._changed = threading.Condition()

    def start(self, path: str) -> FakePlayback:
        if self.fail:
            raise PlayerError("no sound card")
        playback = FakePlayback(path)
        with self._changed:
            self.playbacks.append(playback)
            self._changed.notify_all()
        return playback

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.playbacks]

    def wait_for(self, count: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: len(self.playbacks) >= count, WAIT)


class Rig:
    def __init__(self, cache_dir: Path, *, render_timeout: float = WAIT) -> None:
        self.cache_dir = cache_dir
        self.renderer = FakeRenderer()
        self.player = RecordingPlayer()
        self.echoed: list[str] = []
        self.voice = Voice(
            cache_dir,
            renderer=self.renderer,
            player=self.player,
            echo=self.echoed.append,
            render_timeout=render_timeout,
        )

    def audio(self, text: str, settings: VoiceSettings | None = None) -> str:
        """Where the voice keeps the audio of ``text``."""
        cache = WavCache(self.cache_dir)
        version = cached_renderer(FakeRenderer()).version
        return str(cache.path_for(text, settings or VoiceSettings(), version))

    def warm(self, *texts: str) -> None:
        self.voice.prepare(texts)
        assert self.voice.wait_until_prepared(WAIT)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    try:
        yield rig
    finally:
        if rig.renderer.gate is not None:
            rig.renderer.gate.set()
        rig.voice.close()


def voice_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("device.")
    ]


def the_one_warning(caplog: pytest.LogCaptureFixture) -> str:
    warnings = voice_warnings(caplog)
    assert len(warnings) == 1, warnings
    return warnings[0]


# --- a real espeak-ng through pyttsx3 ---------------------------------------------------


@needs_espeak
def test_espeak_renders_a_line_that_holds_audio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "line.wav"
    Pyttsx3Renderer().render("Press the button to start.", VoiceSettings(), target)
    frames, rms = frames_and_rms(target)
    assert frames > 22050 // 2  # more than half a second of speech
    assert rms > 300  # not silence
    assert "Audio saved" not in capsys.readouterr().out  # stdout carries spoken lines only


@needs_espeak
def test_espeak_renders_each_line_not_the_one_before(tmp_path: Path) -> None:
    renderer = Pyttsx3Renderer()
    short, long, again = tmp_path / "a.wav", tmp_path / "b.wav", tmp_path / "c.wav"
    renderer.render("Rest.", VoiceSettings(), short)
    renderer.render(LONG_LINE, VoiceSettings(), long)
    renderer.render("Rest.", VoiceSettings(), again)
    # espeak-ng varies its intonation a little from run to run (after a long sentence a
    # short word came out 6 % longer), so compare lengths: the one before is ten times it.
    assert frames_and_rms(again)[0] == pytest.approx(frames_and_rms(short)[0], rel=0.15)
    assert frames_and_rms(long)[0] > 10 * frames_and_rms(short)[0]


@needs_espeak
def test_espeak_follows_rate_and_volume_whichever_renderer_asks(tmp_path: Path) -> None:
    # Two renderers share the process's one espeak-ng: neither may assume the
    # settings it sent last are still in force.
    first, second = Pyttsx3Renderer(), Pyttsx3Renderer()
    text = "Breathe out slowly and lower your knees."
    results = {}
    for name, renderer, settings in [
        ("slow", first, VoiceSettings(rate=80)),
        ("fast", second, VoiceSettings(rate=300)),
        ("slow again", first, VoiceSettings(rate=80)),
        ("quiet", second, VoiceSettings(volume=0.2)),
        ("loud", first, VoiceSettings()),
    ]:
        renderer.render(text, settings, tmp_path / f"{name}.wav")
        results[name] = frames_and_rms(tmp_path / f"{name}.wav")
    assert results["slow"][0] > 2 * results["fast"][0]
    assert results["slow again"][0] > 2 * results["fast"][0]
    assert results["quiet"][1] < 0.5 * results["loud"][1]


@needs_espeak
def test_espeak_speaks_an_unknown_voice_in_the_default_one_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    renderer = Pyttsx3Renderer()
    text = "Set one of three. Breathe out and press the button."
    lengths = {}
    # German reads English text audibly longer; espeak-ng keeps the last voice
    # when it refuses one, so a fallback that failed would sound German.
    for name, voice_id in [("german", "de"), ("unknown", "zz-nope"), ("default", "")]:
        renderer.render(text, VoiceSettings(voice_id=voice_id), tmp_path / f"{name}.wav")
        lengths[name] = frames_and_rms(tmp_path / f"{name}.wav")[0]
    renderer.render(text, VoiceSettings(voice_id="de"), tmp_path / "german.wav")
    renderer.render(text, VoiceSettings(voice_id="zz-nope"), tmp_path / "again.wav")
    again = frames_and_rms(tmp_path / "again.wav")[0]
    for unknown in (lengths["unknown"], again):
        assert unknown == pytest.approx(lengths["default"], rel=0.03)
        assert unknown < 0.96 * lengths["german"]
    the_one_warning(caplog)


@needs_espeak
def test_espeak_lists_installed_voices() -> None:
    voices = dict(Pyttsx3Renderer().voices())
    assert any(name.startswith("English") for name in voices.values())
    assert "gmw/en-us" in voices


@needs_espeak
def test_a_voice_speaks_from_a_real_render_then_from_the_cache(tmp_path: Path) -> None:
    player = RecordingPlayer()
    voice = Voice(tmp_path, player=player)
    try:
        voice.speak([Line("Hold for thirty seconds.", interrupt=True)])
        assert player.wait_for(1)
        path = Path(player.paths[0])
        assert path.parent == tmp_path
        assert is_playable_wav(path)
        assert frames_and_rms(path)[1] > 300
        player.playbacks[0].finish()
        assert voice.wait_until_quiet(WAIT)
        voice.speak([Line("Hold for thirty seconds.", interrupt=True)])
        # Cached: the player started inside speak(), with the same file.
        assert player.paths == [str(path), str(path)]
    finally:
        voice.close()


def test_without_pyttsx3_lines_are_still_echoed_and_one_warning_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pyttsx3", None)  # import pyttsx3 now fails
    monkeypatch.setattr(tts, "_sessions", [])  # as in a process that has not spoken yet
    echoed: list[str] = []
    # In this process, where the import fails (the engine's own process is tested apart).
    voice = Voice(tmp_path, renderer=tts.Pyttsx3Renderer(), player=NullPlayer(), echo=echoed.append)
    try:
        voice.speak([Line("Ready.", interrupt=True), Line("Press to start.")])
        voice.speak([Line("Set one.")])
        assert voice.wait_until_quiet(WAIT)
        assert echoed == ["Ready.", "Press to start.", "Set one."]
        assert voice.degraded
        assert voice.voices() == []
        warnings = voice_warnings(caplog)
        assert len(warnings) == 2  # one for speaking, one for listing voices
        assert "pyttsx3 with espeak-ng is not available" in warnings[0]
    finally:
        voice.close()


# --- speaking rules ---------------------------------------------------------------------


def test_a_press_starts_its_cached_answer_inside_speak(rig: Rig) -> None:
    rig.warm("Rep four.", "Rep five.")
    rendered = len(rig.renderer.rendered)
    rig.voice.speak([Line("Rep four.", interrupt=True), Line("Rep five.")])
    assert rig.player.paths == [rig.audio("Rep four.")]
    assert rig.echoed == ["Rep four."]
    assert len(rig.renderer.rendered) == rendered
    rig.player.playbacks[0].finish()
    assert rig.player.wait_for(2)
    assert rig.player.paths[1] == rig.audio("Rep five.")
    rig.player.playbacks[1].finish()
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Rep four.", "Rep five."]


def test_a_press_cuts_the_line_short_and_drops_the_queue(rig: Rig) -> None:
    rig.warm("Set two.", "Left side.", "Ten reps.", "Skipping ahead.")
    rig.voice.speak([Line("Set two.", interrupt=True), Line("Left side."), Line("Ten reps.")])
    first = rig.player.playbacks[0]
    rig.voice.speak([Line("Skipping ahead.", interrupt=True)])
    assert first.stopped
    assert rig.player.paths == [rig.audio("Set two."), rig.audio("Skipping ahead.")]
    rig.player.playbacks[1].finish()
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Set two.", "Skipping ahead."]
    assert len(rig.player.playbacks) == 2


def test_timed_cues_wait_for_the_sentence_in_progress(rig: Rig) -> None:
    rig.warm("Hold for thirty seconds.", "Halfway.", "Three.")
    rig.voice.speak([Line("Hold for thirty seconds.", interrupt=True)])
    rig.voice.speak([Line("Halfway.")])
    rig.voice.speak([Line("Three.")])
    assert len(rig.player.playbacks) == 1
    assert not rig.player.playbacks[0].stopped
    assert rig.voice.is_speaking()
    rig.player.playbacks[0].finish()
    assert rig.player.wait_for(2)
    assert rig.player.paths[1] == rig.audio("Halfway.")
    rig.player.playbacks[1].finish()
    assert rig.player.wait_for(3)
    rig.player.playbacks[2].finish()
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Hold for thirty seconds.", "Halfway.", "Three."]
    assert not any(p.stopped for p in rig.player.playbacks)


def test_a_timed_cue_starts_at_once_when_nothing_is_said(rig: Rig) -> None:
    rig.warm("Rest is over.")
    rig.voice.speak([Line("Rest is over.")])
    assert rig.player.paths == [rig.audio("Rest is over.")]


def test_stop_silences_and_forgets_the_queue(rig: Rig) -> None:
    rig.warm("Paused.", "Press to resume.")
    rig.voice.speak([Line("Paused.", interrupt=True), Line("Press to resume.")])
    rig.voice.stop()
    assert rig.player.playbacks[0].stopped
    assert not rig.voice.is_speaking()
    assert rig.voice.wait_until_quiet(0)
    assert len(rig.player.playbacks) == 1
    assert rig.echoed == ["Paused."]


def test_blank_lines_are_skipped(rig: Rig) -> None:
    rig.warm("Go.")
    rig.voice.speak([Line("  ", interrupt=True), Line("Go.")])
    assert rig.player.paths == [rig.audio("Go.")]
    assert rig.echoed == ["Go."]


def test_a_line_not_in_the_cache_is_rendered_on_demand_before_background_work(rig: Rig) -> None:
    rig.renderer.gate = threading.Event()
    rig.voice.prepare(["Bridge.", "Bird dog.", "Cat cow."])
    assert rig.renderer.entered.wait(WAIT)  # "Bridge." is rendering and held there
    rig.voice.speak([Line("You finished four exercises.", interrupt=True)])
    assert rig.echoed == ["You finished four exercises."]  # shown at once, heard once rendered
    assert rig.player.paths == []
    rig.renderer.gate.set()
    assert rig.player.wait_for(1)
    assert rig.player.paths == [rig.audio("You finished four exercises.")]
    assert rig.voice.wait_until_prepared(WAIT)
    assert [text for text, _ in rig.renderer.rendered] == [
        "Bridge.",
        "You finished four exercises.",
        "Bird dog.",
        "Cat cow.",
    ]


def test_queued_lines_are_rendered_while_the_first_plays(rig: Rig) -> None:
    rig.warm("Set one.")
    rig.voice.speak([Line("Set one.", interrupt=True), Line("Twelve minutes taken.")])
    assert rig.voice.wait_until_prepared(WAIT)
    assert [text for text, _ in rig.renderer.rendered][-1] == "Twelve minutes taken."
    rig.player.playbacks[0].finish()
    assert rig.player.wait_for(2)
    assert rig.player.paths[1] == rig.audio("Twelve minutes taken.")


def test_new_settings_render_the_prepared_lines_again(rig: Rig) -> None:
    rig.warm("Go.")
    slower = VoiceSettings(voice_id="gmw/en-us", rate=120, volume=0.5)
    rig.voice.configure(slower)
    assert rig.voice.wait_until_prepared(WAIT)
    # The engine always renders at full volume: the volume is applied when levelling.
    assert rig.renderer.rendered == [("Go.", VoiceSettings()), ("Go.", replace(slower, volume=1))]
    rig.voice.speak([Line("Go.", interrupt=True)])
    assert rig.player.paths == [rig.audio("Go.", slower)]
    assert rig.audio("Go.", slower) != rig.audio("Go.")


def test_after_a_settings_change_the_old_audio_plays_until_the_new_is_whole(
    rig: Rig,
) -> None:
    rig.warm("Go.")
    old = rig.audio("Go.")
    slower = VoiceSettings(rate=120)
    half_written: list[Path] = []

    def render_half_then_wait(text: str, settings: VoiceSettings, target: Path) -> None:
        write_wav(target, frames=22050)
        target.write_bytes(target.read_bytes()[:20000])  # the new render, half written
        half_written.append(target)
        rig.renderer.entered.set()
        assert rig.renderer.gate is not None
        rig.renderer.gate.wait(timeout=30)
        write_wav(target)
        rig.renderer.rendered.append((text, settings))

    rig.renderer.gate = threading.Event()
    rig.renderer.entered.clear()
    rig.renderer.render = render_half_then_wait  # type: ignore[method-assign]
    rig.voice.configure(slower)
    assert rig.renderer.entered.wait(WAIT)
    rig.voice.speak([Line("Go.", interrupt=True)])
    assert rig.player.paths == [old]  # the old audio, whole
    assert is_playable_wav(Path(old))
    assert half_written and not is_playable_wav(half_written[0])
    rig.renderer.gate.set()
    assert rig.voice.wait_until_prepared(WAIT)
    rig.voice.speak([Line("Go.", interrupt=True)])
    assert rig.player.paths[-1] == rig.audio("Go.", slower) != old


def test_a_failing_renderer_is_logged_once_and_lines_are_still_echoed(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.renderer.fail = True
    rig.voice.speak([Line("Ready.", interrupt=True), Line("Press to start.")])
    rig.voice.speak([Line("Set one.", interrupt=True)])
    assert rig.voice.wait_until_quiet(WAIT)
    rig.voice.speak([Line("Set two.")])
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed[0] == "Ready." and rig.echoed[-2:] == ["Set one.", "Set two."]
    assert rig.player.playbacks == []
    assert rig.voice.degraded
    assert "the engine is broken" in the_one_warning(caplog)


def test_a_hanging_render_times_out_without_holding_anyone_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rig = Rig(tmp_path, render_timeout=0.2)
    try:
        rig.warm("Rest.")
        rig.renderer.gate = threading.Event()
        rig.renderer.entered.clear()
        rig.voice.speak([Line("Ten seconds left.", interrupt=True), Line("Five.")])
        # speak() returned while the render is stuck: nobody waits for it.
        assert rig.renderer.entered.wait(WAIT)
        assert not rig.renderer.gate.is_set()
        assert rig.voice.wait_until_quiet(WAIT)
        assert rig.echoed == ["Ten seconds left.", "Five."]
        assert rig.voice.degraded
        # Cached lines still play while the engine is stuck; new ones are shown only.
        rig.voice.speak([Line("Rest.", interrupt=True), Line("Four.")])
        assert rig.player.paths == [rig.audio("Rest.")]
        rig.player.playbacks[0].finish()
        assert rig.voice.wait_until_quiet(WAIT)
        assert rig.echoed[-2:] == ["Rest.", "Four."]
        assert "took more than 0.2 s" in the_one_warning(caplog)
    finally:
        assert rig.renderer.gate is not None
        rig.renderer.gate.set()
        rig.voice.close()


def test_renders_work_again_after_a_hang_ends(tmp_path: Path) -> None:
    rig = Rig(tmp_path, render_timeout=0.2)
    try:
        rig.renderer.gate = threading.Event()
        rig.voice.speak([Line("Stuck.", interrupt=True)])
        assert rig.voice.wait_until_quiet(WAIT)
        rig.renderer.gate.set()  # the engine answers at last
        assert rig.voice.wait_until_prepared(WAIT)
        rig.voice.speak([Line("Unstuck.", interrupt=True)])
        assert rig.player.wait_for(1)
        assert rig.player.paths == [rig.audio("Unstuck.")]
    finally:
        rig.voice.close()


def test_a_player_that_cannot_start_is_logged_once_and_lines_are_echoed(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.warm("Ready.", "Press to start.", "Set one.")
    rig.player.fail = True
    rig.voice.speak([Line("Ready.", interrupt=True), Line("Press to start.")])
    rig.voice.speak([Line("Set one.")])
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Ready.", "Press to start.", "Set one."]
    assert "no sound card" in the_one_warning(caplog)


def test_a_sound_device_failing_mid_line_is_logged_once_and_speech_goes_on(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.warm("One.", "Two.", "Three.")
    rig.voice.speak([Line("One.", interrupt=True), Line("Two."), Line("Three.")])
    for count in (1, 2, 3):
        assert rig.player.wait_for(count)
        rig.player.playbacks[count - 1].finish(problem="aplay failed: device unplugged")
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["One.", "Two.", "Three."]
    assert "device unplugged" in the_one_warning(caplog)


def test_voices_come_from_the_renderer(rig: Rig) -> None:
    assert ("gmw/en-us", "English (America)") in rig.voice.voices()


def test_close_silences_and_later_lines_are_ignored(rig: Rig) -> None:
    rig.warm("Well done.")
    rig.voice.speak([Line("Well done.", interrupt=True)])
    rig.voice.close()
    assert rig.player.playbacks[0].stopped
    rig.voice.speak([Line("Well done.", interrupt=True)])
    assert len(rig.player.playbacks) == 1
    assert not rig.voice.is_speaking()


# --- timed lines on time ----------------------------------------------------------------


class StepClock:
    """The engine's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timed_rig(tmp_path: Path) -> Iterator[tuple[Rig, StepClock]]:
    clock = StepClock()
    rig = Rig(tmp_path)
    rig.voice.close()
    rig.voice = Voice(
        tmp_path, renderer=rig.renderer, player=rig.player, echo=rig.echoed.append, clock=clock
    )
    try:
        yield rig, clock
    finally:
        rig.voice.close()


def test_a_cue_more_than_a_second_late_is_dropped_but_a_rest_end_is_always_said(
    timed_rig: tuple[Rig, StepClock],
) -> None:
    rig, clock = timed_rig
    rig.warm("Keep your back long.", "3", "2", "Set two.")
    rig.voice.speak([Line("Keep your back long.", interrupt=True)])  # a repeat, mid-rest
    rig.voice.speak([Line("3", due=101.0)])
    rig.voice.speak([Line("2", due=1002.0)], now=1000.0)  # due in 2 s, on a clock 900 s ahead
    clock.now = 102.8  # the repeat ends: "3" is 1.8 s late, "2" only 0.8 s
    rig.player.playbacks[0].finish()
    assert rig.player.wait_for(2)
    assert rig.player.paths[1] == rig.audio("2")
    rig.voice.speak([Line("Set two.", due=103.0, keep=True)])
    clock.now = 104.5
    rig.player.playbacks[1].finish()
    assert rig.player.wait_for(3)
    assert rig.player.paths[2] == rig.audio("Set two.")  # 1.5 s late, and said
    rig.player.playbacks[2].finish()
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Keep your back long.", "2", "Set two."]
    assert not any(p.stopped for p in rig.player.playbacks)  # no timed line cut one short


def test_the_end_of_a_rest_drops_what_a_repeat_still_had_to_say(
    timed_rig: tuple[Rig, StepClock],
) -> None:
    rig, _ = timed_rig
    rig.warm("Resting.", "Next up: bridges.", "Bring a mat.", "Exercise 2.", "Get ready.")
    rig.voice.speak(
        [Line("Resting.", interrupt=True), Line("Next up: bridges."), Line("Bring a mat.")]
    )
    rig.voice.speak(
        [Line("Exercise 2.", due=100.0, keep=True), Line("Get ready.", due=100.0, keep=True)]
    )
    assert not rig.player.playbacks[0].stopped  # the sentence in progress finishes
    rig.player.playbacks[0].finish()
    assert rig.player.wait_for(2)
    rig.player.playbacks[1].finish()
    assert rig.player.wait_for(3)
    rig.player.playbacks[2].finish()
    assert rig.voice.wait_until_quiet(WAIT)
    assert rig.echoed == ["Resting.", "Exercise 2.", "Get ready."]
