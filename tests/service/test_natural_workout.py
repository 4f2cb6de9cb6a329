"""A whole workout of the shipped routine with the natural voice chosen, in the real daemon:
once its lines are rendered, every line plays in the natural voice, from the safety line
to the summary and the week's count, whose words are only known as the workout goes and
which are rendered as soon as they are. And the routine's lines reach the voice in the
order a workout needs them, so the slow natural voice renders first what is heard first.

Real store, engine, voice, cache and natural worker (hibari-tts); the classic engine is a
tone writer and the speaker a recorder. Which voice a played file is in is told by its
name in the cache, a hash of the line, the settings and the engine.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from device.engine import phrases
from device.engine.preview import planned_lines, preview_script, routine_lines
from device.events import Action, State
from device.service.pairing import FIXED_STEPS
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.cache import WavCache
from device.voice.levelling import LevelledRenderer
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.speaker import Voice, cached_renderer
from device.voice.tts import VoiceSettings
from routines.store import Store
from tests.checkin_support import without_checkins
from tests.dummy_voice import ToneRenderer

ROOT = Path(__file__).resolve().parents[2]
MAX_PRESSES = 500
NATURAL_FILL = 400.0  # seconds: a bound for the worker to render the lines it is given

needs_engine = pytest.mark.skipif(
    not natural_installed(), reason="the natural-voice extra (hibari-tts) is not installed"
)


class _Ended:
    def wait(self) -> str | None:
        return None

    def stop(self) -> None:
        pass


class RecordingPlayer:
    """Notes each file it is asked to play; every line ends as it starts."""

    def __init__(self) -> None:
        self.played: list[str] = []

    def start(self, path: str) -> _Ended:
        self.played.append(path)
        return _Ended()


def voice_of(cache: Path, text: str, path: str) -> str:
    """Which engine's file for ``text`` ``path`` is."""
    names = {
        str(WavCache(cache).path_for(text, VoiceSettings(), version)): engine
        for engine, version in (
            # The classic voice's files are levelled (and tones made) on their way in.
            ("classic", cached_renderer(ToneRenderer()).version),
            ("natural", LevelledRenderer(NaturalRenderer()).version),
        )
    }
    return names.get(path, f"neither: {path}")


@pytest.mark.slow
@needs_engine
def test_a_workout_plays_its_lines_in_the_natural_voice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    store = Store.open(tmp_path / "data")
    without_checkins(store)  # about the voice, not the pain check-in
    store.update_settings({"voice_engine": "natural"})
    player = RecordingPlayer()
    spoken: list[str] = []
    voice = Voice(
        tmp_path / "cache",
        renderer=ToneRenderer(),
        player=player,
        echo=spoken.append,
        natural=NaturalRenderer(),
    )
    clock = FakeClock()
    spotter = Spotter(
        store,
        voice,
        clocks=Clocks(monotonic=clock, wall=lambda: 1_780_000_000.0 + clock()),
    )
    try:
        spotter.drain()  # applies the settings: the routine's lines render in both voices
        # About 40 s here alone; the worker runs at nice 19, so on a machine the parallel
        # suite keeps busy it gets what CPU is left over, and is waited for, not killed.
        assert voice.wait_until_prepared(60) and voice.wait_until_natural(NATURAL_FILL)
        active = store.active_routine()
        assert active is not None
        ahead = routine_lines(active.routine)
        for _ in range(MAX_PRESSES):
            spotter.act(Action.NEXT)
            spotter.drain()
            assert voice.wait_until_quiet(10)
            if spotter.status().state is State.DONE:
                break
            # A set takes the trainee longer than the voice takes to render what it has
            # just learnt it may say (the summary, on the last exercise).
            assert voice.wait_until_natural(NATURAL_FILL)
        else:
            pytest.fail("the workout did not end")
    finally:
        voice.close()
        store.close()
    assert len(spoken) == len(player.played) > 100
    played = [
        (text, voice_of(tmp_path / "cache", text, path))
        for text, path in zip(spoken, player.played, strict=True)
    ]
    counts = Counter(engine for _, engine in played)
    print(f"lines of the workout by voice: {dict(counts)}")
    late = [text for text, _ in played if text not in ahead]
    assert phrases.complete() in spoken and len(late) >= 2  # the summary and the week
    assert counts == {"natural": len(played)}, [p for p in played if p[1] != "natural"]


class PreparingVoice(Voice):
    """The real voice; also notes what it was asked to prepare, in order."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.prepared: list[list[str]] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def prepare(self, texts: Iterable[str]) -> None:
        texts = list(texts)
        self.prepared.append(texts)
        super().prepare(texts)


def test_the_lines_are_rendered_in_the_order_a_workout_needs_them(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    without_checkins(store)  # the workout's own order; the check-in's lines come first
    voice = PreparingVoice(tmp_path / "cache", renderer=ToneRenderer(), player=RecordingPlayer())
    spotter = Spotter(
        store,
        voice,
        clocks=Clocks(monotonic=FakeClock()),
    )
    try:
        spotter.drain()
        active = store.active_routine()
        assert active is not None
        # At once: the workout as planned, then what pairing a clicker says.
        [first] = voice.prepared
        planned = planned_lines(active.routine)
        pairing = [phrases.pairing_starts(), phrases.pairing_done(), phrases.pairing_failed()]
        device_lines = [*pairing, *FIXED_STEPS]
        assert first == list(dict.fromkeys([*planned, *device_lines]))
        # The search for every other line waits for the worker's start (after READY).
        assert not any(t.name == "spotter-lines" for t in threading.enumerate())
        # Once the search off the worker has found them, every other line after those.
        assert spotter.wait_for_lines_ahead()
        order = voice.prepared[-1]
        wanted = routine_lines(active.routine)
        assert sorted(order) == sorted(dict.fromkeys([*wanted, *device_lines]))
        assert order[: len(first)] == first
        # Each line of a run comes in the order the run first says it.
        script = [text for text in dict.fromkeys(preview_script(active.routine)) if text in order]
        positions = [order.index(text) for text in script]
        assert positions == sorted(positions)
        assert len(script) > 40
    finally:
        voice.close()
        store.close()
