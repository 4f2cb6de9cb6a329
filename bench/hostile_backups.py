"""Attack rows for backups and restores, on the daemon ``bench.attack`` runs (no PIN yet).

- **Hostile backup files**: a real backup downloaded from the daemon, changed with sqlite3
  as an attacker would (a view under a table's name, a table gone, a routine past the
  caps, a workout dated 1e18, a 6 MB name...), each sent to ``POST /api/restore``: a clean
  4xx, the data as it was, the daemon answering.
- **Planted SQL**: a backup carrying triggers, views and tables of its own is restored;
  then Spotter writes, and its store must hold its own schema only, the secrets unseen.
- **Backup downloads**: 20 downloads asked at once-a-second pace or faster: how many were
  sent, refused with 429, and how much the daemon wrote to the card meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.daemon_proc import HOST, Daemon
from bench.report import Figure

RSS_ATTACK_MB = 80.0
DOWNLOADS = 20
_INSERT_WORKOUT = (
    "INSERT INTO history (routine_id, routine_name, started_at, finished_at, exercises_done, "
    "sets_done, completed{extra}) VALUES ('x', 'X', 1e9, {finished}, 1, 1, 1{value})"
)
_OVER_CAP = json.dumps(
    {
        "id": "huge",
        "name": "Huge",
        "exercises": [
            {"name": f"Move {n}", "sets": 20, "reps": 200, "sides": "both"} for n in range(50)
        ],
    }
)
HOSTILE: Sequence[tuple[str, Sequence[str], tuple[object, ...]]] = (
    (
        "a view under the routines table's name",
        ("ALTER TABLE routines RENAME TO kept", "CREATE VIEW routines AS SELECT * FROM kept"),
        (),
    ),
    ("no profiles table", ("DROP TABLE profiles",), ()),
    ("no secrets table", ("DROP TABLE secrets",), ()),
    ("a history column gone", ("ALTER TABLE history DROP COLUMN routine_name",), ()),
    ("no profile rows", ("DELETE FROM profiles",), ()),
    ("a 6 MB profile name", ("UPDATE profiles SET name = ?",), ("x" * 6_000_000,)),
    ("a 41-character profile name", ("UPDATE profiles SET name = ?",), ("x" * 41,)),
    (
        "50 exercises x 20 sets x 200 reps x 2 sides",
        ("INSERT INTO routines (id, body, version, updated_at) VALUES ('huge', ?, 1, 0)",),
        (_OVER_CAP,),
    ),
    (
        "a workout finished at 1e18",
        (_INSERT_WORKOUT.format(extra="", finished="1e18", value=""),),
        (),
    ),
    (
        "a workout of a profile not there",
        (_INSERT_WORKOUT.format(extra=", profile_id", finished="1e9", value=", 99"),),
        (),
    ),
    ("a setting out of range", ("INSERT INTO settings VALUES ('pace', '9')",), ()),
    ("not JSON in a setting", ("INSERT INTO settings VALUES ('pace', 'fast')",), ()),
)
PLANTED = (
    "CREATE TRIGGER steal AFTER INSERT ON history BEGIN "
    "UPDATE profiles SET name = (SELECT hex(value) FROM secrets LIMIT 1); END",
    "CREATE TRIGGER pin AFTER UPDATE ON settings BEGIN "
    "UPDATE profiles SET name = (SELECT value FROM settings WHERE key = 'pin_hash'); END",
    "CREATE TRIGGER wipe AFTER INSERT ON state BEGIN DELETE FROM history; END",
    "CREATE TABLE junk (x)",
    "CREATE TRIGGER grow AFTER INSERT ON state BEGIN "
    "INSERT INTO junk VALUES (randomblob(100000)); END",
    "CREATE VIEW planted AS SELECT * FROM secrets",
    "CREATE INDEX extra ON routines (body)",
)


def _changed(original: bytes, where: Path, sql: Sequence[str], params: tuple[object, ...]) -> bytes:
    where.write_bytes(original)
    conn = sqlite3.connect(where, isolation_level=None)
    try:
        for statement in sql:
            conn.execute(statement, params if "?" in statement else ())
        conn.execute("VACUUM")
    finally:
        conn.close()
    return where.read_bytes()


def _restore(d: Daemon, body: bytes) -> tuple[int, bytes]:
    import http.client

    conn = http.client.HTTPConnection(HOST, d.port, timeout=60)
    try:
        conn.request(
            "POST", "/api/restore", body=body, headers={"Content-Type": "application/octet-stream"}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _data(d: Daemon) -> tuple[bytes, ...]:
    return tuple(
        d.request("GET", path)[1]
        for path in ("/api/routines", "/api/settings", "/api/profiles", "/api/history")
    )


def _written_bytes(d: Daemon) -> int:
    for line in Path(f"/proc/{d.proc.pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def _schema(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            (str(r[0]), str(r[1]))
            for r in conn.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        }
    finally:
        conn.close()


def run_on(d: Daemon) -> list[Figure]:
    """The rows, on a running daemon without a PIN (its data is replaced by the end)."""
    figures: list[Figure] = []
    status, original = d.request("GET", "/api/backup", timeout=60)
    if status != 200:
        raise RuntimeError(f"GET /api/backup answered {status}")
    own = _schema(d.data_dir / "spotter.db")
    written = _written_bytes(d)
    codes = [d.request("GET", "/api/backup", timeout=60)[0] for _ in range(DOWNLOADS)]
    written_mb = (_written_bytes(d) - written) / 1e6
    store_mb = (d.data_dir / "spotter.db").stat().st_size / 1e6
    figures.append(
        Figure(
            f"Card writes while {DOWNLOADS} backups are asked for in a row",
            written_mb,
            None,
            "MB",
            f"<= {2 * store_mb + 1:.1f} MB (two copies)",
            written_mb <= 2 * store_mb + 1 and set(codes) <= {200, 429},
            note=f"sent {codes.count(200)}, refused with 429: {codes.count(429)}",
        )
    )
    before_rss = d.peak_rss_mb()
    with tempfile.TemporaryDirectory(prefix="spotter-hostile-") as tmp:
        clean, server_errors, unclean = 0, 0, []
        for name, sql, params in HOSTILE:
            body = _changed(original, Path(tmp) / "hostile.sqlite3", sql, params)
            before = _data(d)
            status, answer = _restore(d, body)
            alive = d.request("GET", "/api/status")[0] == 200
            if status >= 500:
                server_errors += 1
            if 400 <= status < 500 and alive and _data(d) == before:
                clean += 1
            else:
                unclean.append(f"{name} ({status}: {answer[:80]!r})")
        tried = len(HOSTILE)
        figures.append(
            Figure(
                f"Hostile backup files refused with a clean 4xx, nothing lost ({tried} tried)",
                clean,
                None,
                "",
                f"all {tried}",
                clean == tried and server_errors == 0,
                note=f"5xx: {server_errors}"
                + ("; not clean: " + "; ".join(unclean) if unclean else ""),
            )
        )
        body = _changed(original, Path(tmp) / "planted.sqlite3", PLANTED, ())
        status, _ = _restore(d, body)
        names_before = json.loads(d.request("GET", "/api/profiles")[1])
        d.request("PUT", "/api/settings", {"default_rest_seconds": 45})
        d.gesture("press")
        names_after = json.loads(d.request("GET", "/api/profiles")[1])
        schema_kept = _schema(d.data_dir / "spotter.db") == own
        survived = status == 200 and schema_kept and names_after == names_before
        figures.append(
            Figure(
                "A backup with planted triggers, views and tables: restored without its SQL",
                1 if survived else 0,
                None,
                "",
                "1 (the store's schema is Spotter's own)",
                survived,
                note=f"restore answered {status}; schema {'as made' if schema_kept else 'CHANGED'}",
            )
        )
    figures.append(
        Figure(
            "Peak RSS under hostile backup files",
            d.peak_rss_mb(),
            None,
            "MB",
            f"<= {RSS_ATTACK_MB:g} MB",
            d.peak_rss_mb() <= RSS_ATTACK_MB,
            baseline=f"before: {before_rss:.1f} MB",
        )
    )
    return figures
