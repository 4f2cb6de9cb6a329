"""Where a simulation by hand keeps its data when the config file names the service's.

On an installed Pi, /etc/spotter/spotter.toml names /var/lib/spotter, which only the
service's user may write. Someone trying Spotter out with ``spotter run --simulate``
gets their own data directory instead of a refusal, and is told where it is.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from device.service.config import Config, default_data_dir

log = logging.getLogger(__name__)


def writable(data_dir: Path) -> bool:
    """Whether this user can use ``data_dir``, or make it."""
    target = data_dir
    while not target.exists() and target != target.parent:
        target = target.parent
    return target.is_dir() and os.access(target, os.W_OK | os.X_OK)


def own_data_for_simulation(config: Config, env: Mapping[str, str]) -> Config:
    """``config`` with the user's own data directory if the file's is not theirs to write."""
    from_file = config.file is not None and config.origins.get("data_dir") == str(config.file)
    if not from_file or writable(config.data_dir):
        return config
    own = default_data_dir(env)
    log.warning(
        "%s is the service's data, which you cannot write: simulating with your own in %s "
        "(--data-dir chooses another place)",
        config.data_dir,
        own,
    )
    return dataclasses.replace(config, data_dir=own)
