"""A change of dose offered after the workout, through the engine the worker drives, on the
fake clock: when it is asked, and what a press, a hold, silence and the phone answer."""

from __future__ import annotations

import pytest

from device.engine import phrases
from device.engine.choice import Outcome
from device.engine.core import CORRECT_SECONDS, Engine, Question, Trainee
from device.engine.dose_talk import DOSE_WINDOW, closing, next_time, offer_text
from device.events import Action, Gesture, Line, State
from device.testing import FakeClock
from routines.model import Dose, HistoryEntry, ProgressionRecords, Routine, SetReps
from routines.validation import routine_from_yaml

DAY = 24 * 3600.0
TODAY = 20 * DAY


def squats(checkin: str = "none") -> Routine:
    return routine_from_yaml(
        f"""
id: quick
name: Quick one
checkin: {checkin}
exercises:
  - name: Squats
    sets: 1
    reps: 5
    count: per_set
    rest_seconds: 0
    progression:
      every: 3
      steps: [{{reps: 1, up_to: 7}}]
      pain: {{good_if_after_at_most: 3, step_back_after_bad: 2}}
"""
    )


def past(day: float, *, after: int | None = None, done: int = 5) -> HistoryEntry:
    return HistoryEntry(
        "quick",
        "Quick one",
        day * DAY - 60,
        day * DAY,
        1,
        1,
        True,
        pain_after=after,
        set_reps=(SetReps("Squats", 1, done, 5),),
    )


def trainee(routine: Routine, clock: FakeClock, *workouts: HistoryEntry, pid: int = 1) -> Trainee:
    records = ProgressionRecords({}, (), tuple(workouts))
    return Trainee(pid, f"P{pid}", routine, progress=records, wall_offset=TODAY - clock.now)


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def run(engine: Engine, clock: FakeClock, until: float) -> list[str]:
    said: list[str] = []
    while (due := engine.next_deadline()) is not None and due <= until:
        clock.now = max(clock.now, due)
        said += texts(engine.tick())
    clock.now = max(clock.now, until)
    return said + texts(engine.tick())


def finish(engine: Engine, clock: FakeClock) -> list[str]:
    said = texts(engine.gesture(Gesture.PRESS))
    while engine.status().state is not State.DONE:
        clock.advance(1)
        said += texts(engine.gesture(Gesture.PRESS))
    return said


def until_option(engine: Engine, clock: FakeClock) -> list[str]:
    """Run until the option line ("Press to agree...") has been handed to the voice."""
    said: list[str] = []
    while not any(s.startswith("Press to agree") for s in said):
        due = engine.next_deadline()
        assert due is not None, said
        clock.now = due
        said += texts(engine.tick())
    return said


UP = "Next time: 6 reps in each set of squats."


def test_three_good_workouts_earn_an_offer_and_a_press_agrees(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(16), past(18))], current=1)
    said = finish(engine, clock)
    assert said[-1] == UP
    assert engine.status().question == "dose"
    [offered] = engine.pop_dose_offers()
    assert (offered.profile_id, offered.routine_id, offered.answer) == (1, "quick", "pending")
    assert offered.proposal.to_dose == Dose(1, 6, None)
    assert offered.made_at == pytest.approx(TODAY, abs=60)
    assert until_option(engine, clock)[-1] == "Press to agree, or hold to keep 5 reps."
    # A thought later, past what a number of the pain question allows, still inside.
    assert run(engine, clock, clock.now + DOSE_WINDOW - 0.5) == []
    assert texts(engine.gesture(Gesture.PRESS)) == ["Agreed: 6 reps from your next workout."]
    [answered] = engine.pop_dose_offers()
    assert answered.answer == "accepted" and answered.proposal == offered.proposal
    assert engine.status().question is None


def test_a_press_during_the_offer_itself_is_not_taken_as_agreeing(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(16), past(18))], current=1)
    finish(engine, clock)
    engine.pop_dose_offers()
    clock.advance(0.2)
    assert engine.gesture(Gesture.PRESS) == []  # before "Press to agree" was heard
    assert engine.status().question == "dose"


def test_silence_keeps_the_dose_and_a_hold_declines(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(16), past(18))], current=1)
    finish(engine, clock)
    said = run(engine, clock, clock.now + 30)
    assert said[-1] == "No answer, so it stays at 5 reps. The phone page can still take it."
    assert [o.answer for o in engine.pop_dose_offers()] == ["pending", "unanswered"]

    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(16), past(18))], current=1)
    finish(engine, clock)
    until_option(engine, clock)
    assert texts(engine.gesture(Gesture.HOLD)) == ["Staying at 5 reps."]
    assert [o.answer for o in engine.pop_dose_offers()] == ["pending", "declined"]


def test_too_few_good_workouts_or_a_short_set_offer_nothing(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(18))], current=1)
    finish(engine, clock)
    assert engine.status().question is None and engine.pop_dose_offers() == []
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats(), clock, past(16, done=3), past(18))], current=1)
    finish(engine, clock)
    assert engine.pop_dose_offers() == []


def test_the_offer_follows_the_after_score_once_it_is_kept(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats("pain"), clock, past(16, after=1), past(18, after=2))], 1)
    engine.gesture(Gesture.PRESS)
    engine.gesture(Gesture.HOLD)  # no before-score
    said = finish(engine, clock)
    assert said[-1] == phrases.pain_question(before=False)
    while phrases.count(1) not in said:
        due = engine.next_deadline()
        assert due is not None
        clock.now = due
        said += texts(engine.tick())
    clock.advance(0.5)
    assert texts(engine.gesture(Gesture.PRESS)) == [phrases.pain_noted(1)]
    assert engine.status().question is None  # nothing offered while it can be corrected
    said = run(engine, clock, clock.now + 10 + CORRECT_SECONDS)
    assert said[0] == UP
    assert [o.answer for o in engine.pop_dose_offers()] == ["pending", "unanswered"]


def test_two_bad_workouts_offer_a_gentle_step_back(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    engine.set_people([trainee(squats("pain"), clock, past(18, after=6))], 1)
    engine.gesture(Gesture.PRESS)
    engine.gesture(Gesture.HOLD)
    finish(engine, clock)
    engine.pop_dose_offers()
    # A score tapped on the phone is kept at once, and the offer follows it.
    said = texts(engine.answer(Question.PAIN_AFTER, 7))
    said += run(engine, clock, clock.now + 10 + CORRECT_SECONDS)
    [offered] = engine.pop_dose_offers()
    assert offered.proposal.direction == "down" and offered.proposal.to_dose == Dose(1, 4, None)
    assert said[-2:] == [
        offer_text(offered.proposal, area="back"),
        "Press to agree, or hold to keep 5 reps.",
    ]
    assert "physiotherapist" in said[-2] and next_time(offered.proposal) in said[-2]
    # The phone answers it as well as the button: 0 keeps the dose.
    assert texts(engine.answer(Question.DOSE, 0)) == [closing(offered.proposal, Outcome.PASSED)]
    assert [o.answer for o in engine.pop_dose_offers()] == ["declined"]


def test_the_offer_is_for_whoever_trained(clock: FakeClock) -> None:
    engine = Engine(clock, choice_step=1.0)
    me = trainee(squats(), clock, pid=1)
    you = trainee(squats(), clock, past(16), past(18), pid=2)
    engine.set_people([me, you], current=2)
    engine.act(Action.NEXT)  # the page starts: nobody is asked who trains
    while engine.status().state is not State.DONE:
        clock.advance(1)
        engine.act(Action.NEXT)
    [offered] = engine.pop_dose_offers()
    assert offered.profile_id == 2
