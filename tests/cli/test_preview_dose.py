"""``spotter preview --profile NAME``: the script at that person's dose, on a real store."""

from __future__ import annotations

from pathlib import Path

from device.cli.main import main
from routines.model import Dose
from routines.store import Store


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_script_at_a_persons_dose(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        bea = store.create_profile({"name": "Bea", "routine_id": "lower-back"}).id
        store.set_dose(bea, "lower-back", "Hip flexor wall stretch", Dose(3, None, 35), why="owner")
    code, file_script, _ = run(capsys, "preview", "--data-dir", str(data_dir))
    assert code == 0
    code, me, _ = run(capsys, "preview", "--profile", "me", "--data-dir", str(data_dir))
    assert code == 0 and me == file_script  # Me has no dose of their own
    code, beas, _ = run(capsys, "preview", "--profile", "Bea", "--data-dir", str(data_dir))
    assert code == 0
    assert "35 seconds" in beas and "35 seconds" not in file_script
    assert "30 seconds" in file_script
    code, _, err = run(capsys, "preview", "--profile", "Cy", "--data-dir", str(data_dir))
    assert code != 0 and "no profile named 'Cy'" in err and "Bea" in err
