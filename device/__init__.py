"""Spotter's headless daemon: the session engine, the button, the voice and the process."""

from importlib.metadata import PackageNotFoundError, version

try:
    # The one source of the number is pyproject.toml's; installing writes it here.
    __version__ = version("spotter-coach")
except PackageNotFoundError:  # run from a copy of the sources that was never installed
    __version__ = "unknown"
