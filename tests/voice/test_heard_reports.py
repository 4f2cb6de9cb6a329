"""The voice reports what the trainee heard: when each line started and stopped sounding,
or that it never sounded. The engine times answers, holds and rests by these reports."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from device.engine.speech_time import estimate_seconds
from device.events import Heard, Line, Speech
from device.testing import FakeClock
from device.voice import audio_format as fmt
from device.voice.alsa_player import MAX_LEAD, PERIOD_FRAMES, AlsaPlayer, open_alsa_pcm
from device.voice.player import PlayerError
from device.voice.speaker import Voice
from tests.dummy_voice import HeldPlayer, ToneRenderer

WAIT = 5.0


class Reports:
    def __init__(self) -> None:
        self.got: list[Speech] = []
        self._cond = threading.Condition()

    def __call__(self, report: Speech) -> None:
        with self._cond:
            self.got.append(report)
            self._cond.notify_all()

    def wait_for(self, count: int) -> list[Speech]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.got) >= count, WAIT), self.got
            return list(self.got)

    def kinds(self) -> list[tuple[int, Heard]]:
        return [(r.line, r.heard) for r in self.got]


@pytest.fixture
def rig(tmp_path: Path):
    clock = FakeClock()
    player = HeldPlayer()
    voice = Voice(tmp_path, renderer=ToneRenderer(), player=player, clock=clock)
    reports = Reports()
    voice.report_to(reports)
    yield voice, player, clock, reports
    voice.close()


def test_a_line_is_reported_when_it_starts_and_when_it_ends(rig):
    voice, player, clock, reports = rig
    voice.speak([Line("Hold for ten seconds.", id=1), Line("Three.", id=2)])
    assert player.wait_for(1)
    assert reports.wait_for(1) == [Speech(1, Heard.STARTED, clock.now)]
    clock.advance(1.5)
    player.playbacks[0].finish()
    assert player.wait_for(2)
    got = reports.wait_for(3)
    assert got[1:] == [Speech(1, Heard.ENDED, clock.now), Speech(2, Heard.STARTED, clock.now)]
    clock.advance(0.5)
    player.playbacks[1].finish()
    assert reports.wait_for(4)[3] == Speech(2, Heard.ENDED, clock.now)


def test_a_press_cuts_the_line_playing_and_drops_those_waiting(rig):
    voice, player, clock, reports = rig
    voice.speak([Line("One.", id=1), Line("Two.", id=2), Line("Three.", id=3)])
    assert player.wait_for(1)
    reports.wait_for(1)
    clock.advance(0.2)
    voice.speak([Line("Going back.", interrupt=True, id=4)])
    got = reports.wait_for(5)
    assert got[1:4] == [
        Speech(1, Heard.ENDED, clock.now),
        Speech(2, Heard.DROPPED, clock.now),
        Speech(3, Heard.DROPPED, clock.now),
    ]
    assert (got[4].line, got[4].heard) == (4, Heard.STARTED)


def test_a_cue_too_late_to_say_is_reported_as_never_heard(rig):
    voice, player, clock, reports = rig
    voice.speak([Line("A long sentence first.", id=1)], now=clock.now)
    assert player.wait_for(1)
    voice.speak([Line("Three.", id=2, due=clock.now)], now=clock.now)
    clock.advance(3.0)
    player.playbacks[0].finish()
    got = reports.wait_for(3)
    assert (got[2].line, got[2].heard) == (2, Heard.DROPPED)
    assert len(player.playbacks) == 1


def test_a_line_the_voice_cannot_play_is_reported_as_heard_for_its_spoken_length(tmp_path):
    clock = FakeClock()

    class Broken:
        def start(self, path: str):
            raise PlayerError("no sound card")

    voice = Voice(tmp_path, renderer=ToneRenderer(), player=Broken(), clock=clock)
    reports = Reports()
    voice.report_to(reports)
    try:
        first, second = "How does your back feel right now?", "Zero."
        voice.speak([Line(first, id=1), Line(second, id=2)])
        got = reports.wait_for(4)
        start = clock.now
        first_end = start + estimate_seconds(first)
        assert got == [
            Speech(1, Heard.STARTED, start),
            Speech(1, Heard.ENDED, first_end),
            Speech(2, Heard.STARTED, first_end),
            Speech(2, Heard.ENDED, first_end + estimate_seconds(second)),
        ]
    finally:
        voice.close()


def test_the_output_never_runs_far_ahead_of_real_time(tmp_path):
    pytest.importorskip("alsaaudio")
    out = tmp_path / "out.raw"
    path = tmp_path / "line.wav"
    fmt.write_wav(path, fmt.Pcm(b"\x10\x00" * (fmt.RATE * 3)))
    clock = FakeClock()
    # ALSA's file plugin takes whatever it is given, as a pipe or a Bluetooth sink would.
    player = AlsaPlayer(opener=lambda _: open_alsa_pcm(f"file:FILE={out},FORMAT=raw"), clock=clock)
    try:
        playback = player.start(str(path))
        assert playback.started_at == clock.now
        time.sleep(0.3)  # real time for the feeder thread to write what it would
        ahead = out.stat().st_size // fmt.FRAME_BYTES
        assert ahead <= (MAX_LEAD * fmt.RATE) + 2 * PERIOD_FRAMES
        clock.advance(1.0)
        time.sleep(0.3)
        later = out.stat().st_size // fmt.FRAME_BYTES
        assert later >= fmt.RATE * 1.0
        assert later <= (1.0 + MAX_LEAD) * fmt.RATE + 2 * PERIOD_FRAMES
        playback.stop()
    finally:
        player.close()
