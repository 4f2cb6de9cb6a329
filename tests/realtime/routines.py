"""The small routines the real-time tests run: as short as the situation they test allows."""

from __future__ import annotations

from pathlib import Path

from routines.errors import RoutineError
from routines.model import Routine
from routines.validation import parse_routine
from routines.yaml_io import load_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def one_hold(checkin: str = "pain") -> Routine:
    """One set of a 2 s hold: a workout with a start and a summary, and little between."""
    return parse_routine(
        {
            "id": "wall-sit",
            "name": "Wall sit",
            "checkin": checkin,
            "exercises": [
                {"name": "Wall sit", "sets": 1, "hold_seconds": 2, "cues": ["Back flat."]}
            ],
        }
    )


def knee() -> Routine:
    """The knee routine of ``tests/fixtures/knee.yaml``."""
    path = FIXTURES / "knee.yaml"
    return parse_routine(load_document(path.read_text(), error=RoutineError), source=str(path))
