"""The natural voice: a neural engine (hibari-tts) that renders in a worker process.

The daemon never loads the model. A renderer here starts
``python -m device.voice.natural_worker`` when there is a line to render, hands it
one line at a time, and lets it leave by itself once no line has come for ten
seconds, so the model's memory is only taken while the cache is filling.
Any failure of the worker (not installed, crashed, hung, answering nonsense)
becomes a ``RenderError`` for that line, after which the classic voice goes on
speaking it; a hung worker is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import IO, Any

from device.voice import audio_format as fmt
from device.voice.tts import RenderError, VoiceSettings

PACKAGE = "hibari-tts"
VOICE = ("heart", "Heart (natural, American English)")
# The classic voice's default rate is the natural engine's own pace.
_BASE_RATE = 165
_STDERR_TAIL = 400
# After this many failures of the worker in a row, stop starting it for a while: a
# missing or broken engine should cost one log line, not a process per line.
_GIVE_UP_AFTER = 3
_REST_SECONDS = 300.0
# A line's arrays (tens of MB for a long sentence) go back to the system when freed,
# rather than raising glibc's threshold and staying in the heap; one BLAS thread.
WORKER_ENVIRONMENT = {
    "PYTHONUNBUFFERED": "1",
    "MALLOC_MMAP_THRESHOLD_": "131072",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


def natural_installed() -> bool:
    """True if the natural engine's package is installed (it is not imported here)."""
    return util.find_spec("hibari") is not None


def natural_version() -> str:
    """The engine's package and version, without importing it."""
    try:
        return f"{PACKAGE} {metadata.version(PACKAGE)}, voice {VOICE[0]}"
    except metadata.PackageNotFoundError:
        return f"{PACKAGE} missing"


def worker_command(python: str = sys.executable) -> list[str]:
    """The worker's argv, run by the interpreter Spotter runs in."""
    return [python, "-m", "device.voice.natural_worker"]


@dataclass(frozen=True, slots=True)
class RenderStats:
    """What the worker last said about itself."""

    load_seconds: float = 0.0
    render_seconds: float = 0.0
    audio_seconds: float = 0.0
    peak_rss_kb: int = 0


def idle_priority(pid: int) -> None:
    """Give ``pid`` the lowest nice, so that a natural render yields to a classic one and
    to the daemon. Not SCHED_IDLE: on a machine kept busy by anything else, that would
    starve it for good, and the natural voice would never start. Set before the model
    loads, so the engine's threads, started later, inherit it."""
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, pid, 19)


# How often a wait for the worker looks again at how long it has waited for a CPU.
_LOOK_AGAIN = 1.0


def waiting_for_cpu(pid: int) -> dict[str, float]:
    """Seconds each thread of ``pid`` has spent ready to run but not running (the
    kernel's schedstat); empty where the kernel does not say."""
    waited: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                waited[task.name] = int((task / "schedstat").read_bytes().split()[1]) / 1e9
    return waited


def starved_since(before: dict[str, float], pid: int) -> float:
    """The most any one thread of ``pid`` has waited for a CPU since ``before``."""
    now = waiting_for_cpu(pid)
    return max((now[tid] - before.get(tid, 0.0) for tid in now), default=0.0)


class _Worker:
    """One running worker process and the pipes to it."""

    def __init__(self, argv: Sequence[str], idle: float, tables: Path | None) -> None:
        # Kept until stop(): it holds the worker's last words if it dies.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        more = [] if tables is None else ["--tables", str(tables)]
        self.process = subprocess.Popen(
            [*argv, "--idle", f"{idle:g}", *more],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **WORKER_ENVIRONMENT},
        )
        idle_priority(self.process.pid)
        self._pending = b""
        self.lines = 0  # answered so far

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        self.process.stdin.flush()

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None if the worker closed its end. TimeoutError if it stays
        silent for ``timeout`` s, not counting time it spent waiting for a CPU: at nice 19
        on a busy machine it is slow, not hung, and killing it would not get it done."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        before = waiting_for_cpu(self.process.pid)
        starved = 0.0  # never less: a thread that ends takes its count with it
        while b"\n" not in self._pending:
            starved = max(starved, starved_since(before, self.process.pid))
            left = deadline + starved - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], min(left, _LOOK_AGAIN))[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        message = json.loads(line)
        if not isinstance(message, dict):
            raise ValueError("not a JSON object")
        return message

    def why_it_ended(self) -> tuple[int, str]:
        """Its exit status, and that with the last thing it wrote to stderr."""
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1][-_STDERR_TAIL:] if lines else "no message"
        return code, f"exit status {code}: {detail}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self._stderr):
            if stream is not None:
                stream.close()


