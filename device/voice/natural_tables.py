"""The natural engine's spelling-to-sound tables, read from an SQLite file instead of memory.

hibari-tts reads text with a pronouncing lexicon and a part-of-speech tagger whose
tables it loads from JSON into Python dicts: about 100 MB resident, half of the
worker's peak, for the few hundred words a routine uses. Here each table becomes
an SQLite table on disk, built once per engine version (one table loaded at a
time, before the model, so building costs less memory than rendering), and every
word is looked up there when it is read. The worker then holds only the words it
has met.

Only the standard library is imported here; hibari-tts when a table is built or
read.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

_MISSING = object()
# Each table as the engine's G2P holds it: (file, part of it, table name here).
_SOURCES = (
    ("lexicon_us_gold.json.gz", None, "gold"),
    ("lexicon_us_silver.json.gz", None, "silver"),
    ("tagger.json.gz", "tagdict", "tagdict"),
    ("tagger.json.gz", "vocab", "vocab"),
    ("tagger.json.gz", "weights", "weights"),
    ("tagger.json.gz", "tags", "tags"),
)


def tables_file(directory: Path, engine_version: str) -> Path:
    """Where the tables of this engine version live in ``directory``."""
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in engine_version)
    return directory / f"natural-words-{safe}.sqlite"


def build(target: Path) -> None:
    """Write the tables to ``target`` (atomically); one source file in memory at a time."""
    from hibari.g2p import _load_json

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".words-", suffix=".part")
    os.close(fd)
    partial = Path(name)
    try:
        db = sqlite3.connect(partial)
        try:
            loaded: dict[str, Any] = {}
            for source, part, table in _SOURCES:
                if source not in loaded:
                    loaded.clear()
                    gc.collect()  # the last file's dicts go before the next is read
                    loaded[source] = _load_json(source)
                data = loaded[source] if part is None else loaded[source][part]
                db.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID")
                if isinstance(data, dict):
                    rows = ((k, json.dumps(v, ensure_ascii=False)) for k, v in data.items())
                else:  # a list: its order is kept in the value
                    rows = ((k, str(i)) for i, k in enumerate(data))
                # The table names are this module's own constants.
                insert = f"INSERT OR REPLACE INTO {table} VALUES (?, ?)"  # noqa: S608
                db.executemany(insert, rows)
            loaded.clear()
            db.commit()
        finally:
            db.close()
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    gc.collect()


class Table:
    """One table, read like the dict the engine expects (``get``, ``in``, ``[]``); each
    word's answer is kept once looked up."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self._db = db
        self._query = f"SELECT v FROM {name} WHERE k = ?"  # noqa: S608 - one of ours
        self._seen: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._seen.get(key, _MISSING)
        if value is _MISSING:
            row = self._db.execute(self._query, (key,)).fetchone()
            value = None if row is None else json.loads(row[0])
            self._seen[key] = value
        return default if value is None else value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value


def open_g2p(path: Path) -> Any:
    """The engine's American-English G2P, its tables read from ``path``."""
    from hibari.g2p import G2P, _load_json
    from hibari.g2p.lexicon import Lexicon
    from hibari.g2p.tagger import Tagger
    from hibari.g2p.tokenize import Tokenizer

    # Read only, and never more than a few pages of it cached here.
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    db.execute("PRAGMA cache_size = -256")
    tags = [k for k, _ in sorted(db.execute("SELECT k, v FROM tags"), key=lambda r: int(r[1]))]
    tagger = Tagger.__new__(Tagger)
    tagger.tagdict = Table(db, "tagdict")
    tagger.tags = tags
    tagger.vocab = Table(db, "vocab")
    tagger.weights = Table(db, "weights")
    g2p = G2P.__new__(G2P)
    g2p.lexicon = Lexicon(Table(db, "gold"), Table(db, "silver"), False)
    g2p.tokenizer = Tokenizer(_load_json("tokenizer_exceptions.json"))
    g2p.tagger = tagger
    g2p._oov = None
    g2p.unk = ""
    g2p.british = False
    return g2p


def ready_g2p(path: Path) -> Any:
    """The G2P on the tables at ``path``, built first if they are missing or damaged.
    Call it before the model loads: building holds one table's dicts at a time."""
    if path.exists():
        try:
            return open_g2p(path)
        except sqlite3.DatabaseError:
            pass  # a damaged file (a cut write, a bad card): made again below
    build(path)
    return open_g2p(path)
