"""Voice faults: no espeak-ng, a sound device that fails, a render that never ends.

Whatever breaks in the voice, the session goes on: every line is still printed, the
fault is logged once (not once per line), presses on the real button still move the
workout forward, and the worker loop keeps feeding the watchdog. The real Spotter,
store, gesture code and voice run here; only the broken part is swapped in.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from device.events import Line, State
from device.service.build import Assembly, Parts, build
from device.service.config import Config
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.player import AplayPlayer, Playback, Player
from device.voice.speaker import Voice
from device.voice.tts import Renderer, RenderError, VoiceSettings
from tests.checkin_support import without_checkins
from tests.dummy_voice import HeldPlayer, ToneRenderer
from tests.recording_listener import RecordingListener

PIN = 17
ROOT = Path(__file__).resolve().parents[2]
# Bounds for waits on the voice's own threads (renders, players); they return as soon
# as the voice is done, and only a broken voice takes this long.
WAIT = 10.0


class MissingEngine:
    """espeak-ng is not installed: every render fails the way Pyttsx3Renderer reports it."""

    version = "missing"

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        raise RenderError("pyttsx3 with espeak-ng is not available (libespeak-ng.so.1: missing)")

    def voices(self) -> list[tuple[str, str]]:
        raise RenderError("pyttsx3 with espeak-ng is not available")


class HangingEngine:
    """The first render never returns until the test lets it go."""

    version = "hangs"

    def __init__(self) -> None:
        self.release = threading.Event()

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        self.release.wait()
        raise RenderError("released at the end of the test")

    def voices(self) -> list[tuple[str, str]]:
        return []


class FailingPlayer:
    """A player that cannot start at all (the device vanished under it)."""

    def start(self, path: str) -> Playback:
        raise OSError("the sound card went away")


class RecordingVoice(Voice):
    """The real voice; also notes every line it was asked to speak."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.asked: list[str] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def speak(self, lines: Sequence[Line], *, now: float | None = None) -> None:
        # A press's tick has no words to print.
        self.asked += [line.text for line in lines if line.text]
        super().speak(lines, now=now)


@dataclass
class Device:
    spotter: Spotter
    voice: RecordingVoice
    clock: FakeClock
    factory: MockFactory
    printed: list[str] = field(default_factory=list)
    beats: int = 0

    def press(self) -> None:
        """A real press on the mock pin; the worker handles each edge as it comes."""
        pin = self.factory.pin(PIN)
        pin.drive_low()
        self.spotter.drain()
        self.clock.advance(0.1)
        pin.drive_high()
        self.spotter.drain()
        self.clock.advance(0.6)
        self.spotter.drain()


@pytest.fixture
def make_device(
    tmp_path: Path, mock_factory: MockFactory, clock: FakeClock
) -> Iterator[Callable[..., Device]]:
    made: list[Assembly] = []

    def make(*, renderer: Renderer | None, player: Player, render_timeout: float = WAIT) -> Device:
        printed: list[str] = []
        voice = RecordingVoice(
            tmp_path / "data" / "voice-cache",
            renderer=renderer,
            player=player,
            echo=printed.append,
            render_timeout=render_timeout,
        )
        device = Device(None, voice, clock, mock_factory, printed)  # type: ignore[arg-type]

        def beat() -> None:
            device.beats += 1

        built = build(
            Config(data_dir=tmp_path / "data", button_pin=PIN),
            Parts(pin_factory=mock_factory, voice=voice),
            clocks=Clocks(monotonic=clock),
            listeners=[RecordingListener(on_alive=beat)],
        )
        device.spotter = built.worker
        made.append(built)
        without_checkins(built.store)  # these tests are about the voice
        built.worker.reload()
        device.spotter.greet()
        return device

    yield make
    for built in made:
        built.close()


def voice_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "device.voice.speaker" and r.levelno >= logging.WARNING
    ]


def work_out(device: Device, presses: int) -> list[State]:
    """Press ``presses`` times, letting the voice finish each answer (or fail to)."""
    states = []
    for _ in range(presses):
        beats = device.beats
        device.press()
        assert device.beats > beats, "the worker loop stopped feeding the watchdog"
        assert device.voice.wait_until_quiet(WAIT), "the voice never got through its lines"
        states.append(device.spotter.status().state)
    return states


