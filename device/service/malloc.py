"""Fewer malloc arenas, so the web server's threads do not each keep a heap of their own.

glibc gives every thread its own arena (up to eight per core) and keeps what a
request freed there for that thread's next one: after a few heavy requests each
of the page's threads holds megabytes the daemon will never use again. Two
arenas took the daemon's peak with the caps full from 55 to 50 MB (the attack
bench), and Spotter's threads spend too little time in malloc to notice the
sharing. A ``MALLOC_ARENA_MAX`` set in the environment is left to rule.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_arenas(count: int = ARENAS) -> bool:
    """Ask the C library for at most ``count`` malloc arenas; False where it cannot."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return False  # not glibc: its allocator keeps no per-thread arenas to limit
    if mallopt(_M_ARENA_MAX, count) != 1:
        log.debug("the C library did not take a limit of %d malloc arenas", count)
        return False
    return True
