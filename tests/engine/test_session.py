"""The session engine, driven like the daemon drives it: gestures, actions and a fake clock."""

from __future__ import annotations

import dataclasses

import pytest

from device.engine.session import UNDO_WINDOW, SessionRecord, WorkoutSession
from device.engine.state import SetReps
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine
from routines.validation import load_library

ADDRESS = "http://spotter.local:8080"


@pytest.fixture
def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    return routine


class Address:
    """The page's address as the network gives it, counting how often it is asked."""

    def __init__(self, url: str | None = ADDRESS) -> None:
        self.url = url
        self.asked = 0

    def __call__(self) -> str | None:
        self.asked += 1
        return self.url


def instant(text: str) -> float:
    """A voice that takes no time: these tests follow the clock, not the length of lines
    (``test_speech_fit`` does that)."""
    return 0.0


@pytest.fixture
def address() -> Address:
    return Address()


@pytest.fixture
def session(clock: FakeClock, lower_back: Routine, address: Address) -> WorkoutSession:
    s = WorkoutSession(clock, default_rest=30, address=address, speech_seconds=instant)
    s.set_routine(lower_back, sessions_this_week=1, weekly_goal=3)
    return s


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def press(session: WorkoutSession) -> list[str]:
    return texts(session.handle_gesture(Gesture.PRESS))


def tick_at(session: WorkoutSession, clock: FakeClock, at: float) -> list[str]:
    assert at >= clock.now
    clock.now = at
    lines = session.tick()
    assert not any(line.interrupt for line in lines), "timed lines never cut speech short"
    return texts(lines)


def timeline(session: WorkoutSession, clock: FakeClock) -> list[tuple[float, str]]:
    """Let time run through the current hold or rest (and what follows it, if timed)
    by jumping to each deadline; (seconds from now, text) for everything said."""
    start = clock.now
    said: list[tuple[float, str]] = []
    while not session.waiting_for_press() and (deadline := session.next_deadline()) is not None:
        said += [(round(deadline - start, 3), t) for t in tick_at(session, clock, deadline)]
    return said


def do_reps(session: WorkoutSession, clock: FakeClock, reps: int) -> list[str]:
    """A rep every 2 seconds; what the last press said."""
    said: list[str] = []
    for _ in range(reps):
        clock.advance(2)
        said = press(session)
    return said


def tiny(**overrides: object) -> Routine:
    """A two-exercise routine with short numbers, for focused tests."""
    first = {"name": "Plank", "sets": 2, "hold_seconds": 4, "rest_seconds": 5}
    first.update(overrides)
    return Routine(
        id="tiny",
        name="Tiny",
        exercises=(
            Exercise(**first),  # type: ignore[arg-type]
            Exercise(name="Squats", sets=2, reps=3, rest_seconds=2),
        ),
        sessions_per_week=2,
    )


# The double-press as it was before it became "back": settings that map it keep working.
DOUBLE_SKIPS = {**DEFAULT_GESTURE_ACTIONS, Gesture.DOUBLE: Action.SKIP}


def start_tiny(
    clock: FakeClock, actions: dict[Gesture, Action] = DOUBLE_SKIPS, **overrides: object
) -> WorkoutSession:
    s = WorkoutSession(clock, gesture_actions=actions, speech_seconds=instant)
    s.set_routine(tiny(**overrides))
    press(s)
    return s


# -- a whole workout ------------------------------------------------------------------------


