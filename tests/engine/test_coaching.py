"""Coaching on the mat, driven with a fake clock: back, paced reps, verbosity, nobody pressing,
resuming exactly and timed lines on time."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest

from device.engine import phrases as script
from device.engine.preview import paced_lines, preview_script, routine_lines
from device.engine.session import Coaching, WorkoutSession
from device.engine.state import SetReps
from device.events import Action, Gesture, Line, State
from device.service import progress
from device.testing import FakeClock
from routines.model import Exercise, Routine, TempoPhase
from routines.validation import load_library

SQUAT_TEMPO = (TempoPhase("Down", 2), TempoPhase("Hold", 1), TempoPhase("Up", 2))


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def press(s: WorkoutSession) -> list[str]:
    return texts(s.handle_gesture(Gesture.PRESS))


def act(s: WorkoutSession, action: Action) -> list[str]:
    return texts(s.handle(action))


def run_until_press(s: WorkoutSession, clock: FakeClock) -> list[tuple[float, Line]]:
    """Let the clock run to each timed deadline until only a press moves things on."""
    start = clock.now
    said: list[tuple[float, Line]] = []
    while not s.waiting_for_press() and (deadline := s.next_deadline()) is not None:
        if s.status().state in (State.DONE, State.PAUSED):
            break
        clock.now = deadline
        said += [(round(clock.now - start, 3), line) for line in s.tick()]
    return said


def routine(*exercises: Exercise) -> Routine:
    return Routine(id="mat", name="Mat work", exercises=exercises)


PLANK = Exercise(name="Plank", sets=2, hold_seconds=20, rest_seconds=10)
CURLS = Exercise(name="Curls", sets=2, reps=3, rest_seconds=5)
SQUATS = Exercise(name="Squats", sets=2, reps=10, count="paced", tempo=SQUAT_TEMPO, rest_seconds=5)
LUNGES = Exercise(name="Lunges", sets=2, reps=3, sides="both", rest_seconds=5)


def instant(text: str) -> float:
    """A voice that takes no time, for tests of what is said rather than of how long it lasts."""
    return 0.0


def started(
    clock: FakeClock,
    *exercises: Exercise,
    coaching: Coaching | None = None,
    speech_seconds: Callable[[str], float] = instant,
) -> WorkoutSession:
    s = WorkoutSession(clock, coaching=coaching, speech_seconds=speech_seconds)
    s.set_routine(routine(*exercises))
    press(s)  # the safety line and the first exercise's introduction
    return s


def lower_back() -> Routine:
    (found,) = [r for r in load_library() if r.id == "lower-back"]
    return found


# -- back -------------------------------------------------------------------------------------


def test_back_uncounts_an_extra_rep(clock):
    s = started(clock, CURLS)
    press(s)
    assert press(s) == ["1"] and press(s) == ["2"]
    assert act(s, Action.BACK) == [
        "Going back.",
        "Set 1 of 2.",
        "1 done, 2 to go. Press after each rep.",
    ]
    assert s.status().rep == 1
    assert press(s) == ["2"]


def test_back_restarts_a_hold_ended_early_with_its_full_time(clock):
    s = started(clock, PLANK, CURLS)
    press(s)
    press(s)  # the hold starts
    clock.advance(6)
    assert press(s)[0] == "And release."  # ended early: set done, resting
    clock.advance(2)
    assert act(s, Action.BACK) == ["Going back.", "Hold for 20 seconds."]
    status = s.status()
    assert (status.state, status.remaining_seconds, status.set) == (State.HOLD, 20, 1)
    said = run_until_press(s, clock)
    assert (10.0, "Halfway there.") in [(t, line.text) for t, line in said]
    assert (20.0, "And release.") in [(t, line.text) for t, line in said]


def test_back_brings_a_skipped_rest_back_in_full(clock):
    s = started(clock, PLANK, CURLS)
    press(s)
    press(s)
    clock.advance(20)
    s.tick()  # the hold ran out: resting 10 s
    clock.advance(3)
    assert press(s)[0] == "Final set."  # the rest skipped
    assert act(s, Action.BACK) == ["Going back.", "Rest for 10 seconds."]
    assert (s.status().state, s.status().remaining_seconds) == (State.REST, 10)
    assert s.next_deadline() == clock.now + 7  # "3" of the countdown


def test_back_reopens_a_finished_set_at_its_last_rep(clock):
    s = started(clock, CURLS, PLANK)
    press(s)
    for _ in range(3):
        said = press(s)
    assert said == ["3", "Set done.", "Rest for 5 seconds."]
    assert act(s, Action.BACK) == [
        "Going back.",
        "Set 1 of 2.",
        "2 done, 1 to go. Press after each rep.",
    ]
    status = s.status()
    assert (status.state, status.set, status.rep) == (State.SET, 1, 2)
    assert press(s)[:2] == ["3", "Set done."]
    record = _end(s)
    # The undone finish left no record behind.
    assert record.set_reps == (SetReps("Curls", 1, 3, 3),)


def test_back_returns_a_skipped_exercise_to_where_it_was(clock):
    s = started(clock, CURLS, PLANK)
    press(s)
    press(s)
    press(s)  # two reps done
    assert act(s, Action.SKIP)[0] == "Exercise 2 of 2: Plank."
    assert act(s, Action.BACK)[0] == "Going back."
    status = s.status()
    assert (status.exercise_name, status.set, status.rep) == ("Curls", 1, 2)


def test_back_retraces_step_by_step_to_the_start_of_the_exercise_and_no_further(clock):
    s = started(clock, CURLS)
    assert act(s, Action.BACK) == [script.nothing_to_take_back()]
    assert s.status().state is State.INTRO  # nothing changed
    press(s)
    press(s)
    press(s)
    act(s, Action.BACK)
    act(s, Action.BACK)
    assert (s.status().state, s.status().rep) == (State.SET, 0)
    assert act(s, Action.BACK)[:2] == ["Going back.", "Exercise 1 of 1: Curls."]
    assert s.status().state is State.INTRO
    assert act(s, Action.BACK) == [script.nothing_to_take_back()]


def test_back_stops_at_the_start_of_the_exercise_it_is_in(clock):
    quick = dataclasses.replace(CURLS, sets=1, rest_seconds=0, rest_after_seconds=0)
    s = started(clock, quick, PLANK)
    press(s)
    for _ in range(3):
        said = press(s)
    assert said[-1] == "Press when you are in position."  # no rest: the plank is introduced
    press(s)  # the plank's first set
    assert act(s, Action.BACK)[1] == "Exercise 2 of 2: Plank."
    assert act(s, Action.BACK) == [script.nothing_to_take_back()]


def test_a_double_press_undoes_its_opening_press_and_steps_back_once(clock):
    s = started(clock, CURLS)
    press(s)
    press(s)
    press(s)
    press(s)  # three reps: the set is finished and the rest begins
    assert s.status().state is State.REST
    clock.advance(0.3)
    # The double's first press skipped the rest, then the double came.
    assert press(s)[0] == "Final set."
    clock.advance(0.3)
    said = texts(s.handle_gesture(Gesture.DOUBLE))
    # Net effect: one step back from the rest, so the finished set reopens at rep 2.
    assert said[0] == "Going back."
    status = s.status()
    assert (status.state, status.set, status.rep) == (State.SET, 1, 2)


def test_while_paused_a_double_skips_and_a_press_carries_on(clock):
    s = started(clock, CURLS, PLANK)
    press(s)
    press(s)
    assert texts(s.handle_gesture(Gesture.LONG_HOLD)) == ["Paused. Press to carry on."]
    assert texts(s.handle_gesture(Gesture.DOUBLE))[0] == "Exercise 2 of 2: Plank."
    s.handle_gesture(Gesture.LONG_HOLD)
    assert press(s) == ["Carrying on."]
    assert s.status().state is State.INTRO


def test_a_hold_mid_set_says_the_rep_and_the_cues(clock):
    curls = dataclasses.replace(CURLS, reps=10, cues=("Elbows in.",))
    s = started(clock, curls)
    press(s)
    for _ in range(5):
        press(s)
    # The reps left, not the set's full count.
    assert texts(s.handle_gesture(Gesture.HOLD)) == [
        "5 done, 5 to go. Press after each rep.",
        "Elbows in.",
    ]


# -- paced reps -------------------------------------------------------------------------------


def test_a_paced_set_of_ten_ends_by_itself_at_its_planned_time(clock):
    s = started(clock, SQUATS)
    assert press(s)[-1] == "10 reps at my pace. Press to start, and to stop early."
    started_at = clock.now
    assert press(s) == ["1. Down."]
    said = run_until_press(s, clock)
    words = [(t, line.text) for t, line in said]
    assert words[:4] == [(2.0, "Hold."), (3.0, "Up."), (5.0, "2. Down."), (7.0, "Hold.")]
    assert (45.0, "10. Down.") in words
    done_at = next(t for t, text in words if text == "Set done.")
    assert done_at == pytest.approx(50.0, abs=0.5)  # 10 reps of 5 s
    assert (s.status().state, s.status().set) == (State.SET, 2)
    assert clock.now == started_at + 50 + 5  # the set, then its 5 s rest
    assert len([t for t in words if "Down" in t[1]]) == 9  # the first came with the press


def test_a_press_stops_a_paced_set_and_records_the_reps_done(clock):
    s = started(clock, SQUATS)
    press(s)
    press(s)
    clock.advance(17)  # rep 4 under way (reps start at 0, 5, 10, 15 s)
    s.tick()
    assert s.status().rep == 4
    assert press(s)[:2] == ["Set done.", "Rest for 5 seconds."]
    record = _end(s)
    assert record.set_reps == (SetReps("Squats", 1, 4, 10),)


def test_pace_stretches_every_tempo_and_a_pause_freezes_it_mid_rep(clock):
    s = started(clock, SQUATS, coaching=Coaching(pace=1.5))
    press(s)
    press(s)
    assert s.next_deadline() == clock.now + 3  # "Hold" after 2 s x 1.5
    clock.advance(4)
    s.tick()
    act(s, Action.PAUSE)
    clock.advance(60)
    assert s.tick() == []
    assert s.status().rep == 1
    act(s, Action.RESUME)
    assert s.next_deadline() == clock.now + 0.5  # "Up" was due 4.5 s into the rep


def test_a_hold_during_a_paced_set_says_the_rep_and_the_pace_goes_on(clock):
    s = started(clock, SQUATS)
    press(s)
    press(s)
    clock.advance(26)
    s.tick()
    deadline = s.next_deadline()
    assert texts(s.handle_gesture(Gesture.HOLD)) == ["Rep 6 of 10, 4 more after it."]
    assert s.next_deadline() == deadline


def test_paced_lines_are_rendered_before_the_set_starts():
    lines = routine_lines(lower_back())
    for text in ("1. Up.", "10. Up.", "Squeeze.", "Down.", "7"):
        assert text in lines


# -- verbosity --------------------------------------------------------------------------------


def words(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


def test_the_brief_script_has_under_half_the_words_and_keeps_the_essentials():
    full = preview_script(lower_back(), verbosity="full")
    brief = preview_script(lower_back(), verbosity="brief")
    # Both keep every word of the pace: the rest of brief is under half of full.
    pace = set(paced_lines(lower_back()))
    assert [t for t in brief if t in pace] == [t for t in full if t in pace]
    assert words([t for t in brief if t not in pace]) <= 0.45 * words(
        [t for t in full if t not in pace]
    )
    for kept in (
        "Set 1 of 3.",
        "Set 2 of 3.",
        "Final set.",
        "Left side.",
        "Switch to the right side.",
    ):
        assert brief.count(kept) == full.count(kept), kept
    for countdown in ("Hold for 30 seconds.", "And release."):
        assert brief.count(countdown) == full.count(countdown), countdown
    assert "Halfway there." in full and "Halfway there." not in brief
    assert [t for t in brief if t.startswith("Rest for")] == [
        t for t in full if t.startswith("Rest for")
    ]
    for number in ("3", "2", "1"):  # the countdowns (brief paced sets count reps too)
        assert brief.count(number) >= full.count(number)
    assert brief[-3:] == full[-3:]  # the summary
    assert not set(lower_back().exercises[0].setup) & set(brief)


def test_auto_verbosity_turns_brief_after_two_finished_sessions(clock):
    plank = dataclasses.replace(PLANK, setup=("Forearms down.",), cues=("Long back.",))
    mat = routine(plank)
    s = WorkoutSession(clock)
    s.set_routine(mat, finished_before=1)
    assert "Forearms down." in press(s)
    act(s, Action.END)
    s.set_routine(mat, finished_before=2)
    said = press(s)
    assert "Forearms down." not in said
    assert said[1:] == ["Exercise 1 of 1: Plank.", "Press when ready."]
    assert press(s) == ["Set 1 of 2."]
    # A hold always gives the full cues.
    assert "Long back." in texts(s.handle_gesture(Gesture.HOLD))


# -- nobody pressing --------------------------------------------------------------------------


def test_a_reminder_then_a_pause_then_the_workout_is_abandoned_with_active_minutes(clock):
    coaching = Coaching(idle_reminder=120, idle_pause=600, abandon_after=180 * 60)
    s = started(clock, CURLS, coaching=coaching)
    start = clock.now
    clock.advance(30)
    press(s)
    press(s)  # one rep after 30 s: then nobody
    assert s.next_deadline() == clock.now + 120
    clock.advance(120)
    assert texts(s.tick()) == ["Still there? Press to carry on; long-hold to pause."]
    assert s.next_deadline() == clock.now + 480
    clock.advance(480)
    assert texts(s.tick()) == [script.auto_paused()]
    assert s.status().state is State.PAUSED
    assert s.next_deadline() == clock.now + 180 * 60
    clock.advance(180 * 60)
    said = texts(s.tick())
    assert said[:2] == ["Workout ended.", "You did 0 exercises and 0 sets in 2 minutes."]
    assert s.status().state is State.IDLE
    assert s.snapshot() is None
    record = s.pop_finished()
    assert record is not None and not record.completed
    # Active: the 30 s, and the 120 s until the reminder; not the wait after it nor the pause.
    assert record.seconds == 150
    assert clock.now - start > 3 * 3600
    assert press(s)[1] == "Exercise 1 of 1: Curls."  # the next press starts afresh


def test_a_press_after_the_reminder_carries_on_and_the_wait_is_not_counted(clock):
    s = started(clock, CURLS, coaching=Coaching(idle_reminder=60, idle_pause=300))
    press(s)
    clock.advance(200)
    s.tick()
    assert press(s) == ["1"]
    assert s.status().state is State.SET
    assert _end(s).seconds == 60


# -- resuming exactly -------------------------------------------------------------------------


def test_a_resume_on_the_right_side_at_rep_7(clock):
    hamstrings = dataclasses.replace(
        lower_back().exercises[3], rest_seconds=0
    )  # per press, both sides, left first
    s = started(clock, hamstrings)
    press(s)
    for _ in range(10):
        press(s)  # the left side
    for _ in range(6):
        press(s)
    assert (s.status().side, s.status().rep) == ("right", 6)
    position = s.snapshot()
    assert position is not None
    # Through the store's form, as after a power cut.
    saved = progress.decode(json.loads(json.dumps(progress.encode(position))))

    later = FakeClock(start=3.0)
    again = WorkoutSession(later, speech_seconds=instant)
    again.set_routine(s_routine := routine(hamstrings))
    assert texts(again.offer_resume(saved)) == [
        "You stopped part way through Mat work, at Isometric banded hamstring curls, "
        "set 1 of 3, right side, rep 7.",
        "Press to carry on, or hold to start over.",
    ]
    said = press(again)
    assert said == [
        "Carrying on: Isometric banded hamstring curls, set 1 of 3, right side, rep 7.",
        "Move the band to your right heel. Do every rep on this leg.",
        s_routine.exercises[0].cues[0],
        "6 done, 4 to go. Press after each rep.",
    ]
    assert (again.status().side, again.status().rep) == ("right", 6)
    assert press(again) == ["7"]


def test_a_resumed_hold_runs_only_the_time_it_had_left(clock):
    s = started(clock, PLANK)
    press(s)
    press(s)
    clock.advance(12.5)
    s.tick()
    saved = s.snapshot()
    # Saved as its first half, done: a write per half, not one a second.
    assert saved is not None and saved.hold_elapsed == 10
    again = WorkoutSession(clock)
    again.offer_resume(saved)
    said = press(again)
    assert said[-1] == "Press to hold for the 10 seconds that were left."
    assert press(again) == ["Hold for 10 more seconds."]
    assert again.status().remaining_seconds == 10
    said = run_until_press(again, clock)
    assert [line.text for _, line in said][:4] == ["3", "2", "1", "And release."]


def test_a_paced_set_resumes_at_its_rep(clock):
    s = started(clock, SQUATS)
    press(s)
    press(s)
    clock.advance(17)
    s.tick()
    saved = s.snapshot()
    assert saved is not None and saved.rep == 3
    again = WorkoutSession(clock)
    again.offer_resume(saved)
    assert press(again)[-1] == "Press and I will pace you from rep 4."
    assert press(again) == ["4. Down."]
    assert again.status().rep == 4


# -- timed lines ------------------------------------------------------------------------------


def test_a_rest_ends_on_time_while_a_repeat_is_being_said(clock):
    s = started(clock, PLANK, CURLS)
    press(s)
    press(s)
    clock.advance(20)
    s.tick()  # resting 10 s from here
    rest_end = clock.now + 10
    clock.advance(6)
    repeat = s.handle_gesture(Gesture.HOLD)
    assert repeat[0].interrupt  # an answer to the button cuts in at once
    said = run_until_press(s, clock)
    countdown = [line for _, line in said if line.text in ("3", "2", "1")]
    assert [(line.text, line.due) for line in countdown] == [
        ("3", rest_end - 3),
        ("2", rest_end - 2),
        ("1", rest_end - 1),
    ]
    assert not any(line.keep for line in countdown)  # late countdown numbers may be dropped
    ending = [line for _, line in said if line.due == rest_end]
    assert ending[0].text == "Final set."
    assert all(line.keep and not line.interrupt for line in ending)
    assert s.status().state is State.SET
    assert clock.now == rest_end


# -- side order -------------------------------------------------------------------------------


def test_one_side_first_does_every_set_on_one_side_then_the_other(clock):
    lunges = dataclasses.replace(LUNGES, side_order="one_side_first")
    s = started(clock, lunges)
    order = []
    press(s)
    for _ in range(4):
        status = s.status()
        order.append((status.set, status.side))
        for _ in range(3):
            said = press(s)
        if s.status().state is State.REST:
            run_until_press(s, clock)
    assert order == [(1, "left"), (2, "left"), (1, "right"), (2, "right")]
    assert said[-3] == "Workout complete. Well done."
    record = s.pop_finished()
    assert record is not None and record.sets_done == 2


def _end(s: WorkoutSession):
    act(s, Action.END)
    record = s.pop_finished()
    assert record is not None
    return record
