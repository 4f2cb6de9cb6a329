"""Where the bench hears Spotter: an ALSA ``file`` PCM writing into a FIFO that a reader timestamps.

The sound device under test is the ALSA device ``file:FILE=<fifo>,FORMAT=raw``:
ALSA's own ``file`` plugin, which takes samples like any output (the same
library, configuration parsing and PCM calls as a sound card) and writes them
into a named pipe. A separate process reads the pipe and notes, on the shared
monotonic clock, when each read of samples returns. "First audio bytes" is the
first such arrival after a press: it can only happen once the player has loaded,
opened the device, and written real samples.

Its slave is ALSA's ``null`` device, which takes samples as fast as they come,
so a line's samples reach the pipe at once. ``paced=True`` instead reads the pipe
no faster than the samples would play (16-bit mono at 22050 Hz) through a pipe
of one page: a writer then waits as it would on a real sound card.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

RATE_BYTES = 22050 * 2  # what 16-bit mono at 22050 Hz plays per second
F_SETPIPE_SZ = 1031
QUIET = 0.05  # a paced reader that waited this long found the pipe empty


class SoundTap:
    """A FIFO behind an ALSA ``file`` device and a process that timestamps what arrives."""

    def __init__(self, *, paced: bool = False) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="spotter-tap-")
        self.fifo = Path(self._dir.name) / "sound"
        os.mkfifo(self.fifo)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sound_tap", str(self.fifo), "paced" if paced else "fast"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._cond = threading.Condition()
        self._arrivals: list[float] = []
        self.bytes = 0
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    @property
    def device(self) -> str:
        """The ALSA device name that plays into this tap."""
        return f"file:FILE={self.fifo},FORMAT=raw"

    def asoundrc(self) -> str:
        """An ``.asoundrc`` making this tap the default device (for programs without ``-D``)."""
        return (
            "pcm.!default {\n  type file\n  slave.pcm null\n"
            f'  file "{self.fifo}"\n  format raw\n}}\n'
        )

    def first_after(self, mark: float, timeout: float = 30.0) -> float:
        """When samples first arrived after ``mark`` arrived; TimeoutError if none."""
        with self._cond:
            found = self._cond.wait_for(lambda: any(t > mark for t in self._arrivals), timeout)
            if not found:
                raise TimeoutError("no audio reached the sound device")
            return next(t for t in self._arrivals if t > mark)

    def _collect(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            stamp, size = line.split()
            with self._cond:
                self._arrivals.append(float(stamp))
                self.bytes += int(size)
                self._cond.notify_all()

    def close(self) -> None:
        """Stop the reader and remove the FIFO."""
        self._proc.kill()
        self._proc.wait()
        self._reader.join(timeout=2)
        self._dir.cleanup()

    def __enter__(self) -> SoundTap:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _read(fifo: str, paced: bool) -> None:
    """Read the FIFO forever (writers come and go), printing when each read returned, and how
    many bytes it brought."""
    # Opened read-write so that it never sees end-of-file between writers.
    fd = os.open(fifo, os.O_RDWR)
    chunk = 65536
    if paced:
        import fcntl

        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        chunk = 512
    last = began = 0.0
    played = 0
    while True:
        data = os.read(fd, chunk)
        now = time.perf_counter()
        sys.stdout.write(f"{now:.7f} {len(data)}\n")
        sys.stdout.flush()
        if not paced:
            continue
        if now - last > QUIET:  # the pipe ran dry: a new stream starts playing now
            began, played = now, 0
        played += len(data)
        ahead = began + played / RATE_BYTES - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
        last = time.perf_counter()


if __name__ == "__main__":
    _read(sys.argv[1], sys.argv[2] == "paced")