def test_a_full_run_of_the_lower_back_routine(session, clock, lower_back):
    start = clock.now
    assert texts(session.greeting()) == ["Ready. Press the button to start Lower-back relief."]

    # The first exercise is introduced once: name, equipment, set-up, then a prompt.
    # One safety line starts every workout.
    intro = session.handle_gesture(Gesture.PRESS)
    assert [line.interrupt for line in intro] == [True] + [False] * (len(intro) - 1)
    safety, *said = texts(intro)
    assert "sharp or shooting pain" in safety and "long-hold" in safety
    assert said[0] == "Exercise 1 of 4: Hip flexor wall stretch."
    assert said[1] == "You need: yoga mat and wall."
    assert said[2:5] == list(lower_back.exercises[0].setup)
    assert said[-1] == "Press when you are in position."
    assert session.status().state is State.INTRO

    # Set 1, left side first, with the movement cues and what to press.
    said = press(session)
    assert said[:3] == [
        "Set 1 of 3.",
        "Left side.",
        "Left knee down, toes against the wall, right foot in front.",
    ]
    assert said[3:6] == list(lower_back.exercises[0].cues)
    assert said[-1] == "Press to start the 30 second hold."
    status = session.status()
    assert (status.state, status.set, status.sets, status.side) == (State.SET, 1, 3, "left")
    assert session.waiting_for_press()

    # The hold counts itself down: start, halfway, 3, 2, 1, release; then the other side.
    hold_start = clock.now
    assert press(session) == ["Hold for 30 seconds."]
    assert session.status().remaining_seconds == 30
    assert session.next_deadline() == hold_start + 15
    assert tick_at(session, clock, hold_start + 14.9) == []
    assert session.status().remaining_seconds == 16
    assert timeline(session, clock) == [
        (0.1, "Halfway there."),
        (12.1, "3"),
        (13.1, "2"),
        (14.1, "1"),
        (15.1, "And release."),
        (15.1, "Switch to the right side."),
        (15.1, "Now the right knee down, toes against the wall, left foot in front."),
        (15.1, "Press to start the 30 second hold."),
    ]
    status = session.status()
    assert (status.state, status.set, status.side) == (State.SET, 1, "right")

    # A worker that wakes late says only what still makes sense, then moves on.
    press(session)
    clock.advance(31)
    assert texts(session.tick()) == ["And release.", "Set done.", "Rest for 20 seconds."]
    status = session.status()
    assert (status.state, status.set, status.side) == (State.REST, 2, "left")
    assert status.remaining_seconds == 19  # the rest began when the hold was due to end

    # Rest: its last three seconds counted, then the next set announced.
    rest_end = clock.now + 19
    assert session.next_deadline() == rest_end - 3
    said_rest = timeline(session, clock)
    assert [t for _, t in said_rest[:3]] == ["3", "2", "1"]
    assert said_rest[3] == (19.0, "Set 2 of 3.")
    assert [t for _, t in said_rest][4] == "Left side."

    # Set 2: left, right, then a press skips the rest; the final set follows.
    press(session)
    timeline(session, clock)
    press(session)
    assert tick_at(session, clock, clock.now + 30)[-1] == "Rest for 20 seconds."
    said = press(session)
    assert said[:2] == ["Final set.", "Left side."]
    assert session.waiting_for_press()

    # After the last set of the stretch: its longer rest, saying what comes next.
    press(session)
    timeline(session, clock)
    press(session)
    said_after = timeline(session, clock)
    at = [t for _, t in said_after].index("Rest for 45 seconds.")
    # The mat is in use already: nobody is told to bring it.
    assert said_after[at - 2 : at + 6] == [
        (30.0, "And release."),
        (30.0, "Set done."),
        (30.0, "Rest for 45 seconds."),
        (30.0, "Next up: Reverse ab curls."),
        (72.0, "3"),
        (73.0, "2"),
        (74.0, "1"),
        (75.0, "Exercise 2 of 4: Reverse ab curls."),
    ]
    assert session.status().state is State.INTRO

    # Reverse ab curls are paced: one press, then every rep on the clock, 4 s each.
    said = press(session)
    assert said[0] == "Set 1 of 3."
    assert "Left side." not in said and "Right side." not in said
    assert said[-1] == "10 reps at my pace. Press to start, and to stop early."
    status = session.status()
    assert (status.rep, status.reps, status.side) == (0, 10, None)
    assert press(session) == ["1. Up."]
    paced = timeline(session, clock)
    assert paced[:3] == [(2.0, "Down."), (4.0, "2. Up."), (6.0, "Down.")]
    at = paced.index((40.0, "Set done."))
    assert paced[at - 2 : at + 2] == [
        (36.0, "10. Up."),
        (38.0, "Down."),
        (40.0, "Set done."),
        (40.0, "Rest for 30 seconds."),
    ]
    # What to press was said in the first set: later sets say their reps.
    assert paced[-1] == (70.0, "10 reps.")

    # Sets 2 and 3, then glute hip thrusts (paced too), every rest run out in full.
    def paced_set() -> list[str]:
        press(session)
        return [t for _, t in timeline(session, clock)]

    for _ in range(2):
        said = paced_set()
    assert said[said.index("Rest for 60 seconds.") + 1 :][:2] == [
        "Next up: Glute hip thrusts.",
        "Bring a bench and a barbell (optional).",
    ]
    press(session)  # in position
    for _ in range(3):
        said = paced_set()
    assert "Next up: Isometric banded hamstring curls." in said
    assert "Exercise 4 of 4: Isometric banded hamstring curls." in said

    # Hamstring curls: every rep on the left leg, then every rep on the right, per set.
    for set_number in (1, 2, 3):
        said = press(session) if set_number == 1 else [t for _, t in timeline(session, clock)][3:]
        assert said[0] == ("Final set." if set_number == 3 else f"Set {set_number} of 3.")
        assert said[1:3] == ["Left side.", "Band on the left heel. Do every rep on this leg."]
        said = do_reps(session, clock, 10)
        assert said == [
            "10",
            "Switch to the right side.",
            "Move the band to your right heel. Do every rep on this leg.",
            "10 reps. Press after each rep." if set_number == 1 else "10 reps.",
        ]
        assert session.status().side == "right"
        said = do_reps(session, clock, 10)
        if set_number < 3:
            assert said == ["10", "Set done.", "Rest for 30 seconds."]

    # The summary: exercises, sets, minutes, and the week against the goal.
    seconds = clock.now - start
    assert said == [
        "10",
        "Set done.",
        "Workout complete. Well done.",
        f"You did 4 exercises and 12 sets in {round(seconds / 60)} minutes.",
        "That is 2 of 3 sessions this week.",
    ]
    assert session.status().state is State.DONE
    assert session.snapshot() is None
    record = session.pop_finished()
    every_set = (
        *(SetReps("Reverse ab curls", n, 10, 10) for n in (1, 2, 3)),
        *(SetReps("Glute hip thrusts", n, 10, 10) for n in (1, 2, 3)),
        *(
            SetReps("Isometric banded hamstring curls", n, 10, 10, side)
            for n in (1, 2, 3)
            for side in ("left", "right")
        ),
    )
    assert record == SessionRecord(
        "lower-back", "Lower-back relief", 4, 12, seconds, True, every_set, 12
    )
    assert session.pop_finished() is None

    # One press after the summary starts the next workout (the next member needs no
    # press to wake Spotter first).
    again = press(session)
    assert "sharp or shooting pain" in again[0]
    assert again[1] == "Exercise 1 of 4: Hip flexor wall stretch."
    assert session.status().state is State.INTRO
    assert session.pop_finished() is None


