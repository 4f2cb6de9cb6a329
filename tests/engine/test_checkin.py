"""Questions around a workout, through the engine the worker drives: who is training, and
the pain check-in before and after, with the fake clock and nothing else."""

from __future__ import annotations

import dataclasses

import pytest

from device.engine import phrases
from device.engine.core import CORRECT_SECONDS, Engine, PainScore, Question, Trainee
from device.events import Action, Gesture, Line, State
from device.testing import FakeClock
from routines.model import Exercise, Routine
from routines.validation import load_library

STEP = 1.0


@pytest.fixture
def lower_back() -> Routine:
    (routine,) = [r for r in load_library() if r.id == "lower-back"]
    assert routine.checkin == "pain"
    return routine


def quick(checkin: str = "pain") -> Routine:
    """One set of one per-set exercise: a press starts it, two more finish it."""
    return Routine(
        id="quick",
        name="Quick one",
        exercises=(Exercise(name="Squats", sets=1, reps=5, count="per_set", rest_seconds=0),),
        checkin=checkin,  # type: ignore[arg-type]
    )


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def engine_with(clock: FakeClock, routine: Routine) -> Engine:
    engine = Engine(clock, choice_step=STEP)
    engine.set_routine(routine, sessions_this_week=0, weekly_goal=3)
    return engine


def run(engine: Engine, clock: FakeClock, until: float) -> list[str]:
    """Let time pass as the worker does: a tick at each deadline, up to ``until``."""
    said: list[str] = []
    while (due := engine.next_deadline()) is not None and due <= until:
        clock.now = max(clock.now, due)
        said += texts(engine.tick())
    clock.now = max(clock.now, until)
    return said + texts(engine.tick())


def confirm(engine: Engine, clock: FakeClock) -> list[str]:
    """Let the window for correcting an answer pass (and anything it brings be said)."""
    return run(engine, clock, clock.now + 10 + CORRECT_SECONDS)


def count_to(engine: Engine, clock: FakeClock, number: int) -> list[str]:
    """Run until Spotter has just said ``number`` in the count of a pain question."""
    said: list[str] = []
    while phrases.count(number) not in said:
        due = engine.next_deadline()
        assert due is not None, said
        clock.now = due
        said += texts(engine.tick())
    return said


# -- the pain check-in --------------------------------------------------------------------


def test_a_press_at_four_answers_the_check_in_and_the_workout_starts(clock, lower_back):
    engine = engine_with(clock, lower_back)
    asked = texts(engine.gesture(Gesture.PRESS))
    assert asked == [phrases.pain_question(before=True)]
    assert engine.status().question == "pain_before"
    assert engine.status().state is State.IDLE
    said = count_to(engine, clock, 4)
    assert said == [phrases.count(n) for n in range(5)]
    clock.advance(0.6)  # the press comes a moment after the number
    answer = texts(engine.gesture(Gesture.PRESS))
    assert answer[0] == phrases.pain_noted(4)
    assert "Hip flexor wall stretch" in " ".join(answer)
    assert engine.status().state is State.INTRO
    assert engine.status().question is None
    # Kept once it can no longer be corrected.
    assert engine.pop_scores() == []
    confirm(engine, clock)
    assert engine.pop_scores() == [PainScore("before", 4)]
    assert engine.pop_scores() == []


def test_a_hold_skips_the_check_in(clock, lower_back):
    engine = engine_with(clock, lower_back)
    engine.gesture(Gesture.PRESS)
    count_to(engine, clock, 2)
    answer = texts(engine.gesture(Gesture.HOLD))
    assert answer[0] == phrases.pain_skipped()
    assert engine.status().state is State.INTRO
    assert engine.pop_scores() == []


def test_silence_through_ten_skips_the_check_in(clock, lower_back):
    engine = engine_with(clock, lower_back)
    engine.gesture(Gesture.PRESS)
    said = run(engine, clock, clock.now + 60)
    numbers = [phrases.count(n) for n in range(11)]
    assert said[: len(numbers)] == numbers
    assert said[len(numbers)] == phrases.pain_skipped()
    assert engine.status().state is State.INTRO
    assert engine.pop_scores() == []


def test_the_count_goes_at_the_speed_set(clock, lower_back):
    engine = Engine(clock, choice_step=2.0)
    engine.set_routine(lower_back, sessions_this_week=0, weekly_goal=3)
    engine.gesture(Gesture.PRESS)
    said_at = []
    while len(said_at) < 3:
        due = engine.next_deadline()
        assert due is not None
        clock.now = due
        said_at += [clock.now for _ in engine.tick()]
    assert said_at[1] - said_at[0] == pytest.approx(2.0)
    assert said_at[2] - said_at[1] == pytest.approx(2.0)


def test_a_routine_without_check_in_starts_at_once(clock):
    engine = engine_with(clock, quick(checkin="none"))
    assert "Squats" in " ".join(texts(engine.gesture(Gesture.PRESS)))
    assert engine.status().question is None


