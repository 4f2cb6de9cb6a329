"""Spotter's headless daemon: the session engine, the button, the voice and the process."""

__version__ = "0.1.0"
