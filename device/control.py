"""What the web page may ask of a running Spotter: the seam between Flask and the daemon."""

from __future__ import annotations

from typing import Protocol

from device.events import Action, Gesture, Status


class SessionControl(Protocol):
    """Implemented by the daemon; the web page holds one and never touches the engine itself."""

    def status(self) -> Status:
        """The current snapshot of the session."""
        ...

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        """Block until the status version differs from ``seen`` (or ``timeout``); for live pages."""
        ...

    def act(self, action: Action) -> None:
        """Queue an action from the page's buttons for the engine's worker."""
        ...

    def gesture(self, gesture: Gesture) -> None:
        """Queue a gesture exactly as if the physical button had made it."""
        ...

    def reload(self) -> None:
        """Re-read settings and the active routine after the page changed them in the store."""
        ...

    def test_voice(self, text: str) -> None:
        """Speak a line now with the current voice settings."""
        ...

    def voices(self) -> list[tuple[str, str]]:
        """Installed voices as ``(id, name)`` pairs."""
        ...
