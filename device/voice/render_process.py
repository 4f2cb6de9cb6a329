"""The renderer the daemon uses: pyttsx3 and espeak-ng in a child process it can kill.

espeak-ng is one synthesiser per process and cannot be interrupted: a render stuck
in it (a full disk under its WAV, a wedged driver) would hold a thread for good.
Out of process, a render that runs past its time is ended with SIGKILL and the next
render starts a fresh child. The child is started on first use and kept: a line
costs a pipe round trip, not a process start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from device.voice.tts import RenderError, VoiceSettings

log = logging.getLogger(__name__)

CHILD_MODULE = "device.voice.render_child"
# After the engine failed to start (espeak-ng or pyttsx3 missing), calls fail at once for
# this long instead of starting a process per line; the render queue retries later.
START_AGAIN_AFTER = 10.0
# Lines rendered at once, at most. A Pi has four cores, but each process costs about 30 MB
# while it levels a line: two beside the daemon and the page keep the service under its
# unit's MemoryHigh (192 MB) with room for the natural voice's worker, four would not.
MAX_PROCESSES = 2
# Where the engine's version is kept between starts, beside the audio named by it.
VERSION_FILE = "engine-version"
MAX_VERSION_CHARS = 200


def _check_pyttsx3() -> None:
    """Fail at once, as the in-process engine would, when pyttsx3 cannot even be imported
    (the module alone is light: espeak-ng itself is only loaded by the engine's process)."""
    try:
        import pyttsx3  # noqa: F401
    except Exception as err:
        raise RenderError(f"pyttsx3 with espeak-ng is not available ({err})") from err


class RenderTimeout(RenderError):
    """The engine took longer than its limit and was killed."""


class ProcessRenderer:
    """A ``Renderer`` that talks to ``python -m device.voice.render_child`` over its pipes."""

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        start_timeout: float = 30.0,
        command: list[str] | None = None,
    ) -> None:
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._command = command or [sys.executable, "-m", CHILD_MODULE]
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._version: str | None = None
        self._lock = threading.Lock()  # the child's lifecycle; renders come from one thread
        self.starts = 0
        # An abort that came while a child was being started: it is killed once it exists,
        # and its end is not held against the engine as a failed start.
        self._starting = False
        self._abort_start = False
        self._start_failed: tuple[float, RenderError] | None = None

    @property
    def longest_call(self) -> float:
        """The most a call can take (a start-up and a render): beyond it, something else hangs."""
        return self.start_timeout + self.timeout

    @property
    def version(self) -> str:
        """pyttsx3's and espeak-ng's versions, as the child reports them."""
        if self._version is None:
            try:
                self._ensure_started()
            except RenderError as err:
                return f"unavailable ({err})"
        return self._version or "unknown"

    @property
    def known_version(self) -> str | None:
        """The version, if a process has reported it (asks nothing)."""
        return self._version

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Have the child write ``text`` to ``target``; ``RenderTimeout`` if it had to be killed."""
        self._render(text, settings, target, None)

    def render_levelled(
        self, text: str, settings: VoiceSettings, target: Path, gain_db: float
    ) -> bool:
        """Have the child write ``text`` and level it to the target loudness plus ``gain_db``."""
        self._render(text, settings, target, gain_db)
        return True

    def _render(
        self, text: str, settings: VoiceSettings, target: Path, level_db: float | None
    ) -> None:
        if not text.strip():
            raise RenderError("there is nothing to say in an empty line")
        request: dict[str, Any] = {
            "op": "render",
            "text": text,
            "voice_id": settings.voice_id,
            "rate": settings.rate,
            "volume": settings.volume,
            "target": str(target),
        }
        if level_db is not None:
            request["level_db"] = level_db
        self._call(request)

    def voices(self) -> list[tuple[str, str]]:
        """Every voice espeak-ng has installed, sorted by id."""
        answer = self._call({"op": "voices"})
        return [(str(v[0]), str(v[1])) for v in answer["voices"]]

    def abort(self) -> None:
        """Kill the child (a render in progress fails at once); the next call starts another."""
        with self._lock:
            proc = self._proc
            if self._starting:
                self._abort_start = True
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)

    def close(self) -> None:
        """End the child: closing its input lets it finish the line in hand and exit."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        proc = self._ensure_started()
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except OSError as err:
            self._discard(proc)
            raise RenderError(f"the speech engine's process has gone ({err})") from err
        answer = self._read_answer(proc, self.timeout)
        if "error" in answer:
            raise RenderError(str(answer["error"]))
        return answer

    def _ensure_started(self) -> subprocess.Popen[bytes]:
        with self._lock:
            proc = self._proc
            if proc is not None and proc.poll() is None:
                return proc
        if proc is not None:
            self._discard(proc)
        if self._start_failed is not None:
            failed_at, error = self._start_failed
            if time.monotonic() - failed_at < START_AGAIN_AFTER:
                raise error
        if self.starts == 0 and self._command[-1] == CHILD_MODULE:
            try:
                _check_pyttsx3()
            except RenderError as err:
                self._start_failed = (time.monotonic(), err)
                raise
        with self._lock:
            self._starting, self._abort_start = True, False
        try:
            return self._start()
        finally:
            with self._lock:
                self._starting = False

    def _start(self) -> subprocess.Popen[bytes]:
        try:
            proc = subprocess.Popen(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Its warnings go where the daemon's go: the journal.
                stderr=None,
                close_fds=True,
                # One thread for numpy's products: the line is short, and the other
                # cores belong to the other render processes.
                env={
                    **os.environ,
                    "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
                },
                start_new_session=True,  # a Ctrl-C in a terminal is the daemon's to handle
            )
        except OSError as err:
            raise RenderError(f"cannot start the speech engine's process ({err})") from err
        with self._lock:
            self._proc = proc
            self._buffer = b""
            self.starts += 1
            aborted = self._abort_start
        if aborted:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGKILL)
        try:
            answer = self._read_answer(proc, self.start_timeout)
            if "ready" not in answer:
                self._discard(proc)
                raise RenderError(str(answer.get("error", "the speech engine did not start")))
        except RenderError as err:
            with self._lock:
                aborted = self._abort_start
            if aborted:
                raise RenderTimeout("the speech engine was stopped while it started") from err
            self._start_failed = (time.monotonic(), err)
            raise
        self._start_failed = None
        self._version = str(answer["ready"])
        return proc

    def _read_answer(self, proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self._discard(proc)
                raise RenderTimeout(f"the speech engine took more than {timeout:g} s; restarted")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                code = self._discard(proc)
                raise RenderError(f"the speech engine's process ended (exit status {code})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            answer = json.loads(line)
        except ValueError as err:
            self._discard(proc)
            raise RenderError(f"the speech engine's process answered nonsense ({err})") from err
        if not isinstance(answer, dict):
            self._discard(proc)
            raise RenderError("the speech engine's process answered nonsense")
        return answer

    def _discard(self, proc: subprocess.Popen[bytes]) -> int | None:
        """Kill and reap ``proc``: no zombie, and the next call starts a fresh one."""
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        with self._lock:
            if self._proc is proc:
                self._proc = None
                self._buffer = b""
        return code


def read_version(path: Path | None) -> str | None:
    """The engine version kept in ``path``; None if there is none or it is not one."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not text or len(text) > MAX_VERSION_CHARS or not text.isprintable():
        return None
    return text


def default_processes() -> int:
    """One render process per core, at most ``MAX_PROCESSES``."""
    return max(1, min(MAX_PROCESSES, os.cpu_count() or 1))


class RenderProcesses:
    """Several ``ProcessRenderer``s behind one renderer: each call goes to a free one.

    Lines then render side by side, one per core. Processes start as the calls need
    them; once the work is done (``rest``) all but one leave again, so between
    batches only one process's memory is taken.
    """

    def __init__(
        self,
        count: int,
        *,
        timeout: float = 5.0,
        version_file: Path | None = None,
        presumed_from: Path | None = None,
        **options: Any,
    ) -> None:
        """``version_file`` keeps the engine's version between starts, and ``presumed_from``
        is read when it has none (the package's): until a process has started, that is
        the version audio is looked up by, so cached lines play without starting one."""
        if count < 1:
            raise ValueError(f"render processes: at least 1, not {count}")
        self._version_file = version_file
        self._kept = read_version(version_file)
        self._presumed = self._kept or read_version(presumed_from)
        self._all = [ProcessRenderer(timeout=timeout, **options) for _ in range(count)]
        # Last in, first out: light work keeps going to the one process already warm.
        self._free: queue.LifoQueue[ProcessRenderer] = queue.LifoQueue()
        for renderer in reversed(self._all):
            self._free.put(renderer)

    @property
    def count(self) -> int:
        """How many lines can render at once."""
        return len(self._all)

    @property
    def longest_call(self) -> float:
        """The most one call can take."""
        return self._all[0].longest_call

    @property
    def version(self) -> str:
        """The engine's version, as the processes report it (asked once one has started);
        before that, the one remembered from an earlier start, if any."""
        known = next((r.known_version for r in self._all if r.known_version), None)
        if known is not None:
            if known != self._kept:
                self._keep(known)
            return known
        if self._presumed is not None:
            return self._presumed
        with self._one() as renderer:
            return renderer.version

    def confirm_version(self) -> None:
        """Have a process report the version, if none has yet: a render is named by it."""
        if not any(r.known_version for r in self._all):
            with self._one() as renderer:
                _ = renderer.version

    def _keep(self, version: str) -> None:
        # Kept beside the audio, once its folder is there (the first render makes it).
        if self._version_file is None or not self._version_file.parent.is_dir():
            return
        self._kept = version
        part = self._version_file.with_name(self._version_file.name + ".part")
        try:
            part.write_text(version + "\n", encoding="utf-8")
            part.replace(self._version_file)
        except OSError as err:  # the next start asks a process, as without the file
            log.info("cannot keep the speech engine's version in %s (%s)", self._version_file, err)
            with contextlib.suppress(OSError):
                part.unlink()

    @property
    def pids(self) -> list[int]:
        """The process ids of the processes running now."""
        return [pid for pid in (r.pid for r in self._all) if pid is not None]

    def render(self, text: str, settings: VoiceSettings, target: Path) -> None:
        """Render on a free process."""
        with self._one() as renderer:
            renderer.render(text, settings, target)

    def render_levelled(
        self, text: str, settings: VoiceSettings, target: Path, gain_db: float
    ) -> bool:
        """Render and level on a free process."""
        with self._one() as renderer:
            return renderer.render_levelled(text, settings, target, gain_db)

    def voices(self) -> list[tuple[str, str]]:
        """Every voice espeak-ng has installed, sorted by id."""
        with self._one() as renderer:
            return renderer.voices()

    def abort(self) -> None:
        """Kill every process (the calls in progress fail at once)."""
        for renderer in self._all:
            renderer.abort()

    def rest(self) -> None:
        """Let every process but the first, warmest one leave, if it is free."""
        idle: list[ProcessRenderer] = []
        with contextlib.suppress(queue.Empty):
            while True:
                idle.append(self._free.get_nowait())
        for renderer in idle:
            if renderer is not self._all[0]:
                renderer.close()
        for renderer in sorted(idle, key=self._all.index, reverse=True):
            self._free.put(renderer)

    def close(self) -> None:
        """End every process."""
        for renderer in self._all:
            renderer.close()

    @contextlib.contextmanager
    def _one(self) -> Iterator[ProcessRenderer]:
        renderer = self._free.get()
        try:
            yield renderer
        finally:
            self._free.put(renderer)
