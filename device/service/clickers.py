"""The ``[[clicker]]`` entries of the config file: which input devices are buttons, which of
their keys press, whose each is, and whether it can hold.

    [[clicker]]
    device = "DC:2C:26:0A:11:22"   # its Bluetooth address (uniq), /dev/input/by-id name,
                                   # or device name as `spotter clicker list` shows it
    name = "Ann's remote"          # what logs and `spotter doctor` call it (default: device)
    keys = ["KEY_VOLUMEUP"]        # the keys that press (default: DEFAULT_KEYS)
    holds = "auto"                 # true, false, or "auto": find out from the first press
    profile = "Ann"                # whose it is: their press starts their workout
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from device.engine.buttons import ButtonSpec
from routines.fields import Problems
from routines.profiles import Profile

# What shutter remotes, presenters, pedals and rings send: volume up (most shutter
# remotes), Enter (their second button), Page Down/Up (presenters), space and B
# (pedals and presenters' "blank"), play/pause (rings and media remotes).
DEFAULT_KEYS: Final = (
    "KEY_VOLUMEUP",
    "KEY_ENTER",
    "KEY_PAGEDOWN",
    "KEY_PAGEUP",
    "KEY_SPACE",
    "KEY_B",
    "KEY_PLAYPAUSE",
)
KNOWN: Final = ("device", "name", "keys", "holds", "profile")
MAX_CLICKERS: Final = 8
MAX_KEYS: Final = 16
_KEY_NAME: Final = re.compile(r"(KEY|BTN)_[A-Z0-9_]{1,30}")
HIGHEST_KEY: Final = 0x2FF  # KEY_MAX in linux/input-event-codes.h


@dataclass(frozen=True, slots=True)
class ClickerSetting:
    """One ``[[clicker]]`` entry, checked."""

    device: str
    name: str
    keys: tuple[str, ...] = DEFAULT_KEYS
    holds: bool | None = None
    profile: str | None = None


def check_clickers(problems: Problems, key: str, value: object) -> object:
    """The ``[[clicker]]`` array as ClickerSettings; every problem named ``clicker[i].key``."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add(key, "must be tables: write [[clicker]] on a line of its own for each")
        return None
    if len(value) > MAX_CLICKERS:
        problems.add(key, f"at most {MAX_CLICKERS} clickers")
        return None
    found: list[ClickerSetting] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(cast(list[dict[str, Any]], value)):
        where = f"{key}[{index}]"
        before = len(problems.errors)
        problems.unknown_fields(where, cast(Mapping[object, object], raw), KNOWN)
        if "device" not in raw:
            problems.add(f"{where}.device", "is missing: the clicker's address or name")
            continue
        device = problems.text(f"{where}.device", raw["device"], 200)
        name = problems.text(f"{where}.name", raw.get("name", device or "-"), 60)
        keys = _keys(problems, f"{where}.keys", raw.get("keys", list(DEFAULT_KEYS)))
        holds = _holds(problems, f"{where}.holds", raw.get("holds", "auto"))
        profile = None
        if "profile" in raw:
            profile = problems.text(f"{where}.profile", raw["profile"], 60)
        if name is not None and name.casefold() in seen:
            problems.add(f"{where}.name", f"is also {seen[name.casefold()]}'s: give each its own")
        if len(problems.errors) > before or device is None or name is None or keys is None:
            continue
        seen[name.casefold()] = f"clicker[{index}]"
        found.append(ClickerSetting(device, name, keys, holds, profile))
    return tuple(found)


def _keys(problems: Problems, path: str, value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not value or len(value) > MAX_KEYS:
        problems.add(path, f'must be a list of 1 to {MAX_KEYS} keys, e.g. ["KEY_VOLUMEUP"]')
        return None
    names: list[str] = []
    for item in value:
        name = key_name(item)
        if name is None:
            problems.add(path, f"{item!r} is not a key: use a name such as KEY_ENTER, or its code")
            return None
        names.append(name)
    return tuple(dict.fromkeys(names))


# The default keys' codes (linux/input-event-codes.h, a stable ABI), so that the usual
# clickers need no lookup in python-evdev's tables.
_DEFAULT_CODES: Final = {
    "KEY_VOLUMEUP": 115,
    "KEY_ENTER": 28,
    "KEY_PAGEDOWN": 109,
    "KEY_PAGEUP": 104,
    "KEY_SPACE": 57,
    "KEY_B": 48,
    "KEY_PLAYPAUSE": 164,
}


def key_name(item: object) -> str | None:
    """A key given by name or code, as the name the kernel gives it; None if it is none."""
    if isinstance(item, str) and item.strip().upper() in _DEFAULT_CODES:
        return item.strip().upper()
    codes = _key_codes()
    if type(item) is int:
        if not 0 < item <= HIGHEST_KEY:
            return None
        if codes is None:
            return str(item)
        names = [n for n, c in codes.items() if c == item]
        return names[0] if names else str(item)
    if not isinstance(item, str):
        return None
    name = item.strip().upper()
    if codes is None:
        return name if _KEY_NAME.fullmatch(name) else None
    return name if name in codes else None


def key_codes(names: Sequence[str]) -> frozenset[int]:
    """The codes of keys named by ``key_name``."""
    codes: dict[str, int] = dict(_DEFAULT_CODES)
    if not all(n.isdigit() or n in codes for n in names):
        codes.update(_key_codes() or {})
    known = [n for n in names if n.isdigit() or n in codes]
    return frozenset(int(n) if n.isdigit() else codes[n] for n in known)


def _key_codes() -> dict[str, int] | None:
    """Every key the kernel names, from python-evdev's tables (None without python-evdev)."""
    try:
        from evdev import ecodes
    except ImportError:
        return None
    return {
        name: code
        for name, code in ecodes.ecodes.items()
        if name.startswith(("KEY_", "BTN_")) and isinstance(code, int)
    }


def _holds(problems: Problems, path: str, value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if value != "auto":
        problems.add(path, 'must be true, false or "auto" (found out from the first press)')
    return None


def button_specs(
    clickers: Sequence[ClickerSetting],
    profiles: Sequence[Profile],
    bound: Mapping[str, int] | None = None,
) -> dict[str, ButtonSpec]:
    """The engine's view of the clickers: each one's owner by profile id. The config's
    ``profile`` wins (as every setting the file pins does); a clicker without one belongs
    to whoever the People page bound it to (``bound``: clicker name -> profile id). A
    profile named here that does not exist leaves that clicker nobody's (``spotter
    doctor`` says so)."""
    by_name = {p.name.casefold(): p.id for p in profiles}
    ids = {p.id for p in profiles}
    page = {n: o for n, o in (bound or {}).items() if o in ids}
    return {
        c.name: ButtonSpec(
            owner=page.get(c.name) if c.profile is None else by_name.get(c.profile.casefold()),
            holds=c.holds,
        )
        for c in clickers
    }