def test_the_week_is_counted_against_the_goal(clock, lower_back):
    s = WorkoutSession(clock)
    s.set_routine(lower_back, sessions_this_week=2, weekly_goal=3)
    press(s)
    assert texts(s.handle(Action.END))[-1] == "So far this week: 2 of 3 sessions."
    one_squat = Routine(id="s", name="S", exercises=(Exercise(name="Squat", sets=1, reps=1),))
    s.set_routine(one_squat, sessions_this_week=2, weekly_goal=3)
    press(s)
    press(s)
    assert press(s)[-1] == "That is 3 of 3 sessions. This week's goal is met."


# -- timing ---------------------------------------------------------------------------------


def test_a_short_hold_has_no_halfway_and_counts_only_what_fits(clock):
    s = start_tiny(clock, hold_seconds=2)
    press(s)
    assert press(s) == ["Hold for 2 seconds."]
    assert timeline(s, clock)[:2] == [(1.0, "1"), (2.0, "And release.")]


def test_a_zero_second_rest_goes_straight_on(clock):
    s = start_tiny(clock, rest_seconds=0)
    press(s)
    press(s)
    assert timeline(s, clock) == [
        (1.0, "3"),
        (2.0, "2"),
        (3.0, "1"),
        (4.0, "And release."),
        (4.0, "Set done."),
        (4.0, "Final set."),
        (4.0, "4 second hold."),
    ]
    assert s.status().state is State.SET


def test_a_press_ends_a_hold_early_and_skips_a_rest(clock):
    s = start_tiny(clock)
    press(s)
    press(s)
    clock.advance(1)
    assert press(s) == ["And release.", "Set done.", "Rest for 5 seconds."]
    assert s.next_deadline() == clock.now + 2
    clock.advance(1)
    assert press(s)[0] == "Final set."
    assert s.waiting_for_press()


