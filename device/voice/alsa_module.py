"""The alsaaudio module, when it is new enough to keep the sound device open.

Debian bookworm's python3-alsaaudio is 0.8.4, which lacks what the kept-open output
and the card's volume control use (``PCM.drop``, ``avail``, ``info``, dB units). There,
Spotter plays through aplay and sets the volume in software, as without the module.
"""

from __future__ import annotations

from importlib import metadata
from types import ModuleType

from device.voice.alsa_quiet import quiet_alsa_errors

PCM_METHODS = ("drop", "avail", "info")


def installed_version() -> str:
    try:
        return metadata.version("pyalsaaudio")
    except metadata.PackageNotFoundError:
        return "of unknown version"


def load_alsaaudio() -> tuple[ModuleType | None, str]:
    """The module, or None and why it cannot be used."""
    try:
        import alsaaudio
    except ImportError:
        return None, "the alsaaudio module is not installed (python3-alsaaudio)"
    quiet_alsa_errors()
    lacking = [name for name in PCM_METHODS if not hasattr(alsaaudio.PCM, name)]
    if not hasattr(alsaaudio, "VOLUME_UNITS_DB"):
        lacking.append("dB volume units")
    if lacking:
        return None, (
            f"the alsaaudio module {installed_version()} is too old to keep the sound "
            f"device open (it lacks {', '.join(lacking)}; pyalsaaudio 0.10 has them)"
        )
    return alsaaudio, f"alsaaudio {installed_version()}"