def finish_quick(engine: Engine, clock: FakeClock, before: int | None) -> list[str]:
    """Start the quick routine (answering the before-question with ``before``) and finish it."""
    engine.gesture(Gesture.PRESS)
    if before is None:
        engine.gesture(Gesture.HOLD)
    else:
        count_to(engine, clock, before)
        clock.advance(0.5)
        engine.gesture(Gesture.PRESS)
        confirm(engine, clock)
    said: list[str] = []
    while engine.status().state is not State.DONE:
        clock.advance(1)
        said += texts(engine.gesture(Gesture.PRESS))
    return said


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (4, 6, [phrases.pain_worse()]),
        (6, 4, [phrases.pain_better(2)]),
        (4, 5, []),
    ],
)
def test_feedback_after_the_workout(clock, before, after, expected):
    engine = engine_with(clock, quick())
    said = finish_quick(engine, clock, before)
    assert said[-1] == phrases.pain_question(before=False)
    assert engine.status().question == "pain_after"
    count_to(engine, clock, after)
    clock.advance(0.5)
    # The score is said back at once; advice only once it can no longer be corrected.
    assert texts(engine.gesture(Gesture.PRESS)) == [phrases.pain_noted(after)]
    assert engine.status().question is None
    assert engine.pop_scores() == [PainScore("before", before)]
    assert confirm(engine, clock) == expected
    assert engine.pop_scores() == [PainScore("after", after)]


@pytest.mark.parametrize(
    "line",
    [
        phrases.pain_worse(),
        phrases.pain_better(2),
        phrases.pain_noted(5),
        phrases.worse_last_time(),
    ],
)
def test_feedback_is_short_and_never_a_diagnosis(line):
    assert line.count(".") + line.count("!") <= 2
    for word in ("injur", "hernia", "disc", "sciatica", "strain", "you have"):
        assert word not in line.lower()


def test_the_phone_answers_the_question_being_asked(clock, lower_back):
    engine = engine_with(clock, lower_back)
    engine.gesture(Gesture.PRESS)
    count_to(engine, clock, 1)
    answer = texts(engine.answer(Question.PAIN_BEFORE, 7))
    assert answer[0] == phrases.pain_noted(7)
    assert engine.status().state is State.INTRO
    # Neither the button nor the phone can answer it a second time.
    clock.advance(1)
    engine.gesture(Gesture.PRESS)
    engine.answer(Question.PAIN_BEFORE, 2)
    confirm(engine, clock)
    assert engine.pop_scores() == [PainScore("before", 7)]


def test_a_score_from_the_phone_mid_workout_is_kept_and_not_asked_again(clock):
    engine = engine_with(clock, quick())
    engine.gesture(Gesture.PRESS)
    engine.gesture(Gesture.HOLD)  # no score before
    assert engine.answer(Question.PAIN_AFTER, 3) == []
    said: list[str] = []
    while engine.status().state is not State.DONE:
        clock.advance(1)
        said += texts(engine.gesture(Gesture.PRESS))
    assert phrases.pain_question(before=False) not in said
    assert engine.status().question is None
    assert engine.pop_scores() == [PainScore("after", 3)]
    # A score with nothing under way is dropped.
    assert engine.answer(Question.PAIN_BEFORE, 3) == []
    assert engine.pop_scores() == []


def test_after_a_workout_that_hurt_the_next_start_says_so_once(clock):
    engine = Engine(clock, choice_step=STEP)
    me = Trainee(1, "Me", quick(checkin="none"), last_pain=(3, 6))
    engine.set_people([me], current=1)
    first = texts(engine.gesture(Gesture.PRESS))
    assert first[0] == phrases.worse_last_time()
    engine.act(Action.END)
    assert engine.status().state is State.DONE
    engine.set_people([me], current=1)
    again = texts(engine.gesture(Gesture.PRESS))
    assert engine.status().state is State.INTRO
    assert phrases.worse_last_time() not in again


def test_no_mention_when_last_time_was_fine(clock):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people([Trainee(1, "Me", quick(checkin="none"), last_pain=(3, 4))], current=1)
    assert phrases.worse_last_time() not in texts(engine.gesture(Gesture.PRESS))


# -- who is training ------------------------------------------------------------------------


def people(count: int) -> list[Trainee]:
    names = ["Ann", "Bea", "Cal", "Dee", "Eve"][:count]
    return [
        Trainee(i + 1, name, dataclasses.replace(quick("none"), name=f"{name}'s routine"))
        for i, name in enumerate(names)
    ]


def test_with_one_profile_a_press_starts_at_once(clock):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(1), current=1)
    said = texts(engine.gesture(Gesture.PRESS))
    assert phrases.who_is_training() not in said
    assert engine.status().routine_name == "Ann's routine"
    assert engine.status().state is State.INTRO


@pytest.mark.parametrize("count", [2, 5])
def test_with_several_a_press_asks_and_reads_every_name(clock, count):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(count), current=1)
    assert texts(engine.gesture(Gesture.PRESS)) == [phrases.who_is_training()]
    assert engine.status().question == "who"
    said = run(engine, clock, clock.now + 60)
    names = [p.name for p in people(count)]
    assert said[:count] == names
    assert said[count:] == [phrases.nobody_chosen()]
    assert engine.status().state is State.IDLE
    assert engine.pop_chosen() is None


