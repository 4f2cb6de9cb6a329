"""A FIFO that a sound device plays into, and a process that reads it and says when.

The reading process (a module run with ``python -m MODULE FIFO CAPTURE ARGS...``) prints
``listening`` once the pipe is open, then one line per read, ``<when> <bytes>``, after
appending those bytes to CAPTURE. Here a thread collects those lines: when each read came,
where it begins in the stream, and the stream itself. The real-time tests' sound card
(``tests.realtime.sound_card``) and the benchmarks' sound tap (``bench.sound_tap``) each
read the pipe their own way and share the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class FifoReader:
    """The FIFO in a folder of its own, its reading process, and what it has told so far.
    Hold ``cond`` to read ``times``, ``offsets``, ``bytes`` and ``stream``."""

    def __init__(self, module: str, *args: str, prefix: str, name: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix=prefix)
        self.folder = Path(self._dir.name)
        self.fifo = self.folder / name
        self.capture = self.folder / "heard.raw"
        os.mkfifo(self.fifo)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module, str(self.fifo), str(self.capture), *args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.cond = threading.Condition()
        self.times: list[float] = []  # when each read returned
        self.offsets: list[int] = []  # where each read begins in the stream
        self.bytes = 0
        self.stream = bytearray()
        assert self._proc.stdout is not None
        # Nothing may play before the reader has the pipe open and sized.
        if self._proc.stdout.readline().strip() != "listening":
            self.close()
            raise RuntimeError(f"{module} did not start reading the sound device")
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        assert self._proc.stdout is not None
        with self.capture.open("rb") as source:
            for line in self._proc.stdout:
                stamp, size = line.split()
                data = source.read(int(size))
                with self.cond:
                    self.times.append(float(stamp))
                    self.offsets.append(self.bytes)
                    self.stream += data
                    self.bytes += len(data)
                    self.cond.notify_all()

    def close(self) -> None:
        """Stop the reading process and remove the FIFO."""
        self._proc.kill()
        self._proc.wait()
        collector = getattr(self, "_collector", None)
        if collector is not None:
            collector.join(timeout=2)
        self._dir.cleanup()
