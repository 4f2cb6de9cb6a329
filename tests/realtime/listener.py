"""The ear of the real-time sound card: a process that reads the card's FIFO no faster than
the samples would play, and says when each read returned.

Run as ``python -m tests.realtime.listener FIFO CAPTURE``. It prints ``listening`` once the
pipe is open and shrunk to one page (4096 bytes, 93 ms of sound), then one line per read,
``<when its first byte plays, on time.monotonic()> <bytes>``, after appending those bytes
to CAPTURE. A read brings at most 512 bytes (11.6 ms); after each it sleeps until those
samples would have played, so a writer that runs ahead waits on the full pipe as it would
on a sound card's buffer. Bytes that were already waiting play right after the ones
before; bytes that came into an empty pipe play when they came. It runs
in its own process, so the test process's threads cannot delay it; where it may, it asks
for a real-time scheduling class, as a sound card's clock is not slowed by load.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import sys
import time

RATE_BYTES = 22050 * 2  # 16-bit mono at 22050 Hz
F_SETPIPE_SZ = 1031
PIPE_BYTES = 4096
CHUNK = 512


def listen(fifo: str, capture: str) -> None:
    """Read ``fifo`` forever (writers come and go), as described above."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    # Opened read-write so that it never sees end-of-file between writers.
    fd = os.open(fifo, os.O_RDWR)
    fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
    heard = open(capture, "wb", buffering=0)  # noqa: SIM115 - open until killed
    print("listening", flush=True)
    due = 0.0  # when the samples read so far will have played
    parent = os.getppid()
    while True:
        # Bytes already waiting play right after the ones before, as on a card, even when
        # this process woke late; into an empty pipe, they play when they come.
        waiting = bool(select.select([fd], [], [], 0)[0])
        while not waiting and not select.select([fd], [], [], 1.0)[0]:
            if os.getppid() != parent:
                return  # the test that started it is gone
        data = os.read(fd, CHUNK)
        plays = due if waiting and due > 0 else time.monotonic()
        heard.write(data)  # before the time is told, so the bytes are there to be read
        sys.stdout.write(f"{plays:.6f} {len(data)}\n")
        sys.stdout.flush()
        due = plays + len(data) / RATE_BYTES
        left = due - time.monotonic()
        if left > 0:
            time.sleep(left)


if __name__ == "__main__":
    listen(sys.argv[1], sys.argv[2])
