"""The port: everything the web page and the command line may ask of a running Spotter.

The web app is handed one ``SessionControl`` and one ``PinAllowance`` and reaches the
daemon through nothing else: not the engine, not the voice, not the hardware. What the
page writes to the store reaches the daemon by the store's own announcement, never by a
call here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from device.events import Action, Gesture, Status
from routines.model import Routine
from routines.settings import Settings


@dataclass(frozen=True, slots=True)
class EffectiveSettings:
    """The settings in force, and which of them the config file sets (name -> the file).

    A pinned setting wins over the store, so the page shows it and does not offer to
    change it.
    """

    settings: Settings
    pinned: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClickerInfo:
    """A clicker the daemon was configured with (a ``[[clicker]]`` table).

    ``pinned_owner``: the profile name its config ``profile`` key gives it, which wins
    over the People page; ``holds``: whether it can hold (None: found out from a press).
    """

    name: str
    pinned_owner: str | None = None
    holds: bool | None = None


class SessionControl(Protocol):
    """Implemented by the daemon's worker; the web page holds one and nothing else of it."""

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

    def late_score_since(self, now: float) -> float:
        """The earliest end (wall clock) of a workout that an after-score given at ``now``
        may still be written on, once the question about it has closed."""
        ...

    def settings(self) -> EffectiveSettings:
        """The settings in force, with what the config file pins."""
        ...

    def preview(self, routine: Routine) -> list[str]:
        """Every line ``routine`` would speak with the settings in force, in order."""
        ...

    def answer(self, question: str, value: int) -> None:
        """Answer what Spotter asks (``Status.question``) from the page: a pain score 0-10
        for ``pain_before``/``pain_after`` (kept for the workout under way when that is not
        being asked), or a profile's id for ``who``."""
        ...

    def test_voice(self, text: str) -> None:
        """Speak a line now with the current voice settings."""
        ...

    def voices(self) -> list[tuple[str, str]]:
        """Installed voices as ``(id, name)`` pairs."""
        ...

    def pair_clicker(self) -> None:
        """Pair a new Bluetooth clicker while idle (as a 10 s hold of the wall button
        does), saying each step aloud; nothing during a workout."""
        ...

    def clickers(self) -> list[ClickerInfo]:
        """The clickers the daemon reads, in the config's order."""
        ...


class MustWait(Exception):
    """No PIN may be tried now; ``seconds`` says for how long."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"wait {seconds} s")
        self.seconds = seconds


class PinAllowance(Protocol):
    """The device's allowance of wrong PINs (``device.service.pin_throttle``), which the
    daemon keeps so that a page started again continues where the last one was."""

    def start(self, known: str | None = None) -> int:
        """Begin judging one PIN: a ticket, counted as a wrong PIN until ``right`` takes
        it back; raises ``MustWait``. ``known``: the mark of a browser that has logged in
        before (it has an allowance of its own)."""
        ...

    def right(self, ticket: int) -> None:
        """The PIN of ``ticket`` was right: it does not count against anyone."""
        ...

    def retry_after(self, known: str | None = None) -> int:
        """Whole seconds before a PIN may be tried (0: now)."""
        ...