def test_a_per_set_exercise_ends_its_set_with_one_press(clock):
    s = WorkoutSession(clock, default_rest=7)
    s.set_routine(
        Routine(
            id="r",
            name="R",
            exercises=(Exercise(name="Rows", sets=2, reps=12, count="per_set", sides="both"),),
        )
    )
    press(s)
    assert press(s)[-1] == "12 reps. Press when the set is done."
    assert s.status().rep is None
    assert press(s) == ["Switch to the right side.", "12 reps. Press when the set is done."]
    assert press(s) == ["Set done.", "Rest for 7 seconds."]  # the default rest


def test_the_clock_stands_still_while_paused(session, clock):
    press(session)
    press(session)
    press(session)  # the hold starts
    hold_start = clock.now
    clock.advance(10)
    assert texts(session.handle_gesture(Gesture.LONG_HOLD)) == ["Paused. Press to carry on."]
    status = session.status()
    assert (status.state, status.remaining_seconds) == (State.PAUSED, 20)
    assert session.next_deadline() == clock.now + 180 * 60  # abandoned only after 3 hours
    clock.advance(100)
    assert session.tick() == []
    assert session.status().remaining_seconds == 20
    assert press(session) == ["Carrying on."]
    assert session.status().state is State.HOLD
    assert session.next_deadline() == hold_start + 100 + 15
    assert timeline(session, clock)[0] == (5.0, "Halfway there.")
    assert _end(session).seconds == 30  # the whole hold, and not a second of the pause


def _end(session: WorkoutSession) -> SessionRecord:
    session.handle(Action.END)
    record = session.pop_finished()
    assert record is not None
    return record


def test_a_rest_pauses_too(clock):
    s = start_tiny(clock)
    press(s)
    press(s)
    clock.advance(4)
    s.tick()
    s.handle(Action.PAUSE)
    assert s.status().remaining_seconds == 5
    clock.advance(60)
    s.handle(Action.NEXT)
    assert s.status().state is State.REST
    assert s.status().remaining_seconds == 5


def test_long_hold_while_paused_asks_before_ending(session, clock):
    press(session)
    clock.advance(3)
    session.handle_gesture(Gesture.LONG_HOLD)
    assert texts(session.handle_gesture(Gesture.LONG_HOLD)) == [
        "Long-hold again to end the workout, or press to carry on."
    ]
    assert session.status().state is State.PAUSED
    assert session.pop_finished() is None
    # A press here carries on instead.
    assert press(session) == ["Carrying on."]
    assert session.status().state is State.INTRO
    session.handle_gesture(Gesture.LONG_HOLD)
    session.handle_gesture(Gesture.LONG_HOLD)
    clock.advance(50)
    said = texts(session.handle_gesture(Gesture.LONG_HOLD))
    assert said == [
        "Workout ended.",
        "You did 0 exercises and 0 sets in under a minute.",
        "So far this week: 1 of 3 sessions.",
    ]
    record = session.pop_finished()
    assert record is not None
    assert (record.completed, record.seconds) == (False, 3)


def test_end_from_the_page_ends_at_once_and_counts_what_was_done(session, clock):
    press(session)
    press(session)
    press(session)
    clock.advance(30)
    session.tick()
    press(session)
    clock.advance(30)
    session.tick()  # one whole set of the stretch: both sides
    press(session)  # skip the rest
    said = session.handle(Action.END)
    assert said[0] == Line("Workout ended.", interrupt=True)
    assert said[1].text == "You did 1 exercise and 1 set in 1 minute."
    assert session.status().state is State.DONE
    record = session.pop_finished()
    assert record is not None
    assert (record.exercises_done, record.sets_done, record.completed) == (1, 1, False)


# -- repeat, skip, double-press -------------------------------------------------------------


