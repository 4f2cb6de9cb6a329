"""The copy of the store kept before its schema is upgraded, so an older Spotter can have it back.

An older release refuses a store a newer one has upgraded; ``spotter restore`` of
``spotter.db.pre-<release>`` (with that release installed again) brings back the data as
it was just before the upgrade.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

# The last release whose Spotter wrote each schema: the copy is named after the release
# that can read it. Every build before the first packaged one called itself 0.1.0.
LAST_RELEASE_OF_SCHEMA = {1: "0.1.0", 2: "0.1.0"}


def copy_name(db_path: Path, schema: int) -> Path:
    release = LAST_RELEASE_OF_SCHEMA.get(schema, f"schema-{schema}")
    return db_path.with_name(f"{db_path.name}.pre-{release}")


def keep_copy_before_upgrade(conn: sqlite3.Connection, db_path: Path, schema: int) -> Path:
    """Copy the open store (a consistent snapshot, through SQLite's backup) beside it.

    A copy already there is from an earlier attempt at the same upgrade: it is kept, as
    the only one known to hold the data as the older release left it.
    """
    target = copy_name(db_path, schema)
    if target.exists():
        return target
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Readable by the owner only, as the store itself: it holds the PIN's hash.
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT, 0o600))
    with contextlib.closing(sqlite3.connect(partial)) as copy:
        conn.backup(copy)
    partial.replace(target)
    log.info("kept the store as it was before the upgrade: %s", target)
    return target
