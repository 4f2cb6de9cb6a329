"""Where the bench hears Spotter: an ALSA ``file`` PCM writing into a FIFO that a reader timestamps.

The sound device under test is the ALSA device ``file:FILE=<fifo>,FORMAT=raw``:
ALSA's own ``file`` plugin, which takes samples like any output (the same
library, configuration parsing and PCM calls as a sound card) and writes them
into a named pipe. A separate process reads the pipe and notes, on the shared
monotonic clock, when each read of samples returns. "First audio bytes" is the
first such arrival after a press: it can only happen once the player has loaded,
opened the device, and written real samples.

Every byte is also kept in a capture file, so a line can be found by its first
samples: a device told to drop a line still flushes what ALSA's ``file`` plugin
held of it, which must not count as the next line's start.

Its slave is ALSA's ``null`` device, which takes samples as fast as they come,
so a line's samples reach the pipe at once. ``paced=True`` instead reads the pipe
no faster than the samples would play (16-bit mono at 22050 Hz) through a pipe
of one page: a writer then waits as it would on a real sound card.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from types import TracebackType

from tests.realtime.fifo_reader import FifoReader

RATE_BYTES = 22050 * 2  # what 16-bit mono at 22050 Hz plays per second
F_SETPIPE_SZ = 1031
REALTIME_PRIORITY = 20
QUIET = 0.05  # a paced reader that waited this long found the pipe empty


class SoundTap:
    """A FIFO behind an ALSA ``file`` device and a process that timestamps what arrives."""

    def __init__(self, *, paced: bool = False) -> None:
        self._ear = FifoReader(
            "bench.sound_tap", "paced" if paced else "fast", prefix="spotter-tap-", name="sound"
        )
        self.fifo, self.capture = self._ear.fifo, self._ear.capture

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

    def first_after(self, mark: float, timeout: float = 30.0, *, starting: bytes = b"") -> float:
        """When samples first arrived after ``mark``; with ``starting``, the first samples
        of a line that begins with those bytes (what a device flushes of the line it was
        told to drop comes before them). TimeoutError if none came."""
        deadline = time.monotonic() + timeout
        ear = self._ear
        with ear.cond:
            while True:
                first = next((i for i, t in enumerate(ear.times) if t > mark), None)
                if first is not None:
                    if not starting:
                        return ear.times[first]
                    found = self._find(first, starting)
                    if found is not None:
                        return found
                left = deadline - time.monotonic()
                if left <= 0 or not ear.cond.wait(left):
                    raise TimeoutError("no audio reached the sound device")

    def reads(self, first: int = 0) -> list[tuple[float, bytes]]:
        """The reads from the ``first`` on: when each returned, and the bytes it brought."""
        ear = self._ear
        with ear.cond:
            ends = [*ear.offsets[first + 1 :], ear.bytes]
            return [
                (t, bytes(ear.stream[at:end]))
                for t, at, end in zip(ear.times[first:], ear.offsets[first:], ends, strict=False)
            ]

    def _find(self, first: int, pattern: bytes) -> float | None:
        ear = self._ear
        at = ear.stream.find(pattern, ear.offsets[first])
        if at < 0:
            return None
        index = max(i for i in range(first, len(ear.offsets)) if ear.offsets[i] <= at)
        return ear.times[index]

    def close(self) -> None:
        """Stop the reader and remove the FIFO."""
        self._ear.close()

    def __enter__(self) -> SoundTap:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _read(fifo: str, capture: str, paced: bool) -> None:
    """Read the FIFO forever (writers come and go), printing when each read returned, and how
    many bytes it brought."""
    # A sound card takes samples whatever the CPU is doing; on a busy machine a reader
    # waiting for its turn on a core would add that wait to every press figure. So the
    # reader runs at a real-time priority where it may (as root here), as plain as any
    # process where it may not.
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(REALTIME_PRIORITY))
    # Opened read-write so that it never sees end-of-file between writers.
    fd = os.open(fifo, os.O_RDWR)
    heard = open(capture, "wb", buffering=0)  # noqa: SIM115, PTH123 - open until killed
    chunk = 65536
    if paced:
        import fcntl

        fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
        chunk = 512
    print("listening", flush=True)
    last = began = 0.0
    played = 0
    while True:
        data = os.read(fd, chunk)
        now = time.perf_counter()
        heard.write(data)  # before the stamp is told, so the bytes are there to be searched
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
    _read(sys.argv[1], sys.argv[2], sys.argv[3] == "paced")
