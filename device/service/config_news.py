"""Config keys a new version documents that the owner's file has never mentioned.

The package keeps the owner's /etc/spotter/spotter.toml on upgrade (a conffile) and
ships its own commented example beside the program. A key the example describes and
the owner's file mentions nowhere, not even commented out, is new since that file was
written: the doctor names it, so an owner learns what the upgrade brought. The
daemon names them in its log too, once per release: the release it last named them
for is kept in the data directory, so a restart does not repeat them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from routines.store_files import fsync_dir, fsync_file, match_owner

log = logging.getLogger(__name__)

EXAMPLE = Path("/usr/share/spotter/spotter.toml")
# In the data directory: the release whose new settings were last named in the log.
NAMED_FOR = "config-news-named"
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


def log_once_per_release(
    owners: Path | None, data_dir: Path, release: str, example: Path = EXAMPLE
) -> list[str]:
    """Name in the log the keys new since ``owners`` was written, unless this release
    already did; returns the keys named (none when there is nothing new or no file)."""
    marker = data_dir / NAMED_FOR
    try:
        if marker.read_text(encoding="utf-8").strip() == release:
            return []
    except OSError:
        pass  # never named: a first start, or an upgrade from a release that did not
    found: list[str] = []
    if owners is not None and example.is_file():
        try:
            found = new_keys(
                owners.read_text(encoding="utf-8"), example.read_text(encoding="utf-8")
            )
        except OSError as err:
            log.info("could not compare %s with %s: %s", owners, example, err)
            return []
    if found:
        log.warning(
            "spotter %s has settings %s does not mention: %s (what they do: %s)",
            release,
            owners,
            ", ".join(found),
            example,
        )
    try:
        _write_durably(marker, release + "\n")
    except OSError as err:
        log.info("could not note that the new settings were named (%s): %s", marker, err)
    return found


def _write_durably(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    fsync_file(partial)
    match_owner(partial, path.parent)  # root running the daemon by hand: the service's file
    partial.replace(path)
    fsync_dir(path.parent)
