"""The owner's commands (backup, restore, pin reset, avahi-service) and doctor's fleet checks."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from device.cli.doctor import Level
from device.cli.fleet_checks import check_broker, check_name, check_service_file, fleet_checks
from device.cli.main import main
from device.service.config import Config
from device.service.homeassistant import MqttSettings
from device.service.mdns import service_file
from routines.store import HistoryEntry, Store
from tests import mosquitto
from tests.mosquitto import Mosquitto

broker = mosquitto.broker
PIN_HASH = "scrypt$16384$8$1$" + "ab" * 16 + "$" + "cd" * 32


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch) -> Path:
    # No config file of the machine's may leak into these runs.
    monkeypatch.setenv("SPOTTER_CONFIG", str(tmp_path / "spotter.toml"))
    (tmp_path / "spotter.toml").write_text("")
    path = tmp_path / "data"
    with Store.open(path) as store:
        store.update_settings({"default_rest_seconds": 45, "pin_hash": PIN_HASH})
        store.add_history(HistoryEntry("lower-back", "Lower-back relief", 1.0, 2.0, 4, 12, True))
    return path


def run(data_dir: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(data_dir)])


def test_backup_then_restore_brings_everything_back(data_dir, tmp_path, capsys):
    backup = tmp_path / "corner-2.backup"
    assert run(data_dir, "backup", str(backup)) == 0
    with Store.open(data_dir) as store:
        store.update_settings({"default_rest_seconds": 90, "pin_hash": ""})
        store.delete_routine("lower-back")
    assert run(data_dir, "restore", str(backup)) == 0
    with Store.open(data_dir) as store:
        assert store.settings().default_rest_seconds == 45
        assert store.settings().pin_hash == PIN_HASH
        assert store.get_routine("lower-back") is not None
        assert len(store.history()) == 1
    assert "spotter.db.previous" in capsys.readouterr().out


@pytest.mark.slow
def test_a_restore_while_spotter_runs_is_refused(data_dir, tmp_path, capsys):
    backup = tmp_path / "b"
    run(data_dir, "backup", str(backup))
    with Store.open(data_dir) as running:
        running.update_settings({"default_rest_seconds": 60})
        assert run(data_dir, "restore", str(backup)) == 1
        assert running.settings().default_rest_seconds == 60
    assert "stop it first (sudo systemctl stop spotter)" in capsys.readouterr().err


def test_a_bad_backup_changes_nothing(data_dir, tmp_path, capsys):
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup at all")
    assert run(data_dir, "restore", str(junk)) == 1
    assert "nothing was changed: the file is not a Spotter backup" in capsys.readouterr().err
    with Store.open(data_dir) as store:
        assert store.settings().default_rest_seconds == 45


def test_pin_reset_clears_the_pin_and_logs_it(data_dir, caplog, capsys):
    caplog.set_level(logging.WARNING)
    assert run(data_dir, "pin", "reset") == 0
    with Store.open(data_dir) as store:
        assert store.settings().pin_hash == ""
    assert any("PIN was cleared from the command line" in r.getMessage() for r in caplog.records)
    assert run(data_dir, "pin", "reset") == 0
    assert "no PIN is set" in capsys.readouterr().out


def test_avahi_service_prints_the_configured_name_and_port(tmp_path, monkeypatch, capsys):
    config = tmp_path / "spotter.toml"
    config.write_text('name = "Rack 3 & co"\n[web]\nport = 9000\n')
    assert main(["avahi-service", "--config", str(config)]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    assert root.findtext("name") == "Rack 3 & co"
    assert root.findtext("service/type") == "_http._tcp"
    assert root.findtext("service/port") == "9000"


# -- doctor ---------------------------------------------------------------------------------


def test_doctor_says_whether_the_name_resolves():
    assert check_name("corner-2", lambda name: ["192.168.1.20"]).detail == (
        "corner-2.local resolves to 192.168.1.20"
    )
    missing = check_name("corner-2", lambda name: [])
    assert missing.level is Level.WARN
    assert "avahi-daemon" in missing.fix
    assert check_name("localhost", lambda name: ["127.0.0.1"]).level is Level.WARN


def test_doctor_checks_the_announcement_against_the_port(tmp_path):
    path = tmp_path / "spotter.service"
    assert check_service_file(path, 8080).level is Level.WARN
    path.write_text(service_file(None, 8080))
    ok = check_service_file(path, 8080)
    assert ok.level is Level.OK
    assert "Spotter (%h)" in ok.detail
    assert "announces port 8080, but the page is on 9000" in check_service_file(path, 9000).detail


def test_doctor_checks_the_name_only_for_a_page_on_the_lan(tmp_path):
    results = fleet_checks(
        Config(web_host="127.0.0.1"), resolver=lambda n: [], service_file=tmp_path / "x"
    )
    assert results == []
    names = [r.name for r in fleet_checks(Config(), resolver=lambda n: [], service_file=tmp_path)]
    assert names == ["name", "announced"]


def test_doctor_reports_the_broker(broker, tmp_path):
    ok = check_broker(Config(mqtt=MqttSettings(host="127.0.0.1", port=broker.port)))
    assert ok.level is Level.OK
    secured = Mosquitto(tmp_path / "secured", users={"coach": "right"})
    secured.start()
    try:
        wrong = tmp_path / "pw"
        wrong.write_text("wrong\n")
        settings = MqttSettings(
            host="127.0.0.1", port=secured.port, username="coach", password_file=wrong
        )
        refused = check_broker(Config(mqtt=settings))
    finally:
        secured.kill()
    assert refused.level is Level.FAIL
    assert "refused the connection" in refused.detail
    assert "password_file" in refused.fix


def test_after_going_back_a_version_the_copy_kept_before_the_upgrade_is_restored(
    data_dir, tmp_path, capsys
):
    # The data as a newer release left it: a schema this one cannot read.
    kept = tmp_path / "spotter.db.pre-older"
    assert run(data_dir, "backup", str(kept)) == 0
    with Store.open(data_dir) as store:
        store.update_settings({"default_rest_seconds": 90})
    import sqlite3

    conn = sqlite3.connect(data_dir / "spotter.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    assert run(data_dir, "routines", "list") != 0

    assert run(data_dir, "restore", str(kept)) == 0
    assert "the newer version's data is kept as" in capsys.readouterr().out
    with Store.open(data_dir) as store:
        assert store.settings().default_rest_seconds == 45
        assert len(store.history()) == 1
    newer = sqlite3.connect(data_dir / "spotter.db.newer")
    assert newer.execute("PRAGMA user_version").fetchone()[0] == 99
    newer.close()


def test_a_backup_that_cannot_be_read_leaves_the_newer_data_alone(data_dir, tmp_path, capsys):
    import sqlite3

    conn = sqlite3.connect(data_dir / "spotter.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = (data_dir / "spotter.db").read_bytes()
    junk = tmp_path / "junk"
    junk.write_text("not a backup")
    assert run(data_dir, "restore", str(junk)) == 1
    assert "nothing was changed" in capsys.readouterr().err
    assert (data_dir / "spotter.db").read_bytes() == before