def test_repeat_says_the_last_instruction_again_in_every_state(session, clock, lower_back):
    stretch = lower_back.exercises[0]
    hold = Gesture.HOLD
    assert texts(session.handle_gesture(hold)) == [
        "Ready. Press the button to start Lower-back relief."
    ]
    intro = press(session)
    again = texts(session.handle_gesture(hold))
    assert again[:-1] == intro[1:-1] + list(stretch.cues)
    assert again[-1] == intro[-1]
    announcement = press(session)
    assert texts(session.handle_gesture(hold)) == announcement
    press(session)
    clock.advance(5)
    said = texts(session.handle_gesture(hold))
    assert said == [*stretch.cues, "Keep holding. Press to let go early."]
    assert session.next_deadline() == clock.now + 10  # repeating moved nothing
    press(session)
    assert texts(session.handle_gesture(hold))[0] == "Set 1 of 3."  # now on the right side
    assert texts(session.handle_gesture(hold))[1] == "Right side."
    press(session)
    press(session)
    assert texts(session.handle_gesture(hold)) == ["Resting. Press to skip the rest."]
    session.handle(Action.PAUSE)
    assert texts(session.handle_gesture(hold)) == ["Paused. Press to carry on."]
    summary = texts(session.handle(Action.END))
    assert texts(session.handle_gesture(hold)) == summary
    assert session.status().last_spoken == summary[-1]


def test_skip_goes_to_the_next_exercise_and_after_the_last_to_the_summary(session, clock):
    press(session)
    press(session)
    said = texts(session.handle(Action.SKIP))
    assert said[0] == "Exercise 2 of 4: Reverse ab curls."
    status = session.status()
    assert (status.state, status.exercise_index, status.set) == (State.INTRO, 1, 1)
    press(session)
    press(session)  # the paced set starts, and is skipped before it ends
    clock.advance(5)
    session.handle(Action.SKIP)
    session.handle(Action.SKIP)
    assert session.status().exercise_name == "Isometric banded hamstring curls"
    said = texts(session.handle(Action.SKIP))
    assert said[0] == "Workout ended."  # nothing finished: not a workout done
    record = session.pop_finished()
    assert record is not None
    assert (record.exercises_done, record.sets_done, record.completed) == (0, 0, False)


def test_skipping_the_last_exercise_after_real_work_completes(clock):
    s = start_tiny(clock)
    press(s)
    press(s)
    s.handle(Action.NEXT)  # end the hold early
    said = texts(s.handle(Action.SKIP))  # from the rest, past the second plank set
    assert said[0] == "Exercise 2 of 2: Squats."
    assert texts(s.handle(Action.SKIP))[0] == "Workout complete. Well done."
    record = s.pop_finished()
    assert record is not None
    assert (record.exercises_done, record.sets_done, record.completed) == (1, 1, True)


def test_a_skip_while_paused_unpauses_and_skips(clock):
    s = start_tiny(clock)
    s.handle(Action.PAUSE)
    clock.advance(20)
    said = texts(s.handle(Action.SKIP))
    assert said[0] == "Exercise 2 of 2: Squats."
    assert s.status().state is State.INTRO
    assert _end(s).seconds == 0


def test_a_double_press_takes_back_the_press_it_began_with(clock):
    s = start_tiny(clock)
    press(s)
    press(s)
    s.handle(Action.NEXT)  # hold ended early: resting before the final plank set
    s.handle(Action.NEXT)
    assert s.status().set == 2
    # The double's first press was answered at once (the hold began) ...
    assert press(s) == ["Hold for 4 seconds."]
    clock.advance(0.3)
    # ... then the double undoes it and skips to the next exercise.
    said = texts(s.handle_gesture(Gesture.DOUBLE))
    assert said[0] == "Exercise 2 of 2: Squats."
    press(s)
    for _ in range(3):
        said = press(s)
    assert said[-2:] == ["Set done.", "Rest for 2 seconds."]
    record = _end(s)
    assert record.sets_done == 2  # one plank set, one squat set: the undone hold never counted


def test_an_undone_last_rep_does_not_finish_the_set(clock):
    s = start_tiny(clock)
    s.handle(Action.SKIP)
    press(s)
    press(s)
    press(s)
    assert press(s)[-1] == "Rest for 2 seconds."
    said = texts(s.handle_gesture(Gesture.DOUBLE))
    assert said[0] == "Workout ended."  # the squats were skipped with no finished set
    record = s.pop_finished()
    assert record is not None
    assert record.sets_done == 0


