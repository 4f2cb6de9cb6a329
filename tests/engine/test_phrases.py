"""The phrasebook, the preview of a whole routine, and the lines rendered ahead of time."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from device.engine import phrases, preview
from device.engine.session import WorkoutSession
from device.events import Action, Gesture, State
from device.testing import FakeClock
from routines.model import Exercise, Routine
from routines.validation import load_library


@cache
def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    return routine


@cache
def lower_back_lines() -> frozenset[str]:
    return frozenset(preview.routine_lines(lower_back()))


def test_the_preview_speaks_the_whole_lower_back_routine():
    lines = preview.preview_script(lower_back())
    for number, name in enumerate(
        (
            "Hip flexor wall stretch",
            "Reverse ab curls",
            "Glute hip thrusts",
            "Isometric banded hamstring curls",
        ),
        start=1,
    ):
        assert lines.count(f"Exercise {number} of 4: {name}.") == 1
    # Both sides of the two one-sided moves, in every set.
    assert lines.count("Left side.") == 6
    assert lines.count("Switch to the right side.") == 6
    # Six holds, each counted down; rests counted too.
    assert lines.count("Hold for 30 seconds.") == 6
    assert lines.count("Halfway there.") == 6
    assert lines.count("And release.") == 6
    rests = [line for line in lines if line.startswith("Rest for ")]
    assert len(rests) == 11  # 2 between sets of each of four moves, and 3 between moves
    assert "Rest for 45 seconds." in rests
    assert lines.count("1") >= 6 + 11
    assert lines.count("Final set.") == 4
    assert "sharp or shooting pain" in lines[0]
    assert lines[1] == "Exercise 1 of 4: Hip flexor wall stretch."
    # The paced sets: every rep counted with its tempo's words, 3 sets of each.
    assert lines.count("10. Up.") == 6
    assert lines.count("Squeeze.") == 30
    assert lines.count("Next up: Glute hip thrusts.") == 1
    assert lines.count("Bring a bench and a barbell (optional).") == 1
    # 6 holds of 30 s, 3 paced sets of 40 s and 3 of 50 s, and
    # 20+20+45 + 30+30+60 + 30+30+60 + 30+30 s of rest, each from when its opening
    # line has been said.
    assert lines[-3:] == [
        "Workout complete. Well done.",
        "You did 4 exercises and 12 sets in 15 minutes.",
        "That is 1 of 3 sessions this week.",
    ]


def test_the_preview_uses_the_default_rest_where_a_routine_names_none():
    routine = Routine(
        id="r", name="R", exercises=(Exercise(name="Push-ups", sets=2, reps=5, count="per_set"),)
    )
    lines = preview.preview_script(routine, default_rest=12)
    assert "Rest for 12 seconds." in lines
    assert lines[-1] == "That is your first session this week."


def test_routine_lines_hold_the_fixed_phrases_and_leave_out_the_summary():
    lines = lower_back_lines()
    for text in (
        "Ready. Press the button to start Lower-back relief.",
        "Paused. Press to carry on.",
        "Carrying on.",
        "Long-hold again to end the workout, or press to carry on.",
        "Workout ended.",
        "Right side.",
        "Resting. Press to skip the rest.",
        "10",
        "3",
    ):
        assert text in lines
    assert not any(line.startswith(("You did", "That is")) for line in lines)


# One step of a user working through a routine without skipping or ending.
STEPS = st.sampled_from(["press", "wait", "wait_a_bit", "repeat", "pause", "pause_twice"])


@settings(max_examples=30, deadline=None)
@given(st.lists(STEPS, min_size=1, max_size=40), st.integers(0, 5))
def test_every_line_of_a_run_is_rendered_ahead_except_the_summary(steps, seconds_per_rep):
    clock = FakeClock()
    session = WorkoutSession(clock)
    session.set_routine(lower_back(), sessions_this_week=0, weekly_goal=3)
    spoken = [line.text for line in session.greeting()]
    for i in range(10_000):
        if session.status().state is State.DONE:
            break
        # Every other step is a press, so the workout always gets to its end.
        step = steps[(i // 2) % len(steps)] if i % 2 == 0 else "press"
        if step == "press" or (step.startswith("wait") and session.next_deadline() is None):
            clock.advance(seconds_per_rep)
            spoken += [line.text for line in session.handle(Action.NEXT)]
        elif step == "wait":
            clock.now = max(clock.now, session.next_deadline() or clock.now)
            spoken += [line.text for line in session.tick()]
        elif step == "wait_a_bit":
            clock.advance(1.5)
            spoken += [line.text for line in session.tick()]
        elif step == "repeat":
            spoken += [line.text for line in session.handle(Action.REPEAT)]
        else:
            spoken += [line.text for line in session.handle(Action.PAUSE)]
            if step == "pause_twice":
                spoken += [line.text for line in session.handle(Action.PAUSE)]
            clock.advance(7)
            spoken += [line.text for line in session.handle(Action.NEXT)]
    summary = spoken[-2:]
    assert summary[0].startswith("You did")
    assert set(spoken[:-2]) <= lower_back_lines()


def test_a_set_announcement_names_the_set_the_side_and_the_task():
    hold = Exercise(name="Wall sit", sets=2, hold_seconds=45, cues=("Back flat",))
    assert phrases.set_announcement(hold, 1, None, cues=True) == [
        "Set 1 of 2.",
        "Back flat.",
        "Press to start the 45 second hold.",
    ]
    reps = Exercise(name="Lunges", sets=2, reps=8, sides="both", first_side="right")
    assert phrases.set_announcement(reps, 2, "right") == [
        "Final set.",
        "Right side.",
        "8 reps. Press after each rep.",
    ]


def test_an_intro_without_equipment_goes_straight_to_the_set_up():
    ex = Exercise(name="Bridge", sets=1, reps=5, setup=("Lie on your back",))
    assert phrases.exercise_intro(ex, 2, 3) == [
        "Exercise 2 of 3: Bridge.",
        "Lie on your back.",
        "Press when you are in position.",
    ]
    ex = Exercise(name="Row", sets=1, reps=5, equipment=("band", "chair", "towel"))
    assert phrases.exercise_intro(ex, 1, 1)[1] == "You need: band, chair and towel."


def test_the_summary_counts_in_words_that_read_well():
    assert phrases.summary(1, 1, 29) == "You did 1 exercise and 1 set in under a minute."
    assert phrases.summary(1, 3, 89) == "You did 1 exercise and 3 sets in 1 minute."
    assert phrases.summary(4, 12, 14 * 60 + 40) == "You did 4 exercises and 12 sets in 15 minutes."


def test_weekly_progress_against_the_goal():
    assert phrases.weekly_progress(1, 3, counted=True) == "That is 1 of 3 sessions this week."
    assert phrases.weekly_progress(3, 3, counted=True).endswith("This week's goal is met.")
    assert phrases.weekly_progress(4, 3, counted=True) == (
        "That is 4 sessions this week, beyond your goal of 3."
    )
    assert phrases.weekly_progress(1, None, counted=True) == "That is your first session this week."
    assert phrases.weekly_progress(2, None, counted=True) == "That is 2 sessions this week."
    assert phrases.weekly_progress(0, 2, counted=False) == "So far this week: 0 of 2 sessions."
    assert phrases.weekly_progress(1, None, counted=False) == (
        "So far this week: 1 finished session."
    )


def test_the_address_is_read_out_or_its_absence_explained():
    assert phrases.address("http://10.0.0.7:8080") == (
        "On your phone, open 10 dot 0 dot 0 dot 7 colon 8080."
    )
    assert "no address" in phrases.address(None)


def test_the_prerendered_lines_follow_the_gesture_mapping():
    remapped = {Gesture.HOLD: Action.NEXT, Gesture.PRESS: Action.REPEAT}
    lines = preview.routine_lines(lower_back(), gesture_actions=remapped)
    assert "Hold when you are in position." in lines
    assert "Press when you are in position." not in lines
    assert "Paused. Hold to carry on." in lines
    # Every line a run speaks with that mapping is among them.
    spoken = preview.preview_script(lower_back(), gesture_actions=remapped)
    summary = set(spoken[-3:])
    assert set(spoken) - summary <= set(lines)


def test_the_prerendered_lines_come_in_the_order_a_workout_needs_them():
    routine = lower_back()
    lines = preview.routine_lines(routine)
    assert len(lines) == len(set(lines))
    spoken = preview.preview_script(routine)
    # The greeting, then the pain check-in the shipped routine starts with (the question,
    # its count and the score said back), then the run-through's own order, and the
    # question after the workout only once the workout's own lines are all there.
    assert lines[0] == phrases.greeting(routine.name)
    question = lines.index(phrases.pain_question(before=True))
    assert question < lines.index(phrases.count(10)) < lines.index(phrases.pain_noted(10))
    assert lines.index(phrases.pain_noted(10)) < lines.index(spoken[-4])
    counts = {phrases.count(n) for n in range(11)}
    run_through = [line for line in dict.fromkeys(spoken) if line in lines and line not in counts]
    at = [lines.index(line) for line in run_through]
    assert at == sorted(at)
    assert lines.index(phrases.pain_question(before=False)) > max(at)
    first, second = routine.exercises[0].name, routine.exercises[1]
    assert lines.index(phrases.up_next(second)[0]) > next(
        i for i, line in enumerate(lines) if first in line
    )
