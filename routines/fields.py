"""Field checks shared by routine documents and settings changes.

Each check records a message under the field's path and returns ``None`` on a bad
value, so a caller can keep going and report every problem of a document at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

# A document with thousands of made-up keys gets a short answer, not one line per key.
MAX_UNKNOWN = 10
MAX_KEY_SHOWN = 60


def at(prefix: str, key: str) -> str:
    """The path of ``key`` inside the field at ``prefix`` (``exercises[0]`` + ``reps``)."""
    return f"{prefix}.{key}" if prefix else key


def whole_number_rule(low: int, high: int) -> str:
    return f"must be a whole number from {low} to {high}"


def holds_lone_surrogate(value: object) -> bool:
    """Whether any text in plain data ``value`` holds half of a UTF-16 pair (``"\\ud800"``
    in JSON or YAML), which is no character at all and can be neither stored nor shown."""
    pending = [value]
    # YAML aliases can make a list hold itself, or share one list a billion times over:
    # each container is looked into once.
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict | list) and id(item) not in seen:
            seen.add(id(item))
            if isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            else:
                pending.extend(item)
    return False


class Problems:
    """Collects one message per field path, in the order the fields were checked."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        # The first problem found is the one that explains the field best.
        self.errors.setdefault(path, message)

    def whole_number(self, path: str, value: object, low: int, high: int) -> int | None:
        """An int in ``low..high``. Booleans and floats (even ``10.0``) are refused:
        a routine file says exactly what it means."""
        if type(value) is not int or not low <= value <= high:
            self.add(path, whole_number_rule(low, high))
            return None
        return value

    def number(self, path: str, value: object, low: float, high: float) -> float | None:
        """An int or float in ``low..high`` (never a boolean, never NaN)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            value = None
        if value is None or not low <= value <= high:
            self.add(path, f"must be a number from {low} to {high}")
            return None
        return float(value)

    def text(self, path: str, value: object, max_len: int, *, one_line: bool = True) -> str | None:
        """Non-blank text of at most ``max_len`` characters, trimmed of outer spaces."""
        if not isinstance(value, str):
            hint = " (put it in quotes)" if isinstance(value, bool | int | float) else ""
            self.add(path, f"must be text{hint}")
            return None
        value = value.strip()
        if not value:
            self.add(path, "must not be blank")
            return None
        if len(value) > max_len:
            self.add(path, f"must be at most {max_len} characters (it has {len(value)})")
            return None
        if one_line and any(ch < " " or ch == "\x7f" for ch in value):
            self.add(path, "must be a single line of text")
            return None
        return value

    def choice(self, path: str, value: object, options: Sequence[str]) -> str | None:
        if not isinstance(value, str) or value not in options:
            self.add(path, "must be one of: " + ", ".join(options))
            return None
        return value

    def unknown_fields(
        self, prefix: str, data: Mapping[object, object], known: Collection[str]
    ) -> None:
        """Flag every key of ``data`` that is not in ``known``, with a spelling hint; after
        ``MAX_UNKNOWN`` of them, one line says how many more there are."""
        unknown = [key for key in data if not (isinstance(key, str) and key in known)]
        for key in unknown[:MAX_UNKNOWN]:
            name = str(key)
            if len(name) > MAX_KEY_SHOWN:
                name = name[: MAX_KEY_SHOWN - 1] + "…"
            import difflib

            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else f" (known: {', '.join(known)})"
            self.add(at(prefix, name), "unknown field" + hint)
        if len(unknown) > MAX_UNKNOWN:
            self.add(at(prefix, "…"), f"and {len(unknown) - MAX_UNKNOWN} more unknown fields")
