"""Attack: a real ``spotter run --simulate`` treated the way a stranger on a gym's Wi-Fi could.

- **Bad inputs**: odd requests sent as raw bytes over loopback; each must get a 4xx whose
  body is short, with the store exactly as before and the daemon still answering.
- **Caps full**: 100 routines, each near the largest size a routine may have, listed and
  previewed; then the daemon's peak resident memory.
- **Idle connections**: hundreds of connections opened and left silent, spread over
  loopback addresses as phones would be, while ``GET /api/status`` is timed.
- **Past the PIN**: with a PIN set, a stranger's presses that would start or end a
  workout, reads of history and backups, and a flood of presses from one address.
- **Big uploads**: three clients at once each sending a 16 MiB file to restore (the
  largest a backup may be): the daemon's peak resident memory.
- **Backups and restores** (``bench.hostile_backups``): hostile backup files, one with
  planted SQL, and backups asked for in a row.
- **PIN guesses**: wrong PINs sent as fast as the daemon takes them, each from the next of
  150 loopback addresses (127.0.0.x), for a minute: how many were actually judged.
"""

from __future__ import annotations

import http.client
import json
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from bench import hostile_backups
from bench.daemon_proc import HOST, Daemon, daemon
from bench.report import Figure, p50_p95

PIN = "582913"
ADDRESSES = 150
IDLE = 300
MAX_ANSWER = 8192
RSS_TARGET_MB = 55.0


