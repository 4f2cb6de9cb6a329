"""A start does not wait for the routine's script: the daemon works out the lines to render
on a thread of its own (``WorkerSetup.scripts_aside``), and asks the voice for them
once they are known. On a Pi Zero that script is seconds of CPU before READY."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from device.engine.preview import routine_lines
from device.service import worker
from device.service.worker import Clocks, Spotter, WorkerSetup
from device.testing import FakeClock
from device.voice.player import NullPlayer
from device.voice.speaker import Voice
from routines.store import Store
from tests.dummy_voice import ToneRenderer


class NotingVoice(Voice):
    """The real voice, rendering nothing ahead; notes each list it is asked to prepare."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.asked: list[list[str]] = []
        self.more = threading.Event()  # set on every request after the first
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def prepare(self, texts: Iterable[str]) -> None:
        self.asked.append(list(texts))
        if len(self.asked) > 1:
            self.more.set()


def _spotter(tmp_path: Path, *, aside: bool) -> tuple[Spotter, NotingVoice, set[str]]:
    store = Store.open(tmp_path / "data")
    active = store.active_routine()
    assert active is not None
    voice = NotingVoice(tmp_path / "cache", renderer=ToneRenderer(), player=NullPlayer())
    spotter = Spotter(
        store,
        voice,
        clocks=Clocks(monotonic=FakeClock()),
        setup=WorkerSetup(scripts_aside=aside),
    )
    return spotter, voice, set(routine_lines(active.routine))


def test_the_worker_is_made_without_the_script_and_asks_for_it_once_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun = threading.Event()
    real = worker._script

    def noted(key: object) -> list[str]:
        begun.set()
        return real(key)  # type: ignore[arg-type]

    monkeypatch.setattr(worker, "_script", noted)
    spotter, voice, script = _spotter(tmp_path, aside=True)
    try:
        # Made and ready for a press: the voice has the fixed lines, none of the routine's own.
        first = set(voice.asked[0])
        assert script - first, "the routine's lines were worked out before the worker existed"
        # Nor are they being worked out yet: until the worker runs, the start has the CPU.
        assert not begun.is_set()
        spotter.start()
        assert begun.wait(30)
        assert voice.more.wait(30), "the voice was never asked for the routine's lines"
        assert script <= set(voice.asked[-1])
    finally:
        spotter.stop()
        voice.close()


def test_without_it_the_script_is_asked_for_before_the_worker_exists(tmp_path: Path) -> None:
    _, voice, script = _spotter(tmp_path, aside=False)
    try:
        assert script <= set(voice.asked[0])
        assert len(voice.asked) == 1
    finally:
        voice.close()
