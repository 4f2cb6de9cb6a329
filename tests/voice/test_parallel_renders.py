"""Lines render side by side, in the order asked, a press's line first, and what a press
cut never ahead of it; the natural voice waits for the classic cache and runs at idle
priority.

Renderers here are gated by events, so which render starts when is decided by the
test, never by sleeping.
"""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from device.events import Line
from device.voice.cache import WavCache
from device.voice.natural import idle_priority
from device.voice.render_process import RenderProcesses
from device.voice.render_queue import RenderJob, RenderQueue
from device.voice.speaker import Voice
from device.voice.tts import VoiceSettings
from tests.dummy_voice import HeldPlayer, ToneRenderer

WAIT = 10.0


class GatedRenderer(ToneRenderer):
    """Writes a tone once the test opens the line's gate; records starts and overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    def gate(self, text: str) -> threading.Event:
        with self._lock:
            return self.gates.setdefault(text, threading.Event())

    def open_all(self) -> None:
        with self._lock:
            self.opened = True
            for gate in self.gates.values():
                gate.set()

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        gate = self.gate(text)
        with self._lock:
            self.started.append(text)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            if getattr(self, "opened", False):
                gate.set()
            self.changed.notify_all()
        try:
            assert gate.wait(WAIT), f"the gate of {text!r} stayed shut"
            super().render(text, settings, target)
        finally:
            with self._lock:
                self.running -= 1

    def wait_started(self, count: int) -> bool:
        with self._lock:
            return self.changed.wait_for(lambda: len(self.started) >= count, WAIT)


def _queue(tmp_path: Path, renderer: GatedRenderer, workers: int) -> RenderQueue:
    return RenderQueue(
        renderer, WavCache(tmp_path / "cache"), on_done=lambda *_: None, workers=workers
    )


def test_lines_render_side_by_side_in_the_order_asked(tmp_path):
    renderer = GatedRenderer()
    queue = _queue(tmp_path, renderer, workers=3)
    texts = [f"Line {n}" for n in range(7)]
    try:
        for text in texts:
            queue.request(RenderJob(text, VoiceSettings()), urgent=False)
        assert renderer.wait_started(3)
        assert sorted(renderer.started) == texts[:3]  # three at once, the first three
        renderer.open_all()
        assert queue.wait_idle(WAIT)
        assert renderer.most_at_once == 3
        assert sorted(renderer.started[3:]) == texts[3:]
    finally:
        renderer.open_all()
        queue.close()


def test_a_render_a_press_has_cut_waits_behind_the_new_answer(tmp_path):
    renderer = GatedRenderer()
    queue = _queue(tmp_path, renderer, workers=1)
    settings = VoiceSettings()
    try:
        queue.request(RenderJob("Busy", settings), urgent=False)
        assert renderer.wait_started(1)
        for text in ["Cut one", "Cut two", "The answer"]:
            queue.request(RenderJob(text, settings), urgent=True)
        assert queue.keep_urgent(lambda job: job.text == "The answer") == 2
        renderer.open_all()
        assert queue.wait_idle(WAIT)
        assert renderer.started == ["Busy", "The answer", "Cut one", "Cut two"]
    finally:
        renderer.open_all()
        queue.close()


def test_a_press_moves_the_lines_it_cut_behind_its_answer(tmp_path):
    renderer = GatedRenderer()
    voice = Voice(tmp_path / "cache", renderer=renderer, player=HeldPlayer(), echo=None)
    try:
        voice.prepare(["Busy"])
        assert renderer.wait_started(1)
        voice.speak([Line("A long instruction nobody waits for.")])
        voice.speak([Line("Then another one.")])
        voice.speak([Line("The answer to the press.", interrupt=True)])
        renderer.open_all()
        assert voice.wait_until_prepared(WAIT)
        answer = renderer.started.index("The answer to the press.")
        assert answer == 1, renderer.started
    finally:
        renderer.open_all()
        voice.close()


def test_the_natural_voice_waits_for_the_classic_cache(tmp_path):
    classic, natural = GatedRenderer(), GatedRenderer()
    natural.open_all()
    voice = Voice(
        tmp_path / "cache", renderer=classic, natural=natural, player=HeldPlayer(), echo=None
    )
    try:
        voice.use_natural(True)
        voice.prepare(["One", "Two"])
        assert classic.wait_started(1)
        assert not natural.started  # nothing natural while a classic line is still due
        classic.open_all()
        assert voice.wait_until_natural(WAIT)
        assert sorted(natural.started) == ["One", "Two"]
    finally:
        classic.open_all()
        voice.close()


def test_a_natural_worker_runs_at_the_lowest_priority_but_still_runs():
    process = subprocess.Popen(["sleep", "30"])
    try:
        idle_priority(process.pid)
        assert os.getpriority(os.PRIO_PROCESS, process.pid) == 19
        # Not SCHED_IDLE, which a busy machine would starve for good.
        assert os.sched_getscheduler(process.pid) == os.SCHED_OTHER
    finally:
        process.kill()
        process.wait()


def test_real_render_processes_share_the_lines_and_rest_to_one(tmp_path):
    processes = RenderProcesses(2)
    try:
        threads = [
            threading.Thread(
                target=processes.render_levelled,
                args=(f"Line number {n}.", VoiceSettings(), tmp_path / f"{n}.wav", 0.0),
            )
            for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT * 3)
        assert all((tmp_path / f"{n}.wav").stat().st_size > 1000 for n in range(4))
        assert len(processes.pids) == 2
        processes.rest()
        assert len(processes.pids) == 1
    finally:
        processes.close()


def test_at_least_one_render_process():
    with pytest.raises(ValueError, match="render processes"):
        RenderProcesses(0)