def test_a_double_long_after_a_press_undoes_nothing(clock):
    s = start_tiny(clock)
    press(s)  # set 1 announced
    press(s)  # the hold starts
    press(s)  # and is ended early: set 1 of the plank is done
    clock.advance(UNDO_WINDOW + 0.1)
    said = texts(s.handle_gesture(Gesture.DOUBLE))
    assert said[0] == "Exercise 2 of 2: Squats."
    assert s.status().state is State.INTRO
    s.handle(Action.END)
    record = s.pop_finished()
    assert record is not None
    # Taken back, the press that finished the plank's set would leave no set done.
    assert record.sets_done == 1


def test_a_double_after_another_gesture_undoes_nothing(clock):
    s = start_tiny(clock)
    s.handle(Action.SKIP)
    press(s)
    do_reps(s, clock, 3)  # the squat set is done
    s.handle_gesture(Gesture.HOLD)
    assert texts(s.handle_gesture(Gesture.DOUBLE))[0] == "Workout complete. Well done."
    record = s.pop_finished()
    assert record is not None
    assert record.sets_done == 1


def test_a_double_in_idle_mapped_to_skip_starts_the_routine(session):
    session.configure(default_rest=30, gesture_actions=DOUBLE_SKIPS)
    said = texts(session.handle_gesture(Gesture.PRESS))
    assert said[1] == "Exercise 1 of 4: Hip flexor wall stretch."
    assert texts(session.handle_gesture(Gesture.DOUBLE))[1] == said[1]
    assert session.status().exercise_index == 0


def test_the_gesture_mapping_comes_from_settings(session):
    session.configure(
        default_rest=10,
        gesture_actions={Gesture.PRESS: Action.REPEAT, Gesture.HOLD: Action.NEXT},
    )
    # A press now repeats, and the prompts name the gesture that moves on: a hold.
    assert press(session) == ["Ready. Hold the button to start Lower-back relief."]
    intro = texts(session.handle_gesture(Gesture.HOLD))
    assert session.status().state is State.INTRO
    assert intro[-1] == "Hold when you are in position."
    assert session.handle_gesture(Gesture.LONG_HOLD) == []


def test_prompts_follow_a_remapped_button(session):
    session.configure(
        default_rest=10,
        gesture_actions={
            Gesture.PRESS: Action.PAUSE,
            Gesture.DOUBLE: Action.NEXT,
            Gesture.HOLD: Action.REPEAT,
            Gesture.LONG_HOLD: Action.SKIP,
        },
    )
    session.handle(Action.NEXT)
    said = texts(session.handle(Action.NEXT))
    assert said[-1] == "Double-press to start the 30 second hold."
    assert texts(session.handle(Action.PAUSE)) == ["Paused. Double-press to carry on."]
    assert texts(session.handle(Action.PAUSE)) == [
        "Press again to end the workout, or double-press to carry on."
    ]


def test_with_no_gesture_for_pause_the_end_is_left_to_the_page(session):
    session.configure(
        default_rest=10,
        gesture_actions={Gesture.PRESS: Action.NEXT, Gesture.HOLD: Action.REPEAT},
    )
    session.handle(Action.NEXT)
    session.handle(Action.PAUSE)  # the page's pause button
    assert texts(session.handle(Action.PAUSE)) == [
        "End the workout on the web page, or press to carry on."
    ]


# -- idle, done and the routine -------------------------------------------------------------


def test_a_long_hold_while_idle_speaks_the_address(session, address):
    said = session.handle_gesture(Gesture.LONG_HOLD)
    assert said == [Line("On your phone, open spotter dot local colon 8080.", interrupt=True)]
    address.url = None
    assert "no address" in texts(session.handle_gesture(Gesture.LONG_HOLD))[0]
    assert session.status().state is State.IDLE


def test_the_address_is_looked_up_only_when_it_is_spoken(session, clock, address):
    # Wi-Fi may come up late, so idle asks afresh each time; mid-workout a pause must
    # never wait on a network lookup.
    session.handle_gesture(Gesture.LONG_HOLD)
    assert address.asked == 1
    press(session)  # start
    press(session)  # in position
    for gesture in (Gesture.LONG_HOLD, Gesture.PRESS, Gesture.HOLD, Gesture.LONG_HOLD):
        session.handle_gesture(gesture)
    clock.advance(5)
    session.tick()
    session.handle_gesture(Gesture.LONG_HOLD)  # asks to confirm the end
    session.handle_gesture(Gesture.LONG_HOLD)  # ends
    assert session.status().state is State.DONE
    assert address.asked == 1
    assert texts(session.handle_gesture(Gesture.LONG_HOLD))[0].startswith("On your phone")
    assert address.asked == 2