class NaturalRenderer:
    """Renders with hibari-tts in a worker process; a drop-in ``Renderer``.

    Call it from one thread (a render queue's). ``start_timeout`` bounds the
    worker's start-up, ``first_line_timeout`` its first line (by default the
    start-up's allowance: the engine warms up on it), ``line_timeout`` each line
    after that; past any of them the worker is killed and the line fails.
    ``tables``: a directory where the engine's spelling-to-sound tables are kept
    on disk rather than in the worker's memory.
    """

    def __init__(
        self,
        *,
        command: Sequence[str] | None = None,
        start_timeout: float = 60.0,
        line_timeout: float = 30.0,
        first_line_timeout: float | None = None,
        idle: float = 10.0,
        tables: Path | None = None,
    ) -> None:
        self._argv = list(command) if command is not None else worker_command()
        self._start_timeout = start_timeout
        self._line_timeout = line_timeout
        self._first_line_timeout = (
            max(line_timeout, start_timeout) if first_line_timeout is None else first_line_timeout
        )
        self._idle = idle
        self._tables = tables
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        self._failures = 0
        self._resting_until = 0.0
        self.stats = RenderStats()

    @property
    def version(self) -> str:
        """The engine's package, version and voice: part of every cache key."""
        return natural_version()

    def voices(self) -> list[tuple[str, str]]:
        """The one voice that ships inside the package."""
        return [VOICE]

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Have the worker write ``text`` to the WAV ``target``; RenderError if it cannot."""
        self._render(text, settings, target, None)

    def render_levelled(
        self, text: str, settings: VoiceSettings, target: Path, gain_db: float
    ) -> bool:
        """Have the worker write ``text`` and level it to the target loudness plus ``gain_db``."""
        self._render(text, settings, target, gain_db)
        return True

    def _render(
        self, text: str, settings: VoiceSettings, target: Path, level_db: float | None
    ) -> None:
        if not text.strip():
            raise RenderError("there is nothing to say in an empty line")
        request = {
            "text": text,
            "target": str(target),
            "speed": min(2.0, max(0.5, settings.rate / _BASE_RATE)),
            "volume": settings.volume,
            # Delivered in the cache's own rate, so nothing is resampled in the daemon.
            "rate": fmt.RATE,
        }
        if level_db is not None:
            request["level_db"] = level_db
        with self._lock:
            if self._failures >= _GIVE_UP_AFTER and time.monotonic() < self._resting_until:
                raise RenderError(f"the natural voice failed {self._failures} times in a row")
            try:
                # A worker that had just left, being idle, is replaced once.
                reply = self._ask(request)
                if reply is None:
                    reply = self._ask(request)
                if reply is None:
                    raise RenderError("the natural voice keeps leaving before it answers")
            except RenderError:
                self._failures += 1
                self._resting_until = time.monotonic() + _REST_SECONDS
                raise
            self._failures = 0
        if not reply.get("ok"):
            raise RenderError(f"the natural voice could not say it ({reply.get('error')})")
        self.stats = RenderStats(
            load_seconds=self.stats.load_seconds,
            render_seconds=float(reply.get("seconds", 0.0)),
            audio_seconds=float(reply.get("audio_seconds", 0.0)),
            peak_rss_kb=max(self.stats.peak_rss_kb, int(reply.get("peak_rss_kb", 0))),
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The worker's reply; None if it had left on its own (idle), RenderError if it failed."""
        worker = self._ready_worker()
        # A fresh worker's first line also pays for the engine's warm-up (its first
        # inference sets up the model's graph), slow on a loaded Pi.
        timeout = self._line_timeout if worker.lines else self._first_line_timeout
        try:
            worker.send(request)
            reply = worker.receive(timeout)
        except TimeoutError:
            self._discard()
            raise RenderError(
                f"the natural voice took more than {timeout:g} s for a line"
            ) from None
        except ValueError as err:
            self._discard()
            raise RenderError(f"the natural voice answered nonsense ({err})") from None
        except OSError:
            reply = None  # its end of the pipe is closed: why is in its exit status
        if reply is not None:
            worker.lines += 1
            return reply
        code, why = self._ended()
        if code == 0:
            return None
        raise RenderError(f"the natural voice stopped ({why})")

    def close(self) -> None:
        """Stop the worker, if one is running, even in the middle of a line."""
        worker = self._worker
        if worker is not None and worker.process.poll() is None:
            worker.process.kill()  # a render waiting on it then ends at once
        with self._lock:
            self._discard()

    def _ready_worker(self) -> _Worker:
        worker = self._worker
        if worker is not None and worker.process.poll() is None:
            return worker
        if worker is not None:
            self._discard()
        try:
            worker = _Worker(self._argv, self._idle, self._tables)
        except OSError as err:
            raise RenderError(f"cannot start the natural voice ({err.strerror or err})") from err
        self._worker = worker
        try:
            hello = worker.receive(self._start_timeout)
        except TimeoutError:
            self._discard()
            raise RenderError(
                f"the natural voice did not start within {self._start_timeout:g} s"
            ) from None
        except ValueError as err:
            self._discard()
            raise RenderError(f"the natural voice answered nonsense ({err})") from None
        if hello is None:
            raise RenderError(f"the natural voice stopped ({self._ended()[1]})")
        if not hello.get("ready"):
            self._discard()
            raise RenderError(str(hello.get("error", "the natural voice did not start")))
        self.stats = RenderStats(
            load_seconds=float(hello.get("load_seconds", 0.0)),
            peak_rss_kb=max(self.stats.peak_rss_kb, int(hello.get("peak_rss_kb", 0))),
        )
        return worker

    def _ended(self) -> tuple[int | None, str]:
        worker = self._worker
        self._worker = None
        if worker is None:
            return None, "not running"
        code, why = worker.why_it_ended()
        worker.stop()
        return code, why

    def _discard(self) -> None:
        worker = self._worker
        self._worker = None
        if worker is not None:
            worker.stop()
