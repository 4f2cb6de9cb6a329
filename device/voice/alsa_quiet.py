"""ALSA's own error printing, turned into debug log lines.

Without a sound card, libasound prints eight "ALSA lib ..." lines to stderr for every
attempt to open the device: the journal and ``spotter run --simulate`` drown in them,
while the player already says, once, in its own words, that the device is missing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# void (*)(const char *file, int line, const char *function, int err, const char *fmt, ...)
# The variadic tail is never read, so a fixed signature receives it safely.
_Handler = ctypes.CFUNCTYPE(
    None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
)
_installed: list[object] = []  # the callback must outlive every call ALSA makes to it


def _to_debug(
    file: bytes | None, line: int, function: bytes | None, err: int, fmt: bytes | None
) -> None:
    def text(value: bytes | None) -> str:
        return (value or b"").decode(errors="replace")

    log.debug("ALSA: %s:%d %s (error %d): %s", text(file), line, text(function), err, text(fmt))


def quiet_alsa_errors() -> bool:
    """Send libasound's error messages to the debug log; False where libasound is absent."""
    if _installed:
        return True
    name = ctypes.util.find_library("asound") or "libasound.so.2"
    try:
        library = ctypes.CDLL(name)
    except OSError:
        return False
    handler = _Handler(_to_debug)
    library.snd_lib_error_set_handler(handler)
    _installed.append(handler)
    return True
