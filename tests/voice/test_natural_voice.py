"""The voice with the natural engine chosen: lines known ahead are rendered naturally into the
same cache and played from then on; a line without natural audio is spoken at once in the
classic voice; a natural engine that is missing, crashes or hangs leaves the classic voice
speaking every line, with one warning.

The classic engine is a tone writer and the natural one the real worker process
(hibari-tts), or the real worker broken on purpose. Which voice a played file is in is
told by its name in the cache, which is a hash of the line, the settings and the engine.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.events import Line
from device.voice.cache import WavCache
from device.voice.levelling import LevelledRenderer
from device.voice.loudness import CEILING_DBFS, TARGET_LUFS, integrated_loudness, peak_dbfs
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.speaker import Voice, cached_renderer
from device.voice.tts import VoiceSettings
from device.voice.wav_samples import read_wav
from tests.dummy_voice import HeldPlayer, ToneRenderer

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # a bound for a worker's start and a few renders; met in about a second
LINES = ["Set 1 of 3.", "Switch to the right side."]
CLASSIC = "classic"
NATURAL = "natural"
needs_engine = pytest.mark.skipif(
    not natural_installed(), reason="the natural-voice extra (hibari-tts) is not installed"
)


def broken_worker(render_body: str = "", setup: str = "") -> list[str]:
    """The real worker program, with its engine replaced or its package hidden."""
    engine = (
        "import device.voice.natural_worker as w\n"
        "class Engine:\n"
        "    version = 'broken'\n"
        "    rate = 22050\n"
        "    def __init__(self, tables):\n"
        "        pass\n"
        "    def render(self, text, speed, volume, rate, target):\n"
        f"        {render_body}\n"
        "w._Engine = Engine\n"
    )
    code = f"import os, sys, time\n{setup}\n{engine if render_body else ''}\n"
    code += "from device.voice.natural_worker import main\nsys.exit(main())\n"
    return [sys.executable, "-c", code]


@pytest.fixture(autouse=True)
def importable_from_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


@pytest.fixture
def player() -> HeldPlayer:
    return HeldPlayer()


def make_voice(tmp_path: Path, player: HeldPlayer, natural: NaturalRenderer | None) -> Voice:
    return Voice(tmp_path / "cache", renderer=ToneRenderer(), player=player, natural=natural)


@pytest.fixture
def voices() -> Iterator[list[Voice]]:
    made: list[Voice] = []
    yield made
    for voice in made:
        voice.close()


def voice_of(cache: Path, text: str, path: str) -> str:
    """Which engine's file for ``text`` ``path`` is."""
    names = {
        str(WavCache(cache).path_for(text, VoiceSettings(), version)): engine
        for engine, version in (
            # The classic voice's files are levelled (and tones made) on their way in.
            (CLASSIC, cached_renderer(ToneRenderer()).version),
            (NATURAL, LevelledRenderer(NaturalRenderer()).version),
        )
    }
    return names.get(path, f"neither: {path}")


def say(voice: Voice, player: HeldPlayer, text: str) -> str:
    """Speak one line, let it end, and return which voice was played."""
    count = len(player.playbacks) + 1
    voice.speak([Line(text, interrupt=True)])
    assert player.wait_for(count, timeout=WAIT)
    playback = player.playbacks[count - 1]
    playback.finish()
    assert voice.wait_until_quiet(WAIT)
    return voice_of(voice._cache.directory, text, playback.path)


@pytest.fixture
def natural_voice(tmp_path: Path, player: HeldPlayer, voices: list[Voice]) -> Voice:
    """A voice with the real natural engine chosen and LINES rendered in both voices."""
    voice = make_voice(tmp_path, player, NaturalRenderer())
    voices.append(voice)
    voice.use_natural(True)
    voice.prepare(LINES)
    assert voice.wait_until_prepared(WAIT) and voice.wait_until_natural(WAIT)
    return voice