# Seven presses into the lower-back routine: the intro, the first set, its hold started,
# ended early, the other side's hold started and ended (a rest), the rest cut short.
EXPECTED = [State.INTRO, State.SET, State.HOLD, State.SET, State.HOLD, State.REST, State.SET]


def check_carried_on(device: Device, states: list[State]) -> None:
    assert states == EXPECTED
    # Every line the engine said was printed, in order, although none could be heard.
    assert device.printed == device.voice.asked
    assert len(device.printed) > 15
    assert device.voice.degraded


def test_without_espeak_the_workout_goes_on_in_print(
    make_device: Callable[..., Device], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    device = make_device(renderer=MissingEngine(), player=HeldPlayer())
    check_carried_on(device, work_out(device, 7))
    assert len(voice_warnings(caplog)) == 1
    assert "espeak-ng is not available" in voice_warnings(caplog)[0]


def test_without_the_pyttsx3_module_spotter_runs_in_print(tmp_path: Path) -> None:
    """The whole program on a machine where pyttsx3 cannot be imported. It runs in a
    process of its own: the speech engine is one per process, and this one has started
    it already."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "pyttsx3.py").write_text('raise ImportError("pyttsx3 is not installed here")\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow), str(ROOT)])}
    run = subprocess.run(
        [
            *(sys.executable, "-m", "device.cli", "run", "--simulate", "--no-web"),
            *("--audio-device", "null", "--data-dir", str(tmp_path / "data")),
        ],
        # Presses for the pain check-in, a hold to skip it (the intro), the first set, its hold.
        input="\nh\n\n\nq\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    printed = [line for line in run.stdout.splitlines() if line.startswith("» ")]
    assert printed[0] == "» Ready. Press the button to start Lower-back relief."
    assert "» Exercise 1 of 4: Hip flexor wall stretch." in printed
    assert "» Set 1 of 3." in printed
    assert printed[-1] == "» Hold for 30 seconds."
    warnings = [line for line in run.stderr.splitlines() if "WARNING device.voice.speaker" in line]
    assert len(warnings) == 1 and "not available" in warnings[0], run.stderr


@pytest.mark.parametrize(
    "player",
    [
        pytest.param(lambda: AplayPlayer("spotter-no-such-device"), id="aplay-bad-device"),
        pytest.param(lambda: AplayPlayer(command="/nonexistent/aplay"), id="no-aplay"),
        pytest.param(FailingPlayer, id="player-raises"),
    ],
)
def test_a_failing_sound_device_leaves_the_session_going(
    make_device: Callable[..., Device],
    caplog: pytest.LogCaptureFixture,
    player: Callable[[], Player],
) -> None:
    caplog.set_level(logging.WARNING)
    device = make_device(renderer=ToneRenderer(), player=player())
    check_carried_on(device, work_out(device, 7))
    warnings = voice_warnings(caplog)
    assert len(warnings) == 1, warnings


def test_a_hung_render_never_holds_up_the_button_or_the_watchdog(
    make_device: Callable[..., Device], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    engine = HangingEngine()
    try:
        device = make_device(renderer=engine, player=HeldPlayer(), render_timeout=0.2)
        # While the render hangs, the press is still answered at once: the engine moves on,
        # the line is printed and the watchdog fed, with nothing waited for.
        beats, asked, printed = device.beats, len(device.voice.asked), len(device.printed)
        device.press()
        assert device.spotter.status().state is State.INTRO
        # The answer's first line is out already (the rest follow once the watchdog has
        # given the render up, which a loaded machine may have done by now).
        assert device.printed[printed] == device.voice.asked[asked]
        assert device.beats > beats
        assert device.voice.wait_until_quiet(WAIT)
        # Once the watchdog gives the render up, the rest goes on in print.
        check_carried_on(device, [State.INTRO, *work_out(device, 6)])
        assert (
            len([w for w in voice_warnings(caplog) if "not answering" in w or "more than" in w])
            == 1
        )
    finally:
        engine.release.set()
