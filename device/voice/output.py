"""Which player speaks: the ALSA output kept open where pyalsaaudio is installed, else aplay.

Kept apart from ``player`` (the protocols and aplay) and ``alsa_player`` (which builds
on those protocols), so that neither has to import the other to make the choice.
"""

from __future__ import annotations

import logging

from device.voice.player import AplayPlayer, Player

log = logging.getLogger(__name__)


def open_player(device: str = "default") -> Player:
    """The fastest player available for ``device``."""
    try:
        import alsaaudio  # noqa: F401 - only asking whether it is installed
    except ImportError:
        log.warning(
            "the alsaaudio module is not installed (python3-alsaaudio); playing through "
            "aplay, which starts each line a few milliseconds later"
        )
        return AplayPlayer(device)
    from device.voice.alsa_player import AlsaPlayer

    return AlsaPlayer(device)
