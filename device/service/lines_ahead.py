"""The search for every line a routine can say, in a process of its own at low priority.

The search (``device.engine.preview.routine_lines``) is pure Python and takes seconds on
a Pi. On a thread of the daemon it would hold the interpreter lock that the worker needs
for the button and the voice, so the first answers after a start would come half as
fast. In its own process, five steps of niceness below the daemon, it takes only what
the daemon and the speech engine leave.

Run as ``python -m device.service.lines_ahead``: one JSON request on stdin
(``{"default_rest", "gesture_actions", "routines": [routine, ...]}``), one JSON answer
on stdout, the lines of each routine in the same order.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from device.events import Action, Gesture
from routines.model import Routine

# A Pi finds the shipped routine's lines in about 6 s; a routine at every cap takes
# longer, and a search that takes this long has gone wrong.
SEARCH_TIMEOUT_S = 300.0
NICER_BY = 5


class LinesSearch(Protocol):
    """Finds every line each routine can say (``search_in_child`` is one)."""

    def __call__(
        self,
        routines: Sequence[Routine],
        *,
        default_rest: int,
        gesture_actions: Mapping[Gesture, Action],
    ) -> list[list[str]]: ...


class SearchFailed(Exception):
    """The search's process could not give the lines (it says why)."""


def search_in_child(
    routines: Sequence[Routine],
    *,
    default_rest: int,
    gesture_actions: Mapping[Gesture, Action],
) -> list[list[str]]:
    """Every line each of ``routines`` can say, found by a process of its own."""
    request = {
        "default_rest": default_rest,
        "gesture_actions": {g.value: a.value for g, a in gesture_actions.items()},
        "routines": [routine.to_dict() for routine in routines],
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=SEARCH_TIMEOUT_S,
            check=False,
            start_new_session=True,  # a Ctrl-C in a terminal is the daemon's to handle
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise SearchFailed(f"cannot run the search for lines ahead ({err})") from err
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SearchFailed(f"the search for lines ahead failed: {last}")
    try:
        found = json.loads(done.stdout)
    except ValueError as err:
        raise SearchFailed(f"the search for lines ahead answered nonsense ({err})") from err
    if (
        not isinstance(found, list)
        or len(found) != len(routines)
        or not all(isinstance(lines, list) for lines in found)
        or not all(isinstance(line, str) for lines in found for line in lines)
    ):
        raise SearchFailed("the search for lines ahead answered nonsense")
    return found


def _search(request: Any) -> list[list[str]]:
    from device.engine.preview import routine_lines
    from routines.validation import parse_routine

    actions = {Gesture(g): Action(a) for g, a in request["gesture_actions"].items()}
    return [
        routine_lines(
            parse_routine(raw, source="the daemon"),
            default_rest=int(request["default_rest"]),
            gesture_actions=actions,
        )
        for raw in request["routines"]
    ]


def main() -> None:
    # Where the priority cannot be lowered, the search is at least off the daemon's lock.
    with contextlib.suppress(OSError):
        os.nice(NICER_BY)
    json.dump(_search(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
