"""Where the package keeps the speech it rendered ahead (read-only; absent in a checkout).

A module of its own, so that the config can name the default without loading the cache.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED = Path("/usr/share/spotter/voice-cache")
