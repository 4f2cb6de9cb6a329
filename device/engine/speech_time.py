"""How long a line takes to say, estimated from its letters where no voice can tell.

The daemon gives the engine the real lengths of its rendered lines; tests, previews
and a voice that only prints use this estimate, which follows the voice's rate.
"""

from __future__ import annotations

import re
from functools import lru_cache

# The voice's default rate (``voice_rate`` in the settings), in words per minute.
DEFAULT_RATE_WPM = 165
# Fitted to espeak-ng's own WAVs of 85 of the shipped routines' lines at 165 words a
# minute (mean error 8 %): every line carries about 0.74 s of silence and onset,
# each letter or digit 0.057 s and each pause inside it (after ".", ",", ":") 0.46 s.
# Letters and pauses scale with the rate; the silence around a line does not.
LINE_SECONDS = 0.74
LETTER_WPM_SECONDS = 9.45  # seconds per letter x words per minute
PAUSE_WPM_SECONDS = 76.0
_PAUSE = re.compile(r"[.,:;!?]\s")
_SPOKEN = re.compile(r"[A-Za-z0-9]")


# A run-through of a routine (its preview, the lines to render ahead) asks about the same
# few hundred lines thousands of times.
@lru_cache(maxsize=1024)
def estimate_seconds(text: str, rate_wpm: int = DEFAULT_RATE_WPM) -> float:
    """Seconds to say ``text`` at ``rate_wpm`` words a minute; 0 for a line with no words."""
    if rate_wpm <= 0:
        raise ValueError(f"rate_wpm must be more than 0, not {rate_wpm}")
    letters = len(_SPOKEN.findall(text))
    if letters == 0:
        return 0.0
    pauses = len(_PAUSE.findall(text))
    return LINE_SECONDS + (LETTER_WPM_SECONDS * letters + PAUSE_WPM_SECONDS * pauses) / rate_wpm