@needs_engine
def test_lines_known_ahead_play_in_the_natural_voice_once_rendered(
    tmp_path: Path, player: HeldPlayer, natural_voice: Voice
) -> None:
    assert [say(natural_voice, player, text) for text in LINES] == [NATURAL, NATURAL]
    # Both voices' files are in the one cache, beside the tick that answers a press.
    assert len(list((tmp_path / "cache").glob("*.wav"))) == 4 + 1
    # Back to the classic voice: the classic files play again.
    natural_voice.use_natural(False)
    assert say(natural_voice, player, LINES[0]) == CLASSIC


@needs_engine
def test_natural_lines_are_cached_at_the_same_loudness_as_classic_ones(
    player: HeldPlayer, natural_voice: Voice
) -> None:
    # hibari-tts writes its lines some 10 LU under the target; the cache keeps them levelled.
    for text in LINES:
        assert say(natural_voice, player, text) == NATURAL
        audio = read_wav(Path(player.playbacks[-1].path))
        assert integrated_loudness(audio.channels, audio.rate) == pytest.approx(
            TARGET_LUFS, abs=1.0
        ), text
        assert peak_dbfs(audio.channels) <= CEILING_DBFS, text


@pytest.mark.slow
def test_a_line_not_yet_rendered_naturally_is_spoken_at_once_in_the_classic_voice(
    tmp_path: Path, player: HeldPlayer, voices: list[Voice]
) -> None:
    # The natural worker is busy on the line (it never finishes): nobody waits for it.
    voice = make_voice(tmp_path, player, NaturalRenderer(command=broken_worker("time.sleep(3600)")))
    voices.append(voice)
    voice.use_natural(True)
    voice.prepare(LINES)
    assert voice.wait_until_prepared(WAIT)
    assert not voice.wait_until_natural(0.1)  # still rendering the first line
    assert say(voice, player, LINES[0]) == CLASSIC


@pytest.mark.parametrize(
    ("worker", "problem"),
    [
        (broken_worker(setup="sys.modules['hibari'] = None"), "hibari-tts is not installed"),
        (broken_worker("os.abort()"), "the natural voice stopped (exit status -6"),
        (broken_worker("time.sleep(3600)"), "took more than 0.5 s"),
    ],
    ids=["missing", "crashing", "hanging"],
)
def test_a_broken_natural_voice_leaves_the_classic_one_speaking_and_warns_once(
    tmp_path: Path,
    player: HeldPlayer,
    voices: list[Voice],
    caplog: pytest.LogCaptureFixture,
    worker: list[str],
    problem: str,
) -> None:
    caplog.set_level(logging.WARNING)
    voice = make_voice(
        tmp_path, player, NaturalRenderer(command=worker, line_timeout=0.5, first_line_timeout=0.5)
    )
    voices.append(voice)
    voice.use_natural(True)
    voice.prepare(LINES)
    assert voice.wait_until_natural(WAIT)  # every natural render has been tried, and failed
    assert [say(voice, player, text) for text in LINES * 2] == [CLASSIC] * 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert problem in warnings[0] and "the classic voice speaks instead" in warnings[0]
    assert not voice.degraded  # the voice itself is fine


def test_choosing_natural_without_it_installed_warns_once_and_stays_classic(
    tmp_path: Path, player: HeldPlayer, voices: list[Voice], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    voice = make_voice(tmp_path, player, None)
    voices.append(voice)
    voice.use_natural(True)
    voice.use_natural(True)
    voice.prepare(LINES)
    assert say(voice, player, LINES[0]) == CLASSIC
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["the natural voice is not installed; the classic voice speaks"]


def test_without_the_natural_engine_chosen_no_worker_is_started(
    tmp_path: Path, player: HeldPlayer, voices: list[Voice]
) -> None:
    # A worker that would fail loudly if it were ever asked for a line.
    natural = NaturalRenderer(command=[str(tmp_path / "never-run")])
    voice = make_voice(tmp_path, player, natural)
    voices.append(voice)
    voice.prepare(LINES)
    assert voice.wait_until_prepared(WAIT) and voice.wait_until_natural(WAIT)
    assert say(voice, player, LINES[0]) == CLASSIC
    assert natural._worker is None and natural._failures == 0
