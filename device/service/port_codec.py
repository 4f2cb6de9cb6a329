"""The port's calls as JSON: what crosses the socket between the daemon and the page.

Every value is rebuilt on the receiving side through the same types (and, for a
routine, the same validation) the daemon uses, so the page's process can send nothing
the daemon would not accept from its own code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from device.control import ClickerInfo, EffectiveSettings
from device.events import Action, Gesture, State, Status
from routines.model import Routine
from routines.settings import Settings, parse_settings_changes
from routines.validation import parse_routine

_STATUS_FIELDS = frozenset(f.name for f in dataclasses.fields(Status))
_TUPLES = ("counted_clickers", "connected_clickers")


class CodecError(ValueError):
    """A message that does not say what its call needs."""


def status_to_json(status: Status) -> dict[str, Any]:
    raw = {name: getattr(status, name) for name in _STATUS_FIELDS}
    raw["state"] = str(status.state)
    for name in _TUPLES:
        raw[name] = list(raw[name])
    return raw


def status_from_json(raw: object) -> Status:
    data = _mapping(raw, "status")
    unknown = set(data) - _STATUS_FIELDS
    if unknown:
        raise CodecError(f"status: unknown fields {sorted(unknown)}")
    values = dict(data)
    try:
        values["state"] = State(values.get("state", State.IDLE))
    except ValueError as err:
        raise CodecError(f"status.state: {err}") from err
    for name in _TUPLES:
        values[name] = tuple(str(v) for v in values.get(name, ()))
    return Status(**values)


def settings_to_json(effective: EffectiveSettings) -> dict[str, Any]:
    return {"settings": effective.settings.to_dict(), "pinned": dict(effective.pinned)}


def settings_from_json(raw: object) -> EffectiveSettings:
    data = _mapping(raw, "settings")
    try:
        settings = parse_settings_changes(data.get("settings", {}), Settings())
    except ValueError as err:
        raise CodecError(f"settings: {err}") from err
    pinned = _mapping(data.get("pinned", {}), "settings.pinned")
    return EffectiveSettings(settings, {str(k): str(v) for k, v in pinned.items()})


def routine_to_json(routine: Routine) -> dict[str, Any]:
    return routine.to_dict()


def routine_from_json(raw: object) -> Routine:
    # The caps and every rule of a stored routine: a preview's cost is bounded by them.
    try:
        return parse_routine(raw, source="the page")
    except ValueError as err:
        raise CodecError(f"routine: {err}") from err


def clickers_to_json(clickers: list[ClickerInfo]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(c) for c in clickers]


def clickers_from_json(raw: object) -> list[ClickerInfo]:
    if not isinstance(raw, list):
        raise CodecError("clickers: must be a list")
    out = []
    for item in raw:
        data = _mapping(item, "clicker")
        holds, owner = data.get("holds"), data.get("pinned_owner")
        out.append(
            ClickerInfo(
                name=str(data.get("name", "")),
                pinned_owner=None if owner is None else str(owner),
                holds=None if holds is None else bool(holds),
            )
        )
    return out


def gesture_from_json(raw: object) -> Gesture:
    try:
        return Gesture(str(raw))
    except ValueError as err:
        raise CodecError(f"gesture: {err}") from err


def action_from_json(raw: object) -> Action:
    try:
        return Action(str(raw))
    except ValueError as err:
        raise CodecError(f"action: {err}") from err


def number(raw: object, name: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise CodecError(f"{name}: must be a number")
    return float(raw)


def whole(raw: object, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise CodecError(f"{name}: must be a whole number")
    return raw


def text(raw: object, name: str) -> str:
    if not isinstance(raw, str):
        raise CodecError(f"{name}: must be text")
    return raw


# A browser's mark is 22 characters (``secrets.token_urlsafe(16)``); a ticket counts up.
MAX_MARK_CHARS = 64
MAX_TICKET = 2**63 - 1


def browser_mark(raw: object) -> str | None:
    """The mark of a browser that has logged in before, or None for a stranger."""
    if raw is None:
        return None
    mark = text(raw, "known")
    if not 0 < len(mark) <= MAX_MARK_CHARS:
        raise CodecError(f"known: must be 1 to {MAX_MARK_CHARS} characters, or null")
    return mark


def ticket(raw: object) -> int:
    """A PIN try's ticket number."""
    number = whole(raw, "ticket")
    if not 0 < number <= MAX_TICKET:
        raise CodecError(f"ticket: must be from 1 to {MAX_TICKET}")
    return number


def _mapping(raw: object, name: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise CodecError(f"{name}: must be an object")
    return raw
