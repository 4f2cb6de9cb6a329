"""People who train on the device: each has a name, their own active routine, weekly goal,
history and pain check-ins. With one profile Spotter behaves as if there were none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from routines.errors import ValidationError
from routines.fields import Problems

MAX_NAME: Final = 40
# A gym's members, with room to spare; each one is a name read out at "Who's training?"
# and a routine the device keeps ready to speak.
MAX_PROFILES: Final = 50
PROFILES_FULL: Final = (
    f"Spotter keeps at most {MAX_PROFILES} profiles: remove one to make room for another"
)
FIELDS: Final = ("name", "routine_id", "weekly_goal")
GOAL_RANGE: Final = (1, 14)


class ProfileError(ValidationError):
    """A profile change broke one or more rules."""


@dataclass(frozen=True, slots=True)
class Profile:
    """One person. ``routine_id`` None: the first routine; ``weekly_goal`` None: the
    routine's own goal, else the device's."""

    id: int
    name: str
    routine_id: str | None = None
    weekly_goal: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "routine_id": self.routine_id,
            "weekly_goal": self.weekly_goal,
        }


def parse_profile_changes(data: object, *, creating: bool) -> dict[str, Any]:
    """The checked fields of a new profile or of a change to one (only the keys given);
    ``ProfileError`` names every bad field at once. Whether a routine exists and whether a
    name is taken are checked by the store, in the same transaction as the write."""
    problems = Problems()
    if not isinstance(data, Mapping):
        raise ProfileError({"profile": "must be an object with a name"})
    data = cast(Mapping[object, object], data)
    problems.unknown_fields("", data, FIELDS)
    out: dict[str, Any] = {}
    if "name" in data:
        name = problems.text("name", data["name"], MAX_NAME)
        if name is not None:
            out["name"] = name
    elif creating:
        problems.add("name", "is required")
    if "routine_id" in data:
        routine_id = data["routine_id"]
        if routine_id is None or (isinstance(routine_id, str) and routine_id):
            out["routine_id"] = routine_id
        else:
            problems.add("routine_id", "must be the id of a routine, or null for the first one")
    if "weekly_goal" in data:
        goal = data["weekly_goal"]
        if goal is None:
            out["weekly_goal"] = None
        elif problems.whole_number("weekly_goal", goal, *GOAL_RANGE) is not None:
            out["weekly_goal"] = goal
    if problems.errors:
        raise ProfileError(problems.errors)
    return out
