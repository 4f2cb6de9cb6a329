"""What a button reports: a change of its raw level and when it happened.

A module of its own, importing nothing, so that the button can be set up and keep every
press before the engine, the routines' model and the voice are loaded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Edge:
    """A change of a button's raw level: ``pressed`` is True when it went down. ``button``
    names which button: "" is the wired one, a clicker goes by its configured name."""

    pressed: bool
    at: float
    button: str = ""
