"""Config keys a new version documents that the owner's file has never mentioned.

The package keeps the owner's /etc/spotter/spotter.toml on upgrade (a conffile) and
ships its own commented example beside the program. A key the example describes and
the owner's file mentions nowhere, not even commented out, is new since that file was
written: the doctor names it, so an owner learns what the upgrade brought.
"""

from __future__ import annotations

import re
from pathlib import Path

EXAMPLE = Path("/usr/share/spotter/spotter.toml")
_TABLE = re.compile(r"^\s*#?\s*\[([a-z_]+)\]\s*$")
_KEY = re.compile(r"^\s*#?\s*([a-z_]+)\s*=")


def mentioned_keys(text: str) -> set[str]:
    """``table.key`` (or ``key`` at the top) for every key set or shown commented out."""
    keys: set[str] = set()
    table = ""
    for line in text.splitlines():
        if found := _TABLE.match(line):
            table = found.group(1)
        elif found := _KEY.match(line):
            keys.add(f"{table}.{found.group(1)}" if table else found.group(1))
    return keys


def new_keys(owners: str, example: str) -> list[str]:
    return sorted(mentioned_keys(example) - mentioned_keys(owners))
