"""Each person's doses as the phone shows them, and the two things the owner does with
them: answer a suggested change, lock a dose where it is. The JSON API and the pages both
come here, so they refuse the same things in the same words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from routines.errors import DoseError
from routines.model import Dose, Exercise, PersonalDose, Routine, Suggestion
from routines.profiles import Profile
from web_config.context import store
from web_config.dose_history import dose_words
from web_config.errors import ApiError, excerpt

ANSWERS = ("accepted", "declined")
ANSWER_RULE = "must be accepted or declined"


@dataclass(frozen=True, slots=True)
class ExerciseDose:
    """One exercise with rules, as one person does it now."""

    exercise: str
    dose: Dose
    start: Dose
    locked: bool
    changed_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "dose": self.dose.to_dict(),
            "start": self.start.to_dict(),
            "locked": self.locked,
            "changed_at": self.changed_at,
            "words": dose_words(self.dose),
        }


def progression_on() -> bool:
    """The owner's setting: off, nothing is offered and doses stay as they are."""
    return store().settings().progression


def profile_routine(profile: Profile) -> Routine | None:
    active = store().active_routine(profile.id)
    return None if active is None else active.routine


def exercise_doses(profile: Profile, routine: Routine) -> list[ExerciseDose]:
    """Every exercise of ``routine`` that has rules, at the person's dose (the file's when
    they have none yet, or when an edit of the routine set it back)."""
    mine = store().doses(profile.id, routine.id)
    return [_dose_of(ex, mine.get(ex.name)) for ex in routine.exercises if ex.progression]


def _dose_of(ex: Exercise, mine: PersonalDose | None) -> ExerciseDose:
    dose = (ex.dose_for(mine) if mine is not None else None) or ex.dose
    locked = mine is not None and mine.locked
    return ExerciseDose(ex.name, dose, ex.dose, locked, None if mine is None else mine.changed_at)


def pending(profile: Profile, routine: Routine | None) -> list[Suggestion]:
    """What is offered to the person for their routine and not answered yet, newest first;
    nothing while the owner has progression off."""
    if routine is None or not progression_on():
        return []
    return store().dose_suggestions(profile.id, routine.id)


def suggestion_sentence(s: Suggestion) -> str:
    """The offer in one sentence for the phone."""
    to, was = dose_words(s.to_dose), dose_words(s.from_dose)
    if s.direction == "up":
        return f"Ready for more: {s.exercise} at {to} next time, instead of {was}."
    if s.direction == "undo":
        return f"The last step up was hard: {s.exercise} back to {to}, as before it."
    return (
        f"A few hard sessions: {s.exercise} eased to {to} for now. "
        "If the pain keeps coming back, see a physiotherapist or doctor."
    )


def suggestion_dict(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.id,
        "routine_id": s.routine_id,
        "exercise": s.exercise,
        "direction": s.direction,
        "from": s.from_dose.to_dict(),
        "to": s.to_dose.to_dict(),
        "made_at": s.made_at,
        "answer": s.answer,
        "answered_at": s.answered_at,
        "sentence": suggestion_sentence(s),
    }


def answer_suggestion(profile: Profile, suggestion_id: int, answer: object) -> Suggestion:
    """Accept or decline one of the person's pending offers: 404 for one that is not
    theirs, 409 once it is answered or progression is off, 422 for another answer."""
    if answer not in ANSWERS:
        raise ApiError(422, "Say accepted or declined.", {"answer": ANSWER_RULE})
    theirs = store().dose_suggestions(profile.id, answer=None)
    offered = next((s for s in theirs if s.id == suggestion_id), None)
    if offered is None:
        raise ApiError(404, f"{profile.name} has no suggestion with id {suggestion_id}.")
    if not progression_on():
        raise ApiError(409, "Progression is turned off in Settings: doses stay as they are.")
    if offered.answer != "pending":
        raise ApiError(
            409,
            f"This suggestion was {offered.answer} already.",
            extra={"suggestion": suggestion_dict(offered)},
        )
    answered = store().answer_suggestion(suggestion_id, answer, via="phone")  # type: ignore[arg-type]
    if answered.answer == "expired":
        raise ApiError(
            409,
            f"{profile.name}'s dose of {offered.exercise} changed since this was offered: "
            "it no longer applies.",
            extra={"suggestion": suggestion_dict(answered)},
        )
    return answered


def lock_dose(profile: Profile, routine: Routine | None, exercise: object, locked: object) -> None:
    """Keep the person's dose of ``exercise`` where it is (or free it again); 422 naming
    the field for anything that is not an exercise with rules or not true or false."""
    problems: dict[str, str] = {}
    if not isinstance(locked, bool):
        problems["locked"] = "must be true or false"
    if not isinstance(exercise, str) or not exercise:
        problems["exercise"] = "must be the name of an exercise with progression rules"
    if routine is None:
        problems.setdefault("routine_id", "there is no routine to keep a dose of")
    if problems:
        raise ApiError(422, "Some fields are not right; nothing was changed.", problems)
    assert isinstance(exercise, str) and isinstance(locked, bool) and routine is not None
    try:
        store().set_dose_locked(profile.id, routine.id, exercise, locked)
    except DoseError as err:
        fields = {k: excerpt(v) for k, v in err.errors.items()}
        raise ApiError(422, "Some fields are not right; nothing was changed.", fields) from None
