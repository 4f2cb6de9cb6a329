"""A simulation by hand uses the user's own data when the file names the service's."""

from __future__ import annotations

import logging

from device.service.config import load_config
from device.service.own_data import own_data_for_simulation


def config_naming(tmp_path, data_dir, overrides=None):
    path = tmp_path / "spotter.toml"
    path.write_text(f'data_dir = "{data_dir}"\n')
    return load_config(path, {}, overrides or {})


def test_the_services_data_that_cannot_be_written_is_swapped_for_the_users_own(tmp_path, caplog):
    # Below a file nothing can be made, root or not: as /var/lib/spotter is for a user.
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    config = config_naming(tmp_path, blocker / "spotter")
    with caplog.at_level(logging.WARNING):
        chosen = own_data_for_simulation(config, {"XDG_DATA_HOME": str(tmp_path / "home")})
    assert chosen.data_dir == tmp_path / "home" / "spotter"
    assert f"simulating with your own in {tmp_path / 'home' / 'spotter'}" in caplog.text
    assert "--data-dir" in caplog.text


def test_a_writable_data_dir_from_the_file_is_kept(tmp_path):
    config = config_naming(tmp_path, tmp_path / "data")
    assert own_data_for_simulation(config, {}).data_dir == tmp_path / "data"


def test_a_data_dir_given_on_the_command_line_is_never_swapped(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    config = config_naming(tmp_path, tmp_path / "x", {"data_dir": str(blocker / "spotter")})
    assert own_data_for_simulation(config, {}).data_dir == blocker / "spotter"
