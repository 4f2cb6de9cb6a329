"""A routine's whole spoken script, found by running the real engine on a clock that jumps.

The web page's preview and ``spotter preview`` print it; the voice renders every
line of it before a workout starts, so a press never waits for speech synthesis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from device.engine import phrases, reachable
from device.engine.session import Coaching, WorkoutSession
from device.engine.speech_time import DEFAULT_RATE_WPM, estimate_seconds
from device.events import DEFAULT_GESTURE_ACTIONS, Action, Gesture, Line, State
from routines.model import Routine

# Far more steps than any valid routine needs (50 exercises of 200 reps): a
# guard against a loop, never a limit a user meets.
_MAX_STEPS = 1_000_000


def _run_through(
    routine: Routine,
    default_rest: int,
    gesture_actions: Mapping[Gesture, Action],
    verbosity: str,
    speech_seconds: Callable[[str], float] = estimate_seconds,
) -> tuple[list[tuple[int | None, str]], list[str]]:
    """Every line a full run speaks, each press at once and every hold, rest and paced
    set in full, with the exercise it was said in (None once the workout is over); and
    the summary lines among them, which depend on the run."""
    clock = reachable.ScriptClock()
    session = WorkoutSession(
        clock,
        default_rest=default_rest,
        gesture_actions=gesture_actions,
        coaching=Coaching(verbosity=verbosity),
        speech_seconds=speech_seconds,
    )
    session.set_routine(routine, weekly_goal=routine.sessions_per_week)
    said: list[tuple[int | None, str]] = []

    def hear(lines: list[Line]) -> None:
        where = session.exercise_under_way()
        said.extend((where, line.text) for line in lines)

    hear(session.handle(Action.NEXT))
    for _ in range(_MAX_STEPS):
        if session.state() is State.DONE:
            break
        deadline = session.next_deadline()
        if session.waiting_for_press() or deadline is None:
            hear(session.handle(Action.NEXT))
        else:
            clock.now = deadline
            hear(session.tick())
    else:
        raise RuntimeError(f"the script of {routine.id} does not end")
    record = session.pop_finished()
    assert record is not None
    dynamic = [
        phrases.summary(record.exercises_done, record.sets_done, record.seconds),
        phrases.weekly_progress(1, routine.sessions_per_week, counted=True),
    ]
    return said, dynamic


def preview_script(
    routine: Routine,
    *,
    default_rest: int = 30,
    gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
    verbosity: str = "full",
) -> list[str]:
    """The whole spoken script of a routine (``full`` or ``brief``), as if each press
    came at once."""
    return [text for _, text in _run_through(routine, default_rest, gesture_actions, verbosity)[0]]


def talk_by_exercise(
    routine: Routine,
    *,
    default_rest: int = 30,
    gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
    verbosity: str = "full",
    rate_wpm: int = DEFAULT_RATE_WPM,
) -> list[tuple[str, float]]:
    """Seconds of talk per exercise, at the voice's rate: its introduction, sets, rests and
    the rest before the next one. The safety line counts with the first exercise."""

    def seconds(text: str) -> float:
        return estimate_seconds(text, rate_wpm)

    said, _ = _run_through(routine, default_rest, gesture_actions, verbosity, seconds)
    totals = [0.0] * len(routine.exercises)
    for where, text in said:
        if where is not None:
            totals[where] += seconds(text)
    return [(e.name, total) for e, total in zip(routine.exercises, totals, strict=True)]


def paced_lines(routine: Routine) -> list[str]:
    """Every word a paced set of this routine says on the clock, full and brief."""
    texts: list[str] = []
    for exercise in routine.exercises:
        if exercise.is_paced and exercise.reps is not None:
            for rep in range(1, exercise.reps + 1):
                texts.append(phrases.paced_rep(rep, exercise.tempo[0].say))
                texts.append(phrases.count(rep))
            texts.extend(phrases.phase(p.say) for p in exercise.tempo[1:])
    return list(dict.fromkeys(texts))


def people_lines(names: Sequence[str]) -> list[str]:
    """What asking who is training says, when ``names`` (two or more) train here."""
    return reachable.people_lines(names)


# How long a line takes decides only which news of the next exercise a rest has room for
# (which the run-through meets at every such rest); the voice's own lengths may differ
# from the estimate, so the extremes are run through too.
_NO_TIME: Callable[[str], float] = lambda _text: 0.0  # noqa: E731 - a named constant
_ALL_THE_TIME: Callable[[str], float] = lambda _text: 1e6  # noqa: E731


def routine_lines(
    routine: Routine,
    *,
    default_rest: int = 30,
    gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
) -> list[str]:
    """Every line this routine can speak whose text is known in advance: the audio to
    render before the workout starts, once each, in the order a workout needs them (the
    greeting, the check-in and the first exercise first), then the lines only some
    workouts say. Found by running the engine through every move at every point
    (``reachable``). Summaries, the resume offer, the place a resumed workout carries on
    from and the address are left out: they depend on the day."""
    key = (routine, default_rest, frozenset(gesture_actions.items()))
    return list(dict.fromkeys([*_planned_lines(*key), *_other_lines(*key)]))


def planned_lines(
    routine: Routine,
    *,
    default_rest: int = 30,
    gesture_actions: Mapping[Gesture, Action] = DEFAULT_GESTURE_ACTIONS,
) -> list[str]:
    """The first part of ``routine_lines``, found in a hundredth of its time: the greeting,
    the check-in and the workout as planned (each press at once), full and brief. A
    start renders these first; the rest can follow while nobody has pressed yet."""
    return list(_planned_lines(routine, default_rest, frozenset(gesture_actions.items())))


@lru_cache(maxsize=32)
def _planned_lines(
    routine: Routine, default_rest: int, actions: frozenset[tuple[Gesture, Action]]
) -> tuple[str, ...]:
    gesture_actions = dict(actions)
    words = phrases.ButtonWords.for_actions(gesture_actions)
    before, _ = reachable.checkin_lines(
        routine, default_rest=default_rest, gesture_actions=gesture_actions
    )
    ordered = [phrases.greeting(routine.name, words), *before]
    for verbosity in ("full", "brief"):
        for seconds in (estimate_seconds, _NO_TIME, _ALL_THE_TIME):
            spoken, dynamic = _run_through(
                routine, default_rest, gesture_actions, verbosity, seconds
            )
            left_out = set(dynamic)
            ordered += [text for _, text in spoken if text not in left_out]
    return tuple(dict.fromkeys(ordered))


@lru_cache(maxsize=32)
def _other_lines(
    routine: Routine, default_rest: int, actions: frozenset[tuple[Gesture, Action]]
) -> tuple[str, ...]:
    gesture_actions = dict(actions)
    _, after = reachable.checkin_lines(
        routine, default_rest=default_rest, gesture_actions=gesture_actions
    )
    ordered: list[str] = []
    for verbosity in ("full", "brief"):
        ordered += reachable.session_lines(
            routine,
            default_rest=default_rest,
            gesture_actions=gesture_actions,
            verbosity=verbosity,
        )
    ordered += reachable.without_routine(gesture_actions)
    ordered += after
    return tuple(dict.fromkeys(ordered))
