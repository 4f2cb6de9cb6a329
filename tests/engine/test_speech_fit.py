"""Coaching that fits real speech, on a fake clock: lines take the time ``estimate_seconds``
says, rests hold only what fits, and a double-press is answered without a fragment of
the press before it."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from device.engine import phrases
from device.engine.core import Engine, Question
from device.engine.gestures import Edge, GestureTimings
from device.engine.preview import routine_lines, talk_by_exercise
from device.engine.session import COUNTDOWN_GAP, Coaching, WorkoutSession
from device.engine.speech_time import estimate_seconds
from device.events import Action, Gesture, Line, Moment, State
from device.testing import FakeClock
from routines.model import Exercise, Routine
from tests.engine.talk import KNEE, Heard, run_workout


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def session(clock: FakeClock, *exercises: Exercise, **kwargs: object) -> WorkoutSession:
    s = WorkoutSession(clock, **kwargs)  # type: ignore[arg-type]
    s.set_routine(Routine(id="r", name="R", exercises=exercises))
    s.handle(Action.NEXT)  # the safety line and the first introduction
    return s


def press(s: WorkoutSession) -> list[str]:
    return texts(s.handle(Action.NEXT))


def run_out(s: WorkoutSession, clock: FakeClock) -> list[tuple[float, str]]:
    """Every timed line until a press is awaited, at its clock time."""
    said = []
    while not s.waiting_for_press() and (deadline := s.next_deadline()) is not None:
        clock.now = deadline
        said += [(clock.now, line.text) for line in s.tick()]
    return said


CURLS = Exercise(name="Curls", sets=2, reps=2, rest_seconds=5)
MAT = ("yoga mat",)


# -- short rests ------------------------------------------------------------------------------


def countdowns(heard: list[Heard]) -> list[list[Heard]]:
    """The countdown numbers heard in each rest, rest by rest."""
    rests: list[list[Heard]] = []
    previous: State | None = None
    for h in heard:
        if h.state is State.REST and previous is not State.REST:
            rests.append([])
        if h.state is State.REST and h.text in ("3", "2", "1"):
            rests[-1].append(h)
        previous = h.state
    return rests


@pytest.mark.parametrize("verbosity", ["full", "brief"])
def test_every_rest_of_the_knee_routine_counts_down_evenly_as_heard(verbosity):
    rests = countdowns(run_workout(verbosity).heard)
    assert len(rests) == 11
    for numbers in rests:
        # 5 s rests too: the rest counts from when its opening line has been said.
        assert [h.text for h in numbers] == ["3", "2", "1"]
        gaps = [b.at - a.at for a, b in itertools.pairwise(numbers)]
        assert gaps == pytest.approx([1.0, 1.0], abs=0.01)


def test_a_five_second_rest_starts_when_its_opening_line_ends(clock):
    s = session(clock, CURLS)
    press(s)
    press(s)
    said = press(s)
    assert said == ["2", "Set done.", "Rest for 5 seconds."]
    opening_ends = clock.now + sum(estimate_seconds(text) for text in said)
    assert s.next_deadline() == pytest.approx(opening_ends + 2)  # "3"
    assert s.status().remaining_seconds == 5  # the rest shows in full while it is opened
    timeline = run_out(s, clock)
    assert timeline[:3] == [
        (pytest.approx(opening_ends + 2), "3"),
        (pytest.approx(opening_ends + 3), "2"),
        (pytest.approx(opening_ends + 4), "1"),
    ]
    assert timeline[3] == (pytest.approx(opening_ends + 5), "Final set.")


def test_a_rest_brought_back_counts_from_when_it_has_been_said_again(clock):
    s = session(clock, CURLS)
    press(s)
    press(s)
    press(s)  # resting 5 s
    clock.advance(1)
    press(s)  # the rest skipped
    said = texts(s.handle(Action.BACK))
    assert said == ["Going back.", "Rest for 5 seconds."]
    opening_ends = clock.now + sum(estimate_seconds(text) for text in said)
    assert [(at, t) for at, t in run_out(s, clock)][:3] == [
        (pytest.approx(opening_ends + 2), "3"),
        (pytest.approx(opening_ends + 3), "2"),
        (pytest.approx(opening_ends + 4), "1"),
    ]


def test_a_real_voices_lengths_decide_what_fits():
    # The same rest with a slow voice: the news of the next exercise is too long to
    # come before the countdown, so a short form comes before the rest instead.
    slow = Exercise(name="Curls", sets=1, reps=1, rest_after_seconds=8)
    squats = Exercise(name="Chair squats", sets=1, reps=1, equipment=("chair",))
    quick, slowly = FakeClock(), FakeClock()
    fast_voice = session(quick, slow, squats)
    slow_voice = session(slowly, slow, squats, speech_seconds=lambda text: 5.0)
    press(fast_voice)
    press(slow_voice)
    assert press(fast_voice)[-3:] == [
        "Rest for 8 seconds.",
        "Next up: Chair squats.",
        "Bring a chair.",
    ]
    assert press(slow_voice)[-2:] == ["Next: Chair squats, with a chair.", "Rest for 8 seconds."]
    # Either way the countdown is whole.
    assert [t for _, t in run_out(slow_voice, slowly)][:3] == ["3", "2", "1"]


def test_next_up_is_said_within_a_ten_second_rest_and_ends_before_its_countdown(clock):
    curls = dataclasses.replace(CURLS, sets=1, rest_after_seconds=10)
    squats = Exercise(name="Chair squats", sets=1, reps=1, equipment=("chair",))
    s = session(clock, curls, squats)
    press(s)
    press(s)
    said = press(s)
    assert said[-3:] == ["Rest for 10 seconds.", "Next up: Chair squats.", "Bring a chair."]
    news_ends = clock.now + sum(estimate_seconds(t) for t in said)
    assert s.next_deadline() >= news_ends + COUNTDOWN_GAP


def test_news_too_long_for_a_short_rest_moves_before_it_in_one_sentence(clock):
    curls = dataclasses.replace(CURLS, sets=1, rest_after_seconds=5)
    squats = Exercise(name="Chair squats", sets=1, reps=1, equipment=("chair",))
    s = session(clock, curls, squats)
    press(s)
    press(s)
    assert press(s) == [
        "2",
        "Set done.",
        "Next: Chair squats, with a chair.",
        "Rest for 5 seconds.",
    ]
    assert [t for _, t in run_out(s, clock)][:3] == ["3", "2", "1"]


# -- brief mode keeps the pace ----------------------------------------------------------------


def test_brief_mode_says_the_tempo_of_every_rep():
    clock = FakeClock()
    raise_ = KNEE.exercises[0]
    s = session(clock, raise_, coaching=_brief())
    press(s)
    said = press(s) + [t for _, t in run_out(s, clock)]
    for phase in raise_.tempo[1:]:
        assert said.count(f"{phase.say}.") == raise_.reps
    assert [t for t in said if t.endswith(". Lift.")] == [
        f"{n}. Lift." for n in range(1, (raise_.reps or 0) + 1)
    ]


def _brief() -> Coaching:
    return Coaching(verbosity="brief")


# -- back and repeat --------------------------------------------------------------------------


PACED = KNEE.exercises[0]  # 8 reps of 7 s: lift 2, hold 2, lower 3


def test_back_in_a_paced_set_goes_one_rep_back_and_the_pace_goes_on(clock):
    s = session(clock, PACED)
    press(s)
    press(s)  # pacing from rep 1
    clock.advance(7 * 3 + 1)  # rep 4 under way
    s.tick()
    assert s.status().rep == 4
    assert press_back(s) == ["Going back.", "3. Lift."]
    assert s.status().rep == 3
    assert not s.waiting_for_press()
    assert s.next_deadline() == pytest.approx(clock.now + 2)  # "Hold." of rep 3


def test_back_in_a_paced_sets_first_rep_waits_for_a_press_again_and_says_so(clock):
    s = session(clock, PACED)
    press(s)
    press(s)
    clock.advance(1)
    assert press_back(s) == [
        "Going back.",
        "Set 1 of 3.",
        "8 reps at my pace. Press to start, and to stop early.",
    ]
    assert s.waiting_for_press()


def press_back(s: WorkoutSession) -> list[str]:
    return texts(s.handle(Action.BACK))


def test_back_in_the_rest_after_a_paced_set_reopens_it_at_its_last_rep(clock):
    s = session(clock, PACED)
    press(s)
    press(s)
    while s.status().state is not State.REST:
        clock.now = s.next_deadline()
        s.tick()
    assert press_back(s) == ["Going back.", "8. Lift."]
    status = s.status()
    assert (status.state, status.set, status.rep) == (State.SET, 1, 8)
    timeline = run_out(s, clock)
    assert [t for _, t in timeline][:2] == ["Hold.", "Lower."]
    assert "Set done." in [t for _, t in timeline]


def test_after_back_the_prompt_to_carry_on_is_said_again(clock):
    plank = Exercise(name="Plank", sets=2, hold_seconds=20, rest_seconds=10)
    s = session(clock, plank)
    press(s)
    press(s)  # the hold starts
    clock.advance(20)
    s.tick()  # it runs out, and the rest begins
    assert s.status().state is State.REST
    assert press_back(s) == ["Going back.", "Set 1 of 2.", "Press to start the 20 second hold."]
    # A later set too, whose announcement left the prompt out.
    press(s)
    clock.advance(20)
    s.tick()
    assert press(s) == ["Final set.", "20 second hold."]  # the rest skipped
    press(s)  # the hold starts
    assert press_back(s) == ["Going back.", "Final set.", "Press to start the 20 second hold."]


def test_repeat_mid_set_says_the_reps_left_also_after_a_resume(clock):
    clams = KNEE.exercises[2]
    s = session(clock, clams)
    press(s)
    for _ in range(4):
        press(s)
    assert texts(s.handle(Action.REPEAT))[0] == "4 done, 8 to go. Press after each rep."
    saved = s.snapshot()
    assert saved is not None
    again = WorkoutSession(FakeClock())
    again.offer_resume(saved)
    assert "4 done, 8 to go. Press after each rep." in texts(again.handle(Action.NEXT))
    again.handle(Action.NEXT)
    assert texts(again.handle(Action.REPEAT))[0] == "5 done, 7 to go. Press after each rep."


# -- one side first ---------------------------------------------------------------------------


def test_one_side_first_announces_the_switch_and_numbers_sets_per_side(clock):
    balance = KNEE.exercises[1]
    s = session(clock, balance)
    titles: list[list[str]] = []
    said = press(s)
    while s.status().state is not State.DONE:
        titles.append(said)
        press(s)  # the hold starts
        said = [t for _, t in run_out(s, clock)]
        if s.status().state is State.REST:
            said = [t for _, t in run_out(s, clock)]
        said = said[said.index("And release.") + 1 :]
        said = [t for t in said if t not in ("Set done.", "3", "2", "1")]
        said = [t for t in said if not t.startswith("Rest for")]
    firsts = [announced[0] for announced in titles]
    assert firsts == [
        "Left side, set 1 of 2.",
        "Left side, set 2 of 2.",
        "Now the right side.",
        "Right side, set 2 of 2.",
    ]
    assert titles[2][:3] == [
        "Now the right side.",
        "Right side, set 1 of 2.",
        "Stand on your right leg.",
    ]


# -- equipment --------------------------------------------------------------------------------


def heard_texts(heard: list[Heard]) -> list[str]:
    return [h.text for h in heard]


@pytest.mark.parametrize("verbosity", ["full", "brief"])
def test_equipment_is_named_once_per_exercise_and_not_when_in_use(verbosity):
    said = heard_texts(run_workout(verbosity).heard)
    # The first exercise's mat, in its introduction; the chair, in the rest before the
    # balance; the mat again for clamshells (the chair was in use); the chair for squats.
    named = [t for t in said if t.startswith(("You need", "Bring", "Next: "))]
    assert named == [
        "You need: yoga mat.",
        "Bring a chair.",
        "Next: Clamshells, with a yoga mat.",
        "Bring a chair.",
    ]


def test_the_mat_already_in_use_is_not_fetched_again(clock):
    bridge = Exercise(name="Bridge", sets=1, reps=1, rest_after_seconds=20, equipment=MAT)
    curl = Exercise(name="Curl up", sets=1, reps=1, equipment=MAT)
    s = session(clock, bridge, curl)
    press(s)
    said = press(s)
    assert "Next up: Curl up." in said
    assert not any(t.startswith("Bring") for t in said)
    after_rest = [t for _, t in run_out(s, clock)]
    intro = after_rest[after_rest.index("1") + 1 :]
    assert intro[0] == "Exercise 2 of 2: Curl up."
    assert not any(t.startswith("You need") for t in intro)


# -- how much Spotter talks -------------------------------------------------------------------


def test_spotter_talks_at_most_forty_percent_of_a_full_workout():
    full = run_workout("full")
    assert full.share <= 0.40
    # Nothing a trainee must hear was lost on the way.
    said = heard_texts(full.heard)
    assert "sharp or shooting pain" in said[0]
    for text in ("Set 1 of 3.", "Set 2 of 3.", "Final set.", "Left side, set 1 of 2."):
        assert text in said


def test_brief_talks_less_than_full_and_keeps_the_essentials():
    full, brief = run_workout("full"), run_workout("brief")
    assert brief.share <= 0.35
    assert brief.talk < full.talk - 60
    said = heard_texts(brief.heard)
    assert "sharp or shooting pain" in said[0]
    for text in ("Set 2 of 3.", "Final set.", "Left side.", "Switch to the right side."):
        assert text in said


def test_talk_per_exercise_follows_the_voice_rate():
    at_165 = talk_by_exercise(KNEE, rate_wpm=165)
    at_220 = talk_by_exercise(KNEE, rate_wpm=220)
    assert [name for name, _ in at_165] == [e.name for e in KNEE.exercises]
    assert all(fast < slow for (_, fast), (_, slow) in zip(at_220, at_165, strict=True))
    assert all(seconds > 10 for _, seconds in at_165)


def test_every_line_of_the_knee_routine_is_rendered_ahead():
    lines = set(routine_lines(KNEE))
    for verbosity in ("full", "brief"):
        said = {h.text for h in run_workout(verbosity).heard if h.state is not State.DONE}
        assert said <= lines, said - lines


# -- a double-press answers at once -----------------------------------------------------------

TIMINGS = GestureTimings()


def tap(engine: Engine, clock: FakeClock, down: float = 0.08) -> list[Line]:
    """The button down now and up ``down`` later; what the release brought."""
    engine.edge(Edge(True, clock.now))
    clock.advance(down)
    return engine.edge(Edge(False, clock.now))


def mid_set(clock: FakeClock) -> Engine:
    engine = Engine(clock, timings=TIMINGS)
    routine = Routine(id="r", name="R", exercises=(CURLS,))
    engine.set_routine(routine, sessions_this_week=0, weekly_goal=None)
    engine.act(Action.NEXT)  # the introduction
    engine.act(Action.NEXT)  # set 1
    return engine


def test_a_press_is_answered_at_once_by_a_tick_and_its_words_follow_the_double_window(clock):
    engine = mid_set(clock)
    released = clock.now + 0.08
    answer = tap(engine, clock)
    assert [dataclasses.replace(line, id=None) for line in answer] == [
        Line("", interrupt=True, moment=Moment.PRESS)
    ]
    clock.now = released + TIMINGS.double_window - 0.01
    assert texts(engine.tick()) == []
    clock.now = released + TIMINGS.double_window
    words = engine.tick()
    assert texts(words) == ["1"] and words[0].interrupt


def test_a_double_press_answers_at_once_with_no_fragment_of_the_press(clock):
    engine = mid_set(clock)
    tap(engine, clock)  # one rep counted
    clock.advance(1)
    engine.tick()
    first = tap(engine, clock)  # the double's first press: a tick only
    assert texts(first) == [""]
    clock.advance(0.1)
    answer = tap(engine, clock)
    assert texts(answer)[0] == "Going back." and answer[0].interrupt
    # The press's words ("2", "Set done.", the rest) never come.
    clock.advance(2)
    assert not any(line.text in ("2", "Set done.") for line in engine.tick())
    assert engine.status().rep == 0  # one step back from the rep counted before the double


def test_a_double_press_answers_at_once_as_the_set_announcement_would_start(clock):
    engine = Engine(clock, timings=TIMINGS)
    engine.set_routine(
        Routine(id="r", name="R", exercises=(CURLS,)), sessions_this_week=0, weekly_goal=None
    )
    engine.act(Action.NEXT)  # the introduction: a press now would announce set 1
    first = tap(engine, clock)
    assert "Set 1 of 2." not in texts(first)
    clock.advance(0.1)
    double = tap(engine, clock)
    assert texts(double) == [
        "You are at the start of this exercise. There is nothing to take back."
    ]
    clock.advance(2)
    assert engine.tick() == []
    assert engine.status().state is State.INTRO


def test_a_page_action_during_the_double_window_follows_the_press_words(clock):
    engine = mid_set(clock)
    tap(engine, clock)  # "1", held back
    said = texts(engine.act(Action.REPEAT))
    assert said[0] == "1"
    assert said[1] == "1 done, 1 to go. Press after each rep."
    clock.advance(1)
    assert engine.tick() == []  # the held words are not said twice


def test_outside_a_workout_a_press_speaks_at_once(clock):
    engine = Engine(clock, timings=TIMINGS)
    engine.set_routine(
        Routine(id="r", name="R", exercises=(CURLS,)), sessions_this_week=0, weekly_goal=None
    )
    answer = tap(engine, clock)
    assert "sharp or shooting pain" in answer[0].text


def test_without_a_double_gesture_a_press_is_never_held_back(clock):
    engine = Engine(
        clock,
        timings=TIMINGS,
        gesture_actions={Gesture.PRESS: Action.NEXT, Gesture.HOLD: Action.REPEAT},
    )
    engine.set_routine(
        Routine(id="r", name="R", exercises=(CURLS,)), sessions_this_week=0, weekly_goal=None
    )
    engine.act(Action.NEXT)
    assert texts(tap(engine, clock))[0] == "Set 1 of 2."


def test_a_second_press_still_down_when_the_window_closes_keeps_the_words_back(clock):
    engine = mid_set(clock)
    tap(engine, clock)  # one rep counted
    clock.advance(1)
    engine.tick()
    tap(engine, clock)  # the last rep: its words wait
    clock.advance(TIMINGS.double_window - 0.05)
    engine.edge(Edge(True, clock.now))  # the second press goes down in time...
    clock.advance(0.1)  # ...and is still down as the window closes
    assert engine.tick() == []
    deadline = engine.next_deadline()
    assert deadline is None or deadline > clock.now
    clock.advance(0.05)
    answer = engine.edge(Edge(False, clock.now))  # a double after all
    assert texts(answer)[0] == "Going back."
    assert "Set done." not in texts(answer)


def test_an_introduction_asked_again_leaves_out_what_is_in_use_and_is_rendered_ahead(clock):
    bridge = Exercise(name="Bridge", sets=1, reps=1, rest_after_seconds=0, equipment=MAT)
    curl = Exercise(name="Curl up", sets=1, reps=1, equipment=(*MAT, "towel"), setup=("Lie",))
    routine = Routine(id="r", name="R", exercises=(bridge, curl))
    s = session(clock, bridge, curl)
    press(s)
    said = press(s)  # no rest: straight into the next introduction
    assert "You need: towel." in said
    again = texts(s.handle(Action.REPEAT))
    assert "You need: towel." in again
    assert set(said + again) <= set(routine_lines(routine))


def test_the_press_that_ends_a_workout_says_its_summary_at_once_before_what_follows(clock):
    engine = Engine(clock, timings=TIMINGS)
    one = Exercise(name="Curls", sets=1, reps=1)
    engine.set_routine(
        Routine(id="r", name="R", exercises=(one,), checkin="pain"),
        sessions_this_week=0,
        weekly_goal=None,
    )
    engine.act(Action.NEXT)  # the pain question before the workout
    engine.answer(Question.PAIN_BEFORE, 2)
    engine.act(Action.NEXT)  # set 1
    said = texts(tap(engine, clock))
    assert said[:3] == ["1", "Set done.", "Workout complete. Well done."]
    assert said[-1] == phrases.pain_question(before=False)
