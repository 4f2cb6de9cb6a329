"""Errors that name the field at fault, for routines, settings and config alike."""

from __future__ import annotations

from collections.abc import Mapping


class ValidationError(ValueError):
    """Every problem found in one document, keyed by field path (``exercises[2].reps``).

    Raised only after the whole document was checked, so the user sees all of
    its problems at once instead of fixing them one round-trip at a time.
    """

    def __init__(self, errors: Mapping[str, str], *, source: str | None = None) -> None:
        self.errors: dict[str, str] = dict(errors)
        self.source = source
        super().__init__(self.describe())

    def lines(self) -> list[str]:
        """One ``[source: ]field: message`` line per problem."""
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{field}: {message}" for field, message in self.errors.items()]

    def describe(self) -> str:
        return "\n".join(self.lines())


class RoutineError(ValidationError):
    """A routine document broke one or more rules."""


class SettingsError(ValidationError):
    """A settings change broke one or more rules."""


class DoseError(ValidationError):
    """A change to a person's dose named no exercise that can take it, or a bad value."""
