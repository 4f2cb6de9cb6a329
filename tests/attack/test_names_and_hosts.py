"""Names that a spreadsheet or Avahi would misread, and Host headers Werkzeug cannot read."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from device.service.config import ConfigError, load_config
from routines.store import HistoryEntry

pytestmark = pytest.mark.attack


@pytest.mark.parametrize(
    "name", [" =1+1", "\u00a0=1+1", "\uff1d1+1", "\n=1+1", "\uff0bcmd", "\u3000@SUM(A1)"]
)
def test_a_name_a_spreadsheet_could_run_is_kept_as_text_in_the_csv(client, store, name):
    store.add_history(
        HistoryEntry(
            routine_id="lower-back",
            routine_name=name,
            started_at=1_700_000_000,
            finished_at=1_700_000_600,
            exercises_done=1,
            sets_done=1,
            completed=True,
        )
    )
    rows = list(csv.reader(io.StringIO(client.get("/api/history.csv").get_data(as_text=True))))
    assert rows[1][2] == "'" + name


@pytest.mark.parametrize("host", ["a b", "127.0.0.1:80:evil", "a\tb", "[::1"])
def test_a_host_header_werkzeug_cannot_read_is_refused(client, host):
    response = client.get("/api/routines", headers={"Host": host})
    assert response.status_code == 403
    assert "Lower-back" not in response.get_data(as_text=True)


def _name_problem(tmp_path: Path, name: str) -> str:
    path = tmp_path / "spotter.toml"
    path.write_text(f'name = "{name}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {}, {})
    return caught.value.errors["name"]


@pytest.mark.parametrize("bad", ["\\uFFFE", "\\uFFFF", "Gym \\uFFFF"])
def test_a_device_name_that_breaks_the_service_file_is_refused(tmp_path, bad):
    assert "U+FFFF" in _name_problem(tmp_path, bad)


def test_the_device_name_is_measured_in_bytes_as_mdns_does(tmp_path):
    problem = _name_problem(tmp_path, "\U0001f4aa" * 63)
    assert "bytes" in problem and "252" in problem


def test_a_name_of_63_bytes_is_still_accepted(tmp_path):
    path = tmp_path / "spotter.toml"
    path.write_text('name = "' + "é" * 31 + 'x"\n', encoding="utf-8")
    assert load_config(path, {}, {}).name == "é" * 31 + "x"
