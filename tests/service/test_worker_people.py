"""The daemon with people and pain check-ins: who trained is written with the workout, and
the scores land on it, whether the button or the phone gave them."""

from __future__ import annotations

from device.engine import phrases
from device.events import Action, Gesture, State
from routines.model import Exercise, Routine
from routines.store import HistoryEntry
from routines.week import week_start
from tests.service.daemon import WALL_OFFSET, Daemon

QUICK = Routine(
    id="quick",
    name="Quick calves",
    exercises=(Exercise(name="Calf raises", sets=1, reps=2, count="per_set", rest_seconds=0),),
)


def test_the_chosen_person_trains_and_only_their_week_counts(daemon: Daemon) -> None:
    store = daemon.store
    store.create_routine(QUICK)
    bea = store.create_profile({"name": "Bea", "routine_id": "quick"}).id
    # Me did the same routine an hour ago: it must not count in Bea's week.
    now = WALL_OFFSET + daemon.clock.now
    store.add_history(
        HistoryEntry("quick", "Quick calves", now - 4000, now - 3600, 1, 1, completed=True)
    )
    daemon.spotter.reload()
    daemon.do(Gesture.PRESS)
    assert daemon.spoken[-1] == phrases.who_is_training()
    assert daemon.spotter.status().question == "who"
    daemon.until_said("Bea")
    daemon.clock.advance(0.5)  # a trainee presses a moment after hearing their name
    daemon.do(Gesture.PRESS)
    assert phrases.trainee_chosen("Bea") in daemon.spoken
    assert store.current_profile().id == bea
    assert daemon.spotter.status().routine_id == "quick"
    daemon.finish()
    entry = store.history()[0]
    assert (entry.profile_id, entry.routine_id, entry.sets_planned) == (bea, "quick", 1)
    since = week_start(WALL_OFFSET + daemon.clock.now)
    assert store.sessions_since(since, profile_id=bea) == 1
    assert store.sessions_since(since, profile_id=1) == 1
    # The summary counted Bea's week, not everyone's.
    assert phrases.weekly_progress(1, None, counted=True) in daemon.spoken


def test_scores_from_the_button_and_the_phone_land_on_the_workout(daemon: Daemon) -> None:
    daemon.do(Gesture.PRESS)  # the shipped routine asks first
    assert daemon.spoken[-1] == phrases.pain_question(before=True)
    daemon.until_said(phrases.count(5))
    daemon.clock.advance(0.5)
    daemon.do(Gesture.PRESS)
    assert daemon.spotter.status().state is State.INTRO
    daemon.do(Action.END)
    assert daemon.spotter.status().state is State.DONE
    assert daemon.spotter.status().question == "pain_after"
    [entry] = daemon.store.history()
    assert (entry.pain_before, entry.pain_after, entry.completed) == (5, None, False)
    # The phone answers the question; the button cannot answer it again.
    daemon.spotter.answer("pain_after", 8)
    daemon.settle()
    # A number tapped on the phone is said back and kept at once, with its advice.
    assert daemon.spoken[-2:] == [phrases.pain_noted(8), phrases.pain_worse()]
    assert daemon.spotter.status().question is None
    [entry] = daemon.store.history()
    assert (entry.pain_before, entry.pain_after) == (5, 8)
    # The next start (one press after the summary) mentions it, once.
    daemon.do(Gesture.PRESS)
    assert phrases.worse_last_time() in daemon.spoken[-2:]


def test_a_score_given_on_the_phone_mid_workout_is_written_with_it(daemon: Daemon) -> None:
    daemon.store.create_routine(QUICK)
    daemon.store.set_active_routine("quick")
    daemon.spotter.reload()
    daemon.do(Gesture.PRESS)
    daemon.spotter.answer("pain_before", 3)
    daemon.settle()
    daemon.finish()
    [entry] = daemon.store.history()
    assert (entry.pain_before, entry.pain_after) == (3, None)
