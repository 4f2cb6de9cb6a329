"""Which player speaks: the ALSA output kept open where pyalsaaudio is recent enough, else aplay.

Kept apart from ``player`` (the protocols and aplay) and ``alsa_player`` (which builds
on those protocols), so that neither has to import the other to make the choice.
"""

from __future__ import annotations

import logging

from device.voice.alsa_module import load_alsaaudio
from device.voice.player import AplayPlayer, Player

log = logging.getLogger(__name__)


def open_player(device: str = "default") -> Player:
    """The fastest player available for ``device``."""
    module, why = load_alsaaudio()
    if module is None:
        log.warning("%s; playing through aplay, which starts each line a few ms later", why)
        return AplayPlayer(device)
    from device.voice.alsa_player import AlsaPlayer

    return AlsaPlayer(device)
