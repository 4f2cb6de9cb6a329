"""Log lines that journald files under their priority, so ``journalctl -p warning`` finds problems.

Under systemd, stderr is a stream to journald (``JOURNAL_STREAM`` names it), which reads a
``<N>`` prefix on each line as the syslog priority. Elsewhere the lines stay as they were.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

# syslog(3)'s numbers: err, warning, info, debug.
PRIORITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6}
DEBUG_PRIORITY = 7
FORMAT = "%(levelname)s %(name)s: %(message)s"


def priority(level: int) -> int:
    for threshold, number in PRIORITIES.items():
        if level >= threshold:
            return number
    return DEBUG_PRIORITY


class JournalFormatter(logging.Formatter):
    """Prefixes every line of a record (a traceback's too) with the record's priority."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def stderr_is_journal(stream: TextIO = sys.stderr) -> bool:
    """Whether ``stream`` is the journal stream systemd named (not merely inherited)."""
    device, _, inode = os.environ.get("JOURNAL_STREAM", "").partition(":")
    if not device.isdigit() or not inode.isdigit():
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return False
    return (st.st_dev, st.st_ino) == (int(device), int(inode))


def configure_logging(level: int, stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    formatter = JournalFormatter(FORMAT) if stderr_is_journal(stream) else logging.Formatter(FORMAT)
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler])
