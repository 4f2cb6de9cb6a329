"""The saved position of a workout, to and from the JSON the store keeps."""

from __future__ import annotations

import json
import math

import pytest

from device.engine.state import SavedPosition
from device.service import progress
from routines.validation import load_library


@pytest.fixture
def position() -> SavedPosition:
    (lower_back,) = [r for r in load_library() if r.id == "lower-back"]
    return SavedPosition(lower_back, 1, 2, 0, (0, 1, 0, 0), 60.0)


def stored(position: SavedPosition) -> dict:
    """As it comes back from the store: through JSON text."""
    return json.loads(json.dumps(progress.encode(position)))


def test_a_position_comes_back_from_the_store_as_it_went_in(position):
    data = stored(position)
    assert data["routine"] == position.routine.to_dict()
    assert (data["exercise_index"], data["set"], data["finished_sets"]) == (1, 2, [0, 1, 0, 0])
    assert progress.decode(data) == position


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("routine"), "routine"),
        (lambda d: d["routine"]["exercises"][1].update(reps=0), "exercises[1].reps"),
        (lambda d: d.update(exercise_index=4), "exercise_index"),
        (lambda d: d.update(exercise_index=True), "exercise_index"),
        (lambda d: d.update(set=0), "set"),
        (lambda d: d.update(side_index=1), "side_index"),
        (lambda d: d.update(finished_sets=[0, 1]), "finished_sets"),
        (lambda d: d.update(finished_sets=[0, 9, 0, 0]), "finished_sets"),
        (lambda d: d.update(elapsed_seconds=-1), "elapsed_seconds"),
        (lambda d: d.update(elapsed_seconds=math.inf), "elapsed_seconds"),
    ],
)
def test_a_bad_stored_position_is_refused_naming_the_field(position, change, field):
    data = stored(position)
    change(data)
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        progress.decode(data)


def test_a_stored_position_that_is_not_a_mapping_is_refused():
    with pytest.raises(ValueError, match="mapping"):
        progress.decode([])
