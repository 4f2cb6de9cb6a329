"""The running daemon: pin edges in, spoken lines out, progress and history in the store.

Everything here is real (gpiozero Button on a mock pin, gesture detector,
session engine, voice with its cache, SQLite store) except the speech engine
and the speaker, and time, which only moves when a test says so.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from device.engine.preview import paced_lines
from device.engine.state import SavedPosition
from device.events import Action, State
from device.service import progress
from device.service.build import Assembly, Parts, build
from device.service.config import Config
from device.service.worker import Clocks, Spotter
from device.testing import FakeClock
from device.voice.player import NullPlayer, Player
from device.voice.speaker import Voice
from routines.model import Exercise, Routine, TempoPhase
from routines.store import HistoryEntry, Store
from routines.validation import routine_from_yaml
from routines.week import week_start
from tests.checkin_support import without_checkins
from tests.dummy_voice import HeldPlayer, ToneRenderer
from tests.recording_listener import RecordingListener

WALL_OFFSET = 1_780_000_000.0  # a Wednesday in 2026, so "this week" is well defined

QUICK = Routine(
    id="quick",
    name="Quick calves",
    sessions_per_week=2,
    exercises=(Exercise(name="Calf raises", sets=1, reps=2, rest_seconds=0),),
)


@dataclass
class Rig:
    store: Store
    voice: Voice
    spotter: Spotter
    clock: FakeClock
    pin: object
    spoken: list[str]
    renderer: ToneRenderer
    beats: list[float] = field(default_factory=list)

    def settle(self) -> None:
        self.spotter.drain()
        assert self.voice.wait_until_quiet(timeout=5)

    def press(self, down: float = 0.05) -> None:
        self.pin.drive_low()
        self.clock.advance(down)
        self.pin.drive_high()
        self.spotter.drain()
        # Past the double-press window, so the next press is a press of its own.
        self.clock.advance(0.5)
        self.spotter.drain()

    def hold(self, seconds: float) -> None:
        self.pin.drive_low()
        self.spotter.drain()
        self.clock.advance(seconds)
        self.spotter.drain()
        self.pin.drive_high()
        self.spotter.drain()


def make_rig(
    data_dir: Path,
    clock: FakeClock,
    factory,
    player: Player,
    *,
    voice: Voice | None = None,
    problems: list | None = None,
    address_lookup=None,
) -> tuple[Rig, Assembly]:
    spoken: list[str] = []
    beats: list[float] = []
    renderer = ToneRenderer()
    heard = RecordingListener(on_alive=lambda: beats.append(clock()))
    built = build(
        Config(data_dir=data_dir, button_pin=17),
        Parts(
            pin_factory=factory, voice=voice, renderer=renderer, player=player, echo=spoken.append
        ),
        clocks=Clocks(monotonic=clock, wall=lambda: WALL_OFFSET + clock()),
        listeners=[heard],
        address_lookup=address_lookup,
    )
    if problems is not None:
        heard.problems = problems
    # These tests are about the button and the voice: the check-in has its own.
    without_checkins(built.store)
    built.worker.reload()
    built.worker.drain()
    spoken.clear()
    rig = Rig(
        built.store, built.voice, built.worker, clock, factory.pin(17), spoken, renderer, beats
    )
    return rig, built


@pytest.fixture
def rig(tmp_path, clock, mock_factory):
    made, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    made.spotter.greet()
    made.settle()
    yield made
    built.close()


@pytest.fixture
def held(tmp_path, clock, mock_factory):
    player = HeldPlayer()
    made, built = make_rig(tmp_path / "data", clock, mock_factory, player)
    yield made, player
    for playback in player.playbacks:
        playback.finish()
    built.close()


def use_quick_routine(rig: Rig) -> None:
    rig.store.create_routine(QUICK)
    rig.store.set_active_routine("quick")
    rig.spotter.reload()
    rig.spotter.drain()


def test_greeting_names_the_active_routine(rig):
    assert any("Lower-back relief" in line for line in rig.spoken)
    assert rig.spotter.status().state == State.IDLE


def test_a_press_on_the_pin_starts_the_routine(rig):
    rig.spoken.clear()
    rig.press()
    rig.settle()
    assert "sharp or shooting pain" in rig.spoken[0]  # the safety line comes first
    assert rig.spoken[1] == "Exercise 1 of 4: Hip flexor wall stretch."
    status = rig.spotter.status()
    assert status.state == State.INTRO
    assert status.exercise_name == "Hip flexor wall stretch"
    assert status.last_spoken is not None


def test_chattering_contacts_still_make_one_press(rig):
    rig.spoken.clear()
    for _ in range(4):  # 1 ms bounce on the way down
        rig.pin.drive_low()
        rig.clock.advance(0.001)
        rig.pin.drive_high()
        rig.clock.advance(0.001)
    rig.pin.drive_low()
    rig.clock.advance(0.08)
    rig.pin.drive_high()
    rig.clock.advance(0.6)
    rig.settle()
    assert rig.spotter.status().state == State.INTRO
    assert rig.spoken.count("Exercise 1 of 4: Hip flexor wall stretch.") == 1


def test_a_press_cuts_off_the_sentence_in_progress(held):
    rig, player = held
    rig.spotter.greet()
    rig.spotter.drain()
    assert player.wait_for(1)
    greeting = player.playbacks[0]
    assert not greeting.stopped
    rig.press()
    assert greeting.stopped
    assert player.wait_for(2)
    rig.clock.advance(1)
    rig.spotter.drain()
    # The answer's first line is sounding; the rest of it waits its turn.
    assert len(player.playbacks) == 2
    assert not player.playbacks[1].stopped


def test_timed_cues_wait_for_the_sentence_in_progress(held):
    rig, player = held
    assert rig.voice.wait_until_prepared(timeout=30)  # as after start-up: audio is cached
    rig.spotter.act(Action.NEXT)  # intro of the hip flexor stretch
    rig.spotter.act(Action.NEXT)  # set 1, left side
    rig.spotter.act(Action.NEXT)  # the 30 s hold starts
    rig.spotter.drain()
    assert rig.spotter.status().state == State.HOLD
    assert player.wait_for(3)
    speaking = player.playbacks[-1]
    started = len(player.playbacks)
    rig.clock.advance(15.5)  # the halfway cue falls due mid-sentence
    rig.spotter.drain()
    assert not speaking.stopped
    assert len(player.playbacks) == started
    speaking.finish()
    assert player.wait_for(started + 1)  # then it is spoken


def test_pausing_and_resuming_cut_speech_short(held):
    rig, player = held
    use_quick_routine(rig)
    rig.spotter.act(Action.NEXT)  # intro
    rig.spotter.drain()
    assert player.wait_for(1)
    speaking = player.playbacks[0]
    rig.spotter.act(Action.PAUSE)
    rig.spotter.drain()
    assert speaking.stopped
    assert player.wait_for(2)
    pause_line = player.playbacks[1]
    rig.spotter.act(Action.NEXT)  # resume
    rig.spotter.drain()
    assert pause_line.stopped


def test_progress_survives_a_restart(tmp_path, clock, mock_factory):
    first, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    first.spotter.greet()
    first.press()  # intro
    first.press()  # set 1, left side
    assert first.spotter.status().state == State.SET
    first.spotter.stop()  # as on SIGTERM: the worker saves, then the process goes
    built.close()

    second, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    try:
        second.spotter.greet()
        second.settle()
        assert any("Hip flexor wall stretch" in line for line in second.spoken)
        assert second.spotter.status().state == State.IDLE
        second.press()  # resumes straight into the set it stopped in
        status = second.spotter.status()
        assert (status.state, status.exercise_index, status.set, status.side) == (
            State.SET,
            0,
            1,
            "left",
        )
    finally:
        built.close()
        second.store.close()


def test_a_finished_workout_is_written_to_history_and_counts_toward_the_week(rig):
    use_quick_routine(rig)
    rig.press()  # intro
    rig.press()  # set 1
    rig.press()  # rep 1
    rig.press()  # rep 2: the last, so the workout is over
    rig.settle()
    assert rig.spotter.status().state == State.DONE
    (entry,) = rig.store.history()
    assert (entry.routine_id, entry.completed, entry.sets_done) == ("quick", True, 1)
    assert entry.finished_at == pytest.approx(WALL_OFFSET + rig.clock())
    assert rig.store.sessions_since(week_start(WALL_OFFSET + rig.clock()), "quick") == 1
    assert any("1 of 2" in line for line in rig.spoken)
    assert rig.store.load_progress() is None

    rig.press()  # back to idle
    rig.spoken.clear()
    for _ in range(4):
        rig.press()
    rig.settle()
    assert len(rig.store.history()) == 2
    assert any("2 of 2" in line for line in rig.spoken)


def test_auto_verbosity_turns_brief_once_the_store_holds_two_finished_workouts(rig):
    taught = Routine(
        id="taught",
        name="Taught calves",
        exercises=(
            Exercise(
                name="Calf raises", sets=1, reps=1, setup=("Stand by a wall.",), cues=("Rise.",)
            ),
        ),
    )
    rig.store.create_routine(taught)
    rig.store.set_active_routine("taught")
    rig.spotter.reload()
    for finished in range(3):
        rig.spoken.clear()
        for _ in range(3):
            rig.press()  # intro, set 1, the one rep: done
            rig.settle()  # each answer said in full before the next press cuts in
        said_setup = "Stand by a wall." in rig.spoken
        assert said_setup == (finished < 2), (finished, rig.spoken)
        # The next press starts the next workout straight from the summary.
    assert rig.store.sessions_since(0.0, "taught") == 3


def test_each_paced_sets_words_are_rendered_before_the_workout_reaches_it(
    tmp_path, clock, mock_factory
):
    made, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    try:
        assert made.voice.wait_until_prepared(30)
        rendered = made.renderer.rendered
        routine = made.store.active_routine().routine
        for number, exercise in enumerate(routine.exercises[:-1], start=1):
            # The full script's words (a brief script's plain counts are shared with the
            # countdowns, rendered early anyway).
            words = [
                w
                for w in paced_lines(dataclasses.replace(routine, exercises=(exercise,)))
                if not w.isdigit()
            ]
            following = f"Exercise {number + 1} of 4: {routine.exercises[number].name}."
            # Rendered ahead of the next exercise's introduction, let alone its own set.
            assert all(rendered.index(w) < rendered.index(following) for w in words), number
        assert "Squeeze." in rendered and "10. Up." in rendered
    finally:
        built.close()


def test_history_keeps_a_stopped_paced_set_as_a_short_set(rig):
    paced = Routine(
        id="paced",
        name="Paced bridges",
        exercises=(
            Exercise(
                name="Bridges",
                sets=1,
                reps=5,
                count="paced",
                tempo=(TempoPhase("Up", 1), TempoPhase("Down", 1)),
            ),
        ),
    )
    rig.store.create_routine(paced)
    rig.store.set_active_routine("paced")
    rig.spotter.reload()
    rig.press()  # intro
    rig.press()  # the set is announced
    rig.press()  # pacing starts (the press and its double window take 0.55 s)
    rig.clock.advance(5)  # rep 3 is under way
    rig.spotter.drain()
    rig.press()  # stop
    (entry,) = rig.store.history()
    assert entry.sets_planned == 1
    assert [(s.exercise, s.set, s.done, s.planned) for s in entry.short_sets] == [
        ("Bridges", 1, 3, 5)
    ]


def test_new_gesture_timings_apply_after_reload(rig):
    rig.hold(0.7)
    assert rig.spotter.status().state == State.INTRO  # 0.7 s is still a press
    rig.store.update_settings({"hold_ms": 500, "long_hold_ms": 2000})
    rig.spotter.reload()
    rig.spotter.drain()
    rig.spoken.clear()
    rig.clock.advance(1)
    rig.hold(0.7)  # now a hold: repeat, not next
    rig.settle()
    assert rig.spotter.status().state == State.INTRO
    assert rig.spoken  # the instruction was repeated


def test_a_long_hold_pauses_while_the_button_is_still_down(rig):
    rig.press()
    rig.pin.drive_low()
    rig.spotter.drain()
    rig.clock.advance(3.05)
    rig.spotter.drain()  # the deadline passed with the button still down
    assert rig.spotter.status().state == State.PAUSED
    rig.pin.drive_high()
    rig.spotter.drain()
    assert rig.spotter.status().state == State.PAUSED


def test_the_page_can_drive_the_same_session(rig):
    rig.spotter.act(Action.NEXT)
    rig.spotter.drain()
    assert rig.spotter.status().state == State.INTRO
    rig.spotter.act(Action.END)
    rig.spotter.drain()
    assert rig.spotter.status().state in (State.DONE, State.IDLE)
    (entry,) = rig.store.history()
    assert not entry.completed


def test_status_watchers_wake_on_change(rig):
    version, status = rig.spotter.wait_for_change(-1, timeout=0)
    assert status.state == State.IDLE
    same, _ = rig.spotter.wait_for_change(version, timeout=0)
    assert same == version  # nothing changed: returns on timeout
    rig.press()
    newer, status = rig.spotter.wait_for_change(version, timeout=0)
    assert newer != version
    assert status.state == State.INTRO


def test_every_pass_of_the_loop_feeds_the_heartbeat(rig):
    before = len(rig.beats)
    rig.spotter.drain()
    rig.press()
    assert len(rig.beats) >= before + 3


def test_the_worker_thread_answers_and_saves_on_stop(tmp_path, mock_factory):
    made, built = make_rig(tmp_path / "data", FakeClock(), mock_factory, NullPlayer())
    changed = threading.Event()
    try:
        made.spotter.start()
        version, _ = made.spotter.wait_for_change(-1, timeout=0)
        made.spotter.act(Action.NEXT)
        made.spotter.act(Action.NEXT)
        for _ in range(10):
            version, status = made.spotter.wait_for_change(version, timeout=5)
            if status.state == State.SET:
                changed.set()
                break
        assert changed.is_set()
        made.spotter.stop()
        assert made.store.load_progress() is not None
    finally:
        built.close()


@pytest.mark.parametrize("late", [0.6, 1.2, 3.5])
def test_a_busy_worker_still_reads_a_short_press_as_a_press(rig, late):
    # Both edges of an 80 ms press wait in the queue while the worker is busy elsewhere
    # (a slow SD card, say); when it gets to them, they must still make a press.
    rig.pin.drive_low()
    rig.clock.advance(0.08)
    rig.pin.drive_high()
    rig.clock.advance(late)
    rig.spotter.drain()
    assert rig.spotter.status().state == State.INTRO


def test_progress_is_written_once_per_position_not_per_tick(rig, monkeypatch):
    # An SD card wears with every write: a 30-second hold is one position, not 30 writes.
    writes: list[object] = []
    real = rig.store.save_progress

    def counted(snapshot):
        writes.append(snapshot)
        real(snapshot)

    monkeypatch.setattr(rig.store, "save_progress", counted)
    rig.press()  # the hip flexor stretch is introduced
    rig.press()  # set 1, left side
    rig.press()  # the 30-second hold starts
    rig.settle()  # ... once "Hold for 30 seconds." has been heard
    assert rig.spotter.status().state == State.HOLD
    before = len(writes)
    for _ in range(29):
        rig.clock.advance(1)
        rig.spotter.drain()
    assert rig.spotter.status().state == State.HOLD
    assert len(writes) == before + 1  # its first half done, once
    rig.clock.advance(1)
    rig.spotter.drain()  # the hold ends: the right side is a new position
    assert rig.spotter.status().side == "right"
    assert len(writes) == before + 2


def test_a_resumed_workout_of_another_routine_counts_that_routines_week(
    tmp_path, clock, mock_factory
):
    # The saved workout is of "quick", while the routine a press would start is the
    # lower-back one: finishing it must count quick's sessions, and quick's goal.
    made, built = make_rig(tmp_path / "data", clock, mock_factory, NullPlayer())
    try:
        made.store.create_routine(QUICK)
        now = WALL_OFFSET + clock()
        made.store.add_history(
            HistoryEntry("quick", QUICK.name, now - 600, now - 300, 1, 1, completed=True)
        )
        made.store.save_progress(progress.encode(SavedPosition(QUICK, 0, 1, 0, (0,), 0.0)))
        made.spotter.greet()
        made.settle()
        assert any("You stopped part way through Quick calves" in s for s in made.spoken)
        made.press()  # carry on, straight into set 1
        made.press()  # rep 1
        made.press()  # rep 2 ends the workout
        made.settle()
        assert made.spotter.status().state == State.DONE
        assert "That is 2 of 2 sessions. This week's goal is met." in made.spoken
    finally:
        built.close()


def test_the_address_is_looked_up_at_start_and_when_idle_only(tmp_path, clock, mock_factory):
    looked_up: list[str] = []

    def lookup() -> list[str]:
        looked_up.append(str(made.spotter.status().state))
        return ["http://spotter.local:8080/"]

    made, built = make_rig(
        tmp_path / "data", clock, mock_factory, NullPlayer(), address_lookup=lookup
    )
    try:
        made.spotter.greet()
        made.settle()
        assert looked_up == ["idle"]
        made.press()  # intro
        made.press()  # set 1
        made.hold(3.5)  # long hold mid-workout: a pause, which must not wait on the network
        made.press()  # carry on
        made.settle()
        assert looked_up == ["idle"]
        assert made.spotter.status().state == State.SET
    finally:
        built.close()


def test_the_address_is_read_out_once_the_page_is_up_if_no_workout_began(
    tmp_path, clock, mock_factory
):
    # The page starts after READY, so at the greeting its address is not known yet.
    urls: list[str] = []
    made, built = make_rig(
        tmp_path / "data", clock, mock_factory, NullPlayer(), address_lookup=lambda: list(urls)
    )
    try:
        made.spotter.greet()
        made.settle()
        assert not any(line.startswith("On your phone") for line in made.spoken)
        urls.append("http://spotter-corner-2.local:8080/")
        made.spotter.announce_address()
        made.settle()
        said = [line for line in made.spoken if line.startswith("On your phone")]
        assert len(said) == 1 and "spotter-corner-2 dot local" in said[0]
        made.press()  # a workout begins: the address must not talk over it
        made.settle()
        before = len(made.spoken)
        made.spotter.announce_address()
        made.settle()
        assert not any(line.startswith("On your phone") for line in made.spoken[before:])
    finally:
        built.close()


def test_the_address_waits_while_a_question_is_asked(tmp_path, clock, mock_factory):
    # On a slow start the page comes up while the first press's pain question is read
    # out: the address between two of its numbers would shift what a press picks.
    urls: list[str] = []
    made, built = make_rig(
        tmp_path / "data", clock, mock_factory, NullPlayer(), address_lookup=lambda: list(urls)
    )
    try:
        asks = routine_from_yaml(
            "id: asks\nname: Asks\ncheckin: pain\n"
            "exercises:\n  - {name: Bridge, sets: 1, reps: 2}\n"
        )
        built.store.create_routine(asks)
        built.store.set_active_routine("asks")
        made.spotter.reload()
        made.spotter.greet()
        made.settle()
        made.press()
        made.settle()
        status = made.spotter.status()
        assert (status.state, status.question) == (State.IDLE, "pain_before")
        urls.append("http://spotter-corner-2.local:8080/")
        before = len(made.spoken)
        made.spotter.announce_address()
        made.settle()
        assert not any(line.startswith("On your phone") for line in made.spoken[before:])
    finally:
        built.close()
