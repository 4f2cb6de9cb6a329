"""Before its schema is upgraded the store is copied, so the older Spotter can have it back."""

from __future__ import annotations

import shutil
import sqlite3
import stat

from routines.schema import SCHEMA_VERSION
from routines.store import DB_NAME, Store
from tests.routines.test_store_upgrade import FIXTURE


def user_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_an_upgrade_keeps_the_old_store_named_after_the_release_that_reads_it(tmp_path):
    shutil.copyfile(FIXTURE, tmp_path / DB_NAME)
    Store.open(tmp_path).close()
    copy = tmp_path / "spotter.db.pre-0.1.0"
    assert user_version(tmp_path / DB_NAME) == SCHEMA_VERSION
    # The copy is the schema-1 store as it was, whole, and only its owner reads it.
    assert user_version(copy) == 1
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM history").fetchone()[0] == 8
    finally:
        conn.close()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not list(tmp_path.glob("*.partial"))


def test_a_store_already_on_this_schema_gets_no_copy(tmp_path):
    Store.open(tmp_path).close()
    Store.open(tmp_path).close()
    assert sorted(p.name for p in tmp_path.iterdir() if "pre-" in p.name) == []


def test_a_copy_from_an_earlier_attempt_is_not_overwritten(tmp_path):
    shutil.copyfile(FIXTURE, tmp_path / DB_NAME)
    earlier = tmp_path / "spotter.db.pre-0.1.0"
    shutil.copyfile(FIXTURE, earlier)
    before = earlier.read_bytes()
    Store.open(tmp_path).close()
    assert earlier.read_bytes() == before