def test_without_a_routine_a_press_says_so(clock):
    s = WorkoutSession(clock)
    said = press(s)
    assert said == ["There is no routine to start yet. Choose one on the web page."]
    assert s.status().state is State.IDLE
    assert s.status().routine_id is None


def test_a_routine_change_waits_for_the_next_start(session, clock, lower_back):
    press(session)
    session.set_routine(tiny())
    assert session.status().routine_id == "lower-back"
    press(session)
    assert session.status().exercise_name == "Hip flexor wall stretch"
    session.handle(Action.END)
    assert press(session)[1] == "Exercise 1 of 2: Plank."
    assert session.status().routine_id == "tiny"


def test_status_fields_in_each_state(session, clock):
    status = session.status()
    assert status.state is State.IDLE
    assert (status.routine_id, status.exercise_index, status.set) == ("lower-back", None, None)
    press(session)
    status = session.status()
    assert (status.exercise_index, status.exercise_name) == (0, "Hip flexor wall stretch")
    assert (status.set, status.sets, status.side, status.remaining_seconds) == (1, 3, "left", None)
    press(session)
    press(session)
    clock.advance(12.5)
    status = session.status()
    assert (status.state, status.remaining_seconds, status.rep) == (State.HOLD, 18, None)
    assert status.last_spoken == "Hold for 30 seconds."
    session.handle(Action.END)
    status = session.status()
    assert (status.state, status.routine_name, status.exercise_index) == (
        State.DONE,
        "Lower-back relief",
        None,
    )
    assert status.to_dict()["state"] == "done"


# -- resuming after a power cut -------------------------------------------------------------


def pressed(routine: Routine) -> Routine:
    """The routine with every paced exercise counted by presses instead."""
    return dataclasses.replace(
        routine,
        exercises=tuple(
            dataclasses.replace(e, count="per_rep", tempo=()) if e.is_paced else e
            for e in routine.exercises
        ),
    )


def _ab_curls_set_two(session: WorkoutSession, clock: FakeClock) -> None:
    """Skip the stretch, finish one set of ab curls and count 4 reps of the second."""
    session.set_routine(pressed(load_library()[0]))
    press(session)
    session.handle(Action.SKIP)
    press(session)
    for _ in range(10):
        clock.advance(3)
        press(session)
    timeline(session, clock)
    for _ in range(4):
        clock.advance(3)
        press(session)


def test_a_snapshot_changes_only_when_the_position_does(session, clock):
    assert session.snapshot() is None
    press(session)
    press(session)
    press(session)
    first = session.snapshot()
    assert first is not None
    assert (first.exercise, first.set_number, first.side) == (0, 1, 0)
    session.tick()
    assert session.snapshot() == first
    clock.advance(14.9)
    session.tick()
    assert session.snapshot() == first
    clock.advance(5.5)
    session.tick()
    # Half the hold is done: a power cut now costs at most the other half.
    assert session.snapshot() == dataclasses.replace(first, hold_elapsed=15)
    clock.advance(10)
    session.tick()
    assert session.snapshot().side == 1
    assert session.snapshot().hold_elapsed == 0


def test_a_workout_resumes_at_its_rep_after_a_restart(session, clock, lower_back):
    _ab_curls_set_two(session, clock)
    saved = session.snapshot()
    assert saved is not None
    assert saved.routine == pressed(lower_back)
    assert (saved.exercise, saved.set_number, saved.finished_sets) == (1, 2, (0, 1, 0, 0))
    assert saved.rep == 4
    elapsed = saved.elapsed
    assert elapsed == 30 + 30  # ten reps at 3 s, then the rest: set 2 began at 60 s

    # The power comes back: a new engine on a new clock.
    later = FakeClock(start=5.0)
    again = WorkoutSession(later, speech_seconds=instant)
    again.set_routine(lower_back, sessions_this_week=0, weekly_goal=3)
    offer = again.offer_resume(saved, sessions_this_week=0, weekly_goal=3)
    assert texts(offer) == [
        "You stopped part way through Lower-back relief, at Reverse ab curls, set 2 of 3, rep 5.",
        "Press to carry on, or hold to start over.",
    ]
    assert again.status().state is State.IDLE
    assert again.snapshot() == saved  # kept until the user decides
    said = press(again)
    # The place and a short cue: not the exercise's introduction again.
    assert said == [
        "Carrying on: Reverse ab curls, set 2 of 3, rep 5.",
        pressed(lower_back).exercises[1].cues[0],
        "4 done, 6 to go. Press after each rep.",  # the reps left, not the set's count
    ]
    status = again.status()
    assert (status.state, status.set, status.rep) == (State.SET, 2, 4)
    assert press(again) == ["5"]
    later.advance(10)
    record = _end(again)
    assert (record.exercises_done, record.sets_done) == (1, 1)
    assert record.seconds == elapsed + 10


