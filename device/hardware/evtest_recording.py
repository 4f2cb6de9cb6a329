"""Recordings of input devices in ``evtest``'s text format, read back as what a live device did.

``evtest /dev/input/eventN`` prints a header naming the device, then one line per event::

    Input device name: "AB Shutter3"
    Event: time 1700000000.123456, type 1 (EV_KEY), code 115 (KEY_VOLUMEUP), value 1
    Event: time 1700000000.123456, -------------- SYN_REPORT ------------

When the device goes away evtest prints ``evtest: error reading: No such device``; a
header after that (evtest run again, e.g. in a loop) is the device coming back, at the
time of its first event. python-evdev's ``python -m evdev.evtest`` lines (``time
1700000000.123456 type 1 (EV_KEY), code 115 ...``) read the same. evtest does not print
a device's unique id (a Bluetooth address): a comment ``# uniq: DC:2C:26:0A:11:22``
in the header stands for it. Other header lines and comments are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EV_KEY = 1  # linux/input-event-codes.h; a stable ABI number

_EVENT = re.compile(
    r"(?:Event:\s*)?time\s+(?P<time>\d+(?:\.\d+)?),?\s+type\s+(?P<type>\d+)\s*\([^)]*\),\s*"
    r"code\s+(?P<code>\d+)\s*\((?P<name>[^)]*)\),\s*value\s+(?P<value>-?[0-9a-fA-F]+)\s*$"
)
_SYN = re.compile(r"(?:Event:\s*)?time\s+\d+(?:\.\d+)?,?\s+[-+!]+\s*\w+\s*[-+!]+\s*$")
_NAME = re.compile(r'Input device name:\s*"(?P<name>.*)"\s*$')
_COMMENT = re.compile(r"#\s*(?P<key>uniq|phys)\s*:\s*(?P<value>\S.*?)\s*$")
_GONE = re.compile(r"evtest: error reading", re.IGNORECASE)


class RecordingError(ValueError):
    """A recording that cannot be read; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Appeared:
    """A device came (the first header, or a header after it went)."""

    name: str
    uniq: str
    phys: str
    at: float


@dataclass(frozen=True, slots=True)
class Key:
    """A key event: ``value`` 1 down, 0 up, 2 autorepeat."""

    code: int
    key: str
    value: int
    at: float


@dataclass(frozen=True, slots=True)
class Vanished:
    at: float


Happening = Appeared | Key | Vanished


@dataclass(frozen=True, slots=True)
class Recording:
    """One recorded device: its ``happenings`` in order, each stamped with recorded time."""

    path: Path
    name: str
    uniq: str
    phys: str
    happenings: tuple[Happening, ...]

    @property
    def start(self) -> float:
        return self.happenings[0].at if self.happenings else 0.0


def read_recording(path: Path) -> Recording:
    """Read ``path``; raises RecordingError naming the line that cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise RecordingError(f"{path}: cannot be read ({err})") from err
    return parse_recording(text, path)


def parse_recording(text: str, path: Path) -> Recording:
    happenings: list[Happening] = []
    name, uniq, phys = "", "", ""
    header = False  # a header read whose device has not appeared yet
    present = False
    last = 0.0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if match := _NAME.search(line):
            if present:
                raise RecordingError(
                    f"{path}:{number}: a second device header without the first one going "
                    "(evtest prints 'error reading: No such device' between them)"
                )
            name, header = match["name"], True
            continue
        if match := _COMMENT.fullmatch(line):
            if match["key"] == "uniq":
                uniq = match["value"]
            else:
                phys = match["value"]
            continue
        if _GONE.search(line):
            if present:
                happenings.append(Vanished(last))
                present, header = False, False
            continue
        if _SYN.fullmatch(line):
            continue
        if line.startswith(("Event:", "time ")):
            match = _EVENT.fullmatch(line)
            if match is None:
                raise RecordingError(f"{path}:{number}: not an event line evtest prints: {line}")
            at = float(match["time"])
            if at < last:
                raise RecordingError(f"{path}:{number}: time goes backwards ({at} after {last})")
            last = at
            if not present:
                if not header and happenings:
                    raise RecordingError(f"{path}:{number}: an event after the device went")
                happenings.append(Appeared(name or path.stem, uniq, phys, at))
                present = True
            # evtest prints some values in hex (MSC_SCAN's); a key's is 0, 1 or 2.
            if int(match["type"]) == EV_KEY and match["value"] in ("0", "1", "2"):
                happenings.append(Key(int(match["code"]), match["name"], int(match["value"]), at))
            continue
        # Any other line is header text (IDs, capabilities, "Testing ...").
    if not any(isinstance(h, Key) for h in happenings):
        raise RecordingError(f"{path}: holds no key events (is it evtest's output?)")
    return Recording(path, name or path.stem, uniq, phys, tuple(happenings))
