"""Spotter's headless daemon: the session engine, the button, the voice and the process."""

from __future__ import annotations

import sys
from pathlib import Path

DISTRIBUTION = "spotter-coach"


def __getattr__(name: str) -> str:
    # Read on first use, not at import: a start must not pay for importlib.metadata
    # (and the email parser it loads) on a Pi, where that alone is a fifth of a second.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    version = _installed_version()
    globals()["__version__"] = version
    return version


def _installed_version() -> str:
    """The one source of the number is pyproject.toml's; installing writes it into the
    distribution's metadata, which is read here directly and, failing that, through
    importlib.metadata (which also knows eggs and zips)."""
    prefix = DISTRIBUTION.replace("-", "_") + "-"
    for entry in sys.path:
        try:
            folders = [p for p in Path(entry or ".").iterdir() if p.name.startswith(prefix)]
        except OSError:
            continue
        for folder in folders:
            if folder.suffix != ".dist-info":
                continue
            try:
                with (folder / "METADATA").open(encoding="utf-8") as metadata:
                    for line in metadata:
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
                        if not line.strip():
                            break  # the headers end at the first blank line
            except OSError:
                continue
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a copy of the sources that was never installed
        return "unknown"