def test_a_hold_on_the_offer_starts_over(session, clock, lower_back):
    _ab_curls_set_two(session, clock)
    saved = session.snapshot()
    assert saved is not None
    again = WorkoutSession(clock)
    again.set_routine(lower_back)
    again.offer_resume(saved)
    said = texts(again.handle_gesture(Gesture.HOLD))
    assert said[1] == "Exercise 1 of 4: Hip flexor wall stretch."
    assert again.snapshot().finished_sets == (0, 0, 0, 0)


def test_ending_on_the_offer_drops_it(session, clock, lower_back):
    _ab_curls_set_two(session, clock)
    again = WorkoutSession(clock)
    again.set_routine(lower_back)
    again.offer_resume(session.snapshot())
    assert texts(again.handle(Action.END))[0].startswith("Ready.")
    assert again.snapshot() is None


def test_a_record_waits_for_collection_whatever_comes_after(session):
    press(session)
    session.handle(Action.END)
    press(session)  # back to idle
    press(session)  # and a new start
    record = session.pop_finished()
    assert record is not None and not record.completed
    assert session.pop_finished() is None


# -- what the page says a press does, and what follows a rest -------------------------------

KNEE = Routine(
    id="knee",
    name="Knee",
    exercises=(
        Exercise(name="Wall sit", sets=2, hold_seconds=5, rest_seconds=10, rest_after_seconds=10),
        Exercise(name="Clamshells", sets=2, reps=2, sides="both"),
    ),
)


def test_status_says_what_a_press_does_and_what_follows_a_rest(clock):
    session = WorkoutSession(clock, default_rest=30)
    session.set_routine(KNEE, sessions_this_week=0, weekly_goal=None)

    def shown() -> tuple[str | None, str | None]:
        status = session.status()
        return status.press_does, status.next_up

    assert shown() == ("start Knee", None)
    press(session)
    assert shown() == ("start the first set", None)
    press(session)
    assert shown() == ("start the hold", None)
    press(session)
    assert shown() == ("let go early", None)
    press(session)
    assert session.status().state is State.REST
    assert shown() == ("skip the rest", "Set 2 of 2: 5 s hold")
    assert session.status().to_dict()["next_up"] == "Set 2 of 2: 5 s hold"
    press(session)
    press(session)
    press(session)
    assert shown() == ("skip the rest", "Clamshells: 2 sets of 2 reps, each side")
    press(session)
    press(session)
    assert shown() == ("count a rep", None)
    press(session)
    assert shown() == ("count the last rep", None)
    session.handle(Action.PAUSE)
    assert shown() == ("carry on", None)
    session.handle(Action.END)
    assert session.status().to_dict()["press_does"] == "start the next workout"


def test_a_press_mapped_elsewhere_is_described_as_what_it_does(clock):
    actions = {**DEFAULT_GESTURE_ACTIONS, Gesture.PRESS: Action.REPEAT, Gesture.HOLD: Action.NEXT}
    session = WorkoutSession(clock, gesture_actions=actions)
    session.set_routine(KNEE, sessions_this_week=0, weekly_goal=None)
    assert session.status().press_does == "hear that again"


def test_a_copied_state_has_every_field_and_changes_on_its_own():
    from copy import copy
    from dataclasses import fields

    from device.engine.state import SessionState

    state = SessionState(
        **{f.name: value for f, value in zip(fields(SessionState), range(100, 200), strict=False)}
    )
    copied = copy(state)
    assert copied == state and copied is not state
    copied.exercise += 1
    assert state.exercise != copied.exercise