def _raw(d: Daemon, data: bytes, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send ``data`` as it is; (status, body) of the answer (0 when none came)."""
    with socket.create_connection((HOST, d.port), timeout=timeout) as sock:
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/"):
        return 0, answer
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    fields = {"Content-Type": "application/json", **(headers or {})}
    if body and "Transfer-Encoding" not in fields and "Content-Length" not in fields:
        fields["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _routine(name: str, **exercise: Any) -> dict[str, Any]:
    return {"name": name, "exercises": [{"name": "Bridges", "sets": 2, "reps": 8, **exercise}]}


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def bad_inputs() -> list[tuple[str, bytes]]:
    """Every odd request tried, by name."""
    ok = _json(_routine("Fine"))
    chunk = b"x" * 8192
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40))
    return [
        ("lone surrogate in a routine", _request("POST", "/api/routines", b'{"name": "\\ud800"}')),
        (
            "lone surrogate in settings",
            _request("PUT", "/api/settings", b'{"voice_id": "\\udfff"}'),
        ),
        ("key given twice", _request("POST", "/api/routines", b'{"name": "a", "name": "b"}')),
        (
            "If-Match of 5,000 digits",
            _request("PUT", "/api/routines/lower-back", ok, {"If-Match": '"' + "9" * 5000 + '"'}),
        ),
        (
            "If-Match of 100,000 digits",
            _request(
                "PUT", "/api/routines/lower-back", ok, {"If-Match": '"' + "9" * 100_000 + '"'}
            ),
        ),
        (
            "Content-Length of 400 MB",
            _request("POST", "/api/button", b"", {"Content-Length": str(400 * 1024 * 1024)}),
        ),
        (
            "chunked body past the limit",
            _request("POST", "/api/button", chunked, {"Transfer-Encoding": "chunked"}),
        ),
        ("body one byte over the limit", _request("POST", "/api/button", b" " * (256 * 1024 + 1))),
        (
            "41 exercises",
            _request(
                "POST",
                "/api/routines",
                _json(
                    {
                        "name": "Long",
                        "exercises": [{"name": f"E{i}", "sets": 1, "reps": 2} for i in range(41)],
                    }
                ),
            ),
        ),
        ("201 reps", _request("POST", "/api/routines", _json(_routine("R", reps=201)))),
        ("21 sets", _request("POST", "/api/routines", _json(_routine("S", sets=21)))),
        (
            "1:30 as a hold",
            _request(
                "POST",
                "/api/routines",
                _json(
                    {
                        "name": "H",
                        "exercises": [{"name": "Wall", "sets": 1, "hold_seconds": "1:30"}],
                    }
                ),
            ),
        ),
        (
            "a 5,000-digit number",
            _request(
                "POST", "/api/routines", b'{"name": "N", "sessions_per_week": ' + b"9" * 5000 + b"}"
            ),
        ),
        (
            "routine over the size cap",
            _request(
                "POST",
                "/api/routines",
                _json(
                    {
                        "name": "Big",
                        "exercises": [
                            {
                                "name": f"E{i}",
                                "sets": 1,
                                "reps": 2,
                                "setup": ["s" * 290] * 20,
                                "cues": ["c" * 290] * 20,
                            }
                            for i in range(12)
                        ],
                    }
                ),
            ),
        ),
        (
            "4,000 unknown fields",
            _request(
                "POST", "/api/routines", _json({f"field_{i}_" + "x" * 40: 1 for i in range(4000)})
            ),
        ),
        ("NUL in a name", _request("POST", "/api/routines", _json(_routine("a\x00b")))),
        ("JSON nested 100,000 deep", _request("POST", "/api/routines", b"[" * 100_000)),
        ("not JSON", _request("POST", "/api/button", b"gesture=press")),
        (
            "text/plain write",
            _request(
                "POST", "/api/button", b'{"gesture": "press"}', {"Content-Type": "text/plain"}
            ),
        ),
        ("unknown gesture", _request("POST", "/api/button", b'{"gesture": "kick"}')),
        (
            "DNS-rebinding read",
            _request("GET", "/api/settings").replace(b"Host: 127.0.0.1", b"Host: evil.example"),
        ),
        (
            "DNS-rebinding write",
            _request("PUT", "/api/settings", b"{}").replace(
                b"Host: 127.0.0.1", b"Host: evil.example"
            ),
        ),
        (
            "cross-site write",
            _request(
                "POST", "/api/button", b'{"gesture": "press"}', {"Origin": "http://evil.example"}
            ),
        ),
        ("headers of 20 KB", _request("GET", "/api/status", b"", {"Cookie": "a=" + "b" * 20000})),
        ("garbage request line", b"\x16\x03\x01 hello\r\n\r\n"),
        (
            "Host header with a space",
            _request("GET", "/api/settings").replace(b"Host: 127.0.0.1", b"Host: a b"),
        ),
        (
            "Host header with two ports",
            _request("GET", "/api/settings").replace(
                b"Host: 127.0.0.1", b"Host: 127.0.0.1:80:evil"
            ),
        ),
        ("unknown routine", _request("GET", "/api/routines/no-such-one")),
    ]


def _snapshot(d: Daemon) -> tuple[bytes, ...]:
    return tuple(
        d.request("GET", path)[1] for path in ("/api/routines", "/api/settings", "/api/history")
    )


def try_bad_inputs(d: Daemon, inputs: list[tuple[str, bytes]]) -> tuple[int, list[str]]:
    """How many inputs were refused cleanly, and the names of those that were not."""
    clean, unclean = 0, []
    for name, data in inputs:
        before = _snapshot(d)
        status, body = _raw(d, data)
        alive = d.request("GET", "/api/status")[0] == 200
        if 400 <= status < 500 and len(body) <= MAX_ANSWER and alive and _snapshot(d) == before:
            clean += 1
        else:
            unclean.append(f"{name} ({status}, {len(body)} bytes)")
    return clean, unclean


def largest_routine(name: str, limit: int) -> dict[str, Any]:
    """A routine of 40 exercises and 3,000 counted reps whose saved form is just under
    ``limit`` bytes."""
    doc: dict[str, Any] = {"name": name, "exercises": []}
    for i in range(40):
        doc["exercises"].append(
            {"name": f"Move {i}", "sets": 3, "reps": 25, "setup": [], "cues": []}
        )
    step = 0
    while True:
        exercise = doc["exercises"][step % 40]
        field = "setup" if step % 80 < 40 else "cues"
        line = f"{field.title()} line {len(exercise[field])} for move {step % 40}, said plainly."
        # The saved form adds each default (count, sides) and the id: about 2.5 KB.
        if len(exercise[field]) >= 10 or len(_json(doc)) + len(line) + 3000 > limit:
            return doc
        exercise[field].append(line)
        step += 1


def fill_to_the_caps(d: Daemon) -> tuple[int, float]:
    """Fill the store with the largest routines it takes; (routines kept, seconds)."""
    began = time.monotonic()
    n = 0
    while True:
        status, _ = d.request("POST", "/api/routines", largest_routine(f"Full {n}", 32 * 1024))
        if status != 201:
            break
        n += 1
    routines = json.loads(d.request("GET", "/api/routines")[1])["routines"]
    return len(routines), time.monotonic() - began


def read_everything(d: Daemon, rounds: int) -> None:
    """List every routine and open previews, the heaviest reads the page offers."""
    ids = [r["id"] for r in json.loads(d.request("GET", "/api/routines")[1])["routines"]]
    for _ in range(rounds):
        d.request("GET", "/api/routines", timeout=60)
        for routine_id in ids[-3:]:
            d.request("GET", f"/routines/{routine_id}/preview", timeout=60)


@contextmanager
def idle_connections(d: Daemon, count: int) -> Iterator[int]:
    """``count`` silent connections from 127.0.0.10 upwards, 20 per address."""
    with ExitStack() as held:
        for i in range(count):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((f"127.0.0.{10 + i // 20}", 0))
            sock.connect((HOST, d.port))
        # Let the server accept them all before anything is timed.
        time.sleep(1.0)
        yield count


def status_times(d: Daemon, samples: int) -> list[float]:
    """Milliseconds for each of ``samples`` status requests on fresh connections."""
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        status, _ = d.request("GET", "/api/status", timeout=10)
        if status != 200:
            raise RuntimeError(f"/api/status answered {status}")
        times.append((time.perf_counter() - began) * 1000)
    return times


FLOOD_PRESSES = 50
UPLOAD_BYTES = 16 * 1024 * 1024 - 64
UPLOADERS = 3
RSS_ATTACK_MB = 80.0


def big_uploads(d: Daemon) -> list[int]:
    """Three 16 MiB "backups" at once (SQLite's header, then junk); their status codes."""
    body = b"SQLite format 3\x00" + b"\x01" * (UPLOAD_BYTES - 16)
    head = _request(
        "POST", "/api/restore", b"", {"Content-Type": "application/octet-stream",
                                       "Content-Length": str(len(body))},
    )  # fmt: skip
    codes: list[int] = []

    def send() -> None:
        with suppress(OSError):
            codes.append(_raw(d, head + body, timeout=60)[0])

    threads = [threading.Thread(target=send) for _ in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def past_the_pin(d: Daemon) -> tuple[int, int, list[str]]:
    """With a PIN set and the workout idle: what a stranger tries; (refused with a 4xx,
    tried, what got through). Ends with a flood of presses that must meet 429s."""
    tries = [
        ("press to start a workout", "POST", "/api/button", {"gesture": "press"}),
        ("next to start a workout", "POST", "/api/button", {"action": "next"}),
        ("end a workout", "POST", "/api/button", {"action": "end"}),
        ("read the history", "GET", "/api/history", None),
        ("read the history CSV", "GET", "/api/history.csv", None),
        ("read the history page", "GET", "/history", None),
        ("download a backup", "GET", "/api/backup", None),
    ]
    refused, through = 0, []
    for name, method, path, body in tries:
        status, _ = d.request(method, path, body)
        # The page answers with the login page's address (302), the API with 401.
        if status in (302, 401):
            refused += 1
        else:
            through.append(f"{name} ({status})")
    flood = [
        d.request("POST", "/api/button", {"action": "repeat"})[0] for _ in range(FLOOD_PRESSES)
    ]
    if 429 in flood:
        refused += 1
    else:
        through.append(f"{FLOOD_PRESSES} quick presses: none paced")
    return refused, len(tries) + 1, through


def guess_pins(d: Daemon, seconds: float) -> tuple[int, int]:
    """Wrong PINs as bearer tokens from 150 rotating addresses; (judged, refused)."""
    judged = refused = 0
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        source = f"127.0.0.{1 + i % ADDRESSES}"
        i += 1
        conn = http.client.HTTPConnection(HOST, d.port, timeout=10, source_address=(source, 0))
        try:
            conn.request(
                "PUT",
                "/api/settings",
                body=b"{}",
                headers={
                    "Content-Type": "application/json",
                    "Authorization": f"Bearer {i % 1000000:06d}",
                },
            )
            code = conn.getresponse().status
        finally:
            conn.close()
        if code == 401:
            judged += 1
        elif code == 429:
            refused += 1
    return judged, refused


def run(quick: bool = False) -> list[Figure]:
    """Every attack on one daemon, in an order that keeps each from spoiling the next."""
    figures: list[Figure] = []
    with (
        tempfile.TemporaryDirectory(prefix="spotter-attack-") as tmp,
        daemon(Path(tmp) / "data") as d,
    ):
        inputs = bad_inputs()
        clean, unclean = try_bad_inputs(d, inputs)
        before_fill = d.peak_rss_mb()
        kept, fill_seconds = fill_to_the_caps(d)
        more = [
            (
                "routine past the cap of 100",
                _request("POST", "/api/routines", _json(_routine("One too many"))),
            )
        ]
        more_clean, more_unclean = try_bad_inputs(d, more)
        clean += more_clean
        unclean += more_unclean
        tried = len(inputs) + len(more)
        figures.append(
            Figure(
                f"Bad inputs refused with a clean 4xx, nothing changed ({tried} tried)",
                clean,
                None,
                "",
                f"all {tried}",
                clean == tried,
                note="not clean: " + "; ".join(unclean) if unclean else "",
            )
        )
        read_everything(d, 1 if quick else 3)
        figures.append(
            Figure(
                f"Peak RSS with the caps full ({kept} routines near 32 KB, listed and previewed)",
                d.peak_rss_mb(),
                None,
                "MB",
                f"<= {RSS_TARGET_MB:g} MB",
                d.peak_rss_mb() <= RSS_TARGET_MB,
                baseline=f"the same daemon before filling: {before_fill:.1f} MB",
                note=f"filled in {fill_seconds:.1f} s",
            )
        )
        with idle_connections(d, IDLE) as held:
            times = status_times(d, 20 if quick else 100)
            median, p95 = p50_p95(times)
            figures.append(
                Figure(
                    f"GET /api/status while {held} idle connections are held",
                    median,
                    p95,
                    "ms",
                    ">= 200 held, answered",
                    held >= 200,
                )
            )
        before_uploads = d.peak_rss_mb()
        codes = big_uploads(d)
        figures.append(
            Figure(
                f"Peak RSS while {UPLOADERS} clients each send a 16 MiB file to restore",
                d.peak_rss_mb(),
                None,
                "MB",
                f"<= {RSS_ATTACK_MB:g} MB",
                d.peak_rss_mb() <= RSS_ATTACK_MB and all(400 <= c < 500 for c in codes),
                baseline=f"before: {before_uploads:.1f} MB",
                note="answers: " + ", ".join(str(c) for c in codes),
            )
        )
        figures += hostile_backups.run_on(d)
        status, _ = d.request("PUT", "/api/settings", {"pin": PIN})
        if status != 200:
            raise RuntimeError(f"setting the PIN answered {status}")
        refused_pin, tried_pin, through = past_the_pin(d)
        figures.append(
            Figure(
                f"A stranger's reach past the PIN refused ({tried_pin} tried)",
                refused_pin,
                None,
                "",
                f"all {tried_pin}",
                refused_pin == tried_pin,
                note="got through: " + "; ".join(through) if through else "",
            )
        )
        # A minute even in a quick run: the figure is per minute and the first one is
        # the worst, holding the free tries.
        window = 60.0
        judged, refused = guess_pins(d, window)
        per_minute = judged * 60 / window
        figures.append(
            Figure(
                f"Wrong PINs judged per minute from {ADDRESSES} addresses",
                per_minute,
                None,
                "/min",
                "<= 10",
                per_minute <= 10,
                note=f"{judged + refused} sent in {window:g} s, {refused} refused unjudged",
            )
        )
    return figures


def _main() -> None:
    from bench.report import table

    print(table(run(quick=True)))


if __name__ == "__main__":
    _main()