@pytest.mark.parametrize("count", [2, 5])
def test_a_press_at_a_name_starts_that_persons_routine(clock, count):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(count), current=1)
    engine.gesture(Gesture.PRESS)
    last = people(count)[-1]
    said: list[str] = []
    while last.name not in said:
        due = engine.next_deadline()
        assert due is not None
        clock.now = due
        said += texts(engine.tick())
    clock.advance(0.5)
    answer = texts(engine.gesture(Gesture.PRESS))
    assert answer[0] == phrases.trainee_chosen(last.name)
    assert engine.status().routine_name == f"{last.name}'s routine"
    assert engine.status().state is State.INTRO
    assert engine.pop_chosen() == last.id
    assert engine.pop_chosen() is None


def test_a_hold_starts_the_last_persons_routine(clock):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(2), current=2)
    engine.gesture(Gesture.PRESS)
    answer = texts(engine.gesture(Gesture.HOLD))
    assert answer[0] == phrases.trainee_chosen("Bea")
    assert engine.status().routine_name == "Bea's routine"
    assert engine.status().state is State.INTRO
    assert engine.pop_chosen() is None  # nothing changed


def test_the_chosen_person_is_then_asked_about_pain(clock, lower_back):
    engine = Engine(clock, choice_step=STEP)
    ann, bea = people(2)
    engine.set_people([ann, dataclasses.replace(bea, routine=lower_back)], current=1)
    engine.gesture(Gesture.PRESS)
    run(engine, clock, clock.now + 0.1)
    while "Bea" not in texts(engine.tick()):
        clock.now = engine.next_deadline() or clock.now
    clock.advance(0.5)
    said = texts(engine.gesture(Gesture.PRESS))
    assert said == [phrases.trainee_chosen("Bea"), phrases.pain_question(before=True)]
    assert engine.status().question == "pain_before"


def test_the_page_start_is_not_asked_who_is_training(clock):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(2), current=2)
    engine.act(Action.NEXT)
    assert engine.status().question is None
    assert engine.status().routine_name == "Bea's routine"


# -- the routine's body part -----------------------------------------------------------------


def knee(checkin: str = "pain") -> Routine:
    return dataclasses.replace(quick(checkin), checkin_area="knee")


def test_every_pain_line_names_the_routines_body_part(clock):
    engine = engine_with(clock, knee())
    asked = texts(engine.gesture(Gesture.PRESS))
    assert asked == [phrases.pain_question(before=True, area="knee")]
    assert "your knee" in asked[0] and "back" not in asked[0]
    assert engine.status().checkin_area == "knee"
    assert engine.status().press_does == "choose the number you hear"
    said = finish_quick(engine, clock, before=None)  # skipped before: no area needed
    assert phrases.pain_question(before=False, area="knee") in said
    assert engine.status().checkin_area == "knee"
    count_to(engine, clock, 8)
    clock.advance(0.5)
    feedback = texts(engine.gesture(Gesture.PRESS))
    assert feedback == [phrases.pain_noted(8)]


def test_worse_feedback_and_next_days_caution_name_the_body_part(clock):
    engine = engine_with(clock, knee())
    finish_quick(engine, clock, before=2)
    count_to(engine, clock, 6)
    clock.advance(0.5)
    assert texts(engine.gesture(Gesture.PRESS)) == [phrases.pain_noted(6)]
    feedback = confirm(engine, clock)
    assert feedback == [phrases.pain_worse("knee")]
    assert "your knee" in feedback[0]
    engine = engine_with(clock, knee())
    engine.set_people([Trainee(1, "Me", knee(), last_pain=(2, 6))], current=1)
    first = texts(engine.gesture(Gesture.PRESS))
    assert first[0] == phrases.worse_last_time("knee")
    assert "your knee" in first[0]


def test_an_old_routine_asks_about_the_back(clock, lower_back):
    assert lower_back.checkin_area == "back"
    engine = engine_with(clock, lower_back)
    assert "your back" in texts(engine.gesture(Gesture.PRESS))[0]
    assert engine.status().checkin_area == "back"


def test_the_knee_lines_are_rendered_in_advance():
    from device.engine.preview import routine_lines

    lines = routine_lines(knee())
    for line in phrases.checkin_lines("knee"):
        assert line in lines
    assert phrases.pain_question(before=True) not in lines


def test_the_page_says_a_press_asks_who_then_picks_a_name(clock):
    engine = Engine(clock, choice_step=STEP)
    engine.set_people(people(2), current=1)
    assert engine.status().press_does == "say who is training"
    engine.gesture(Gesture.PRESS)
    assert engine.status().press_does == "choose the name you hear"
    engine.set_people(people(1), current=1)
    assert engine.status().press_does is not None
    assert engine.status().press_does.startswith("start ")
