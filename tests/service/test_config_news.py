"""The daemon names the settings new in this release in its log, once per release."""

from __future__ import annotations

import logging

from device.service.config_news import NAMED_FOR, log_once_per_release

EXAMPLE = '# log_level = "info"\n\n# [button]\n# pin = 17\n# hold_ms = 900\n'
OWNERS = '# log_level = "info"\n[button]\npin = 4\n'


def _files(tmp_path):
    example = tmp_path / "example.toml"
    example.write_text(EXAMPLE)
    owners = tmp_path / "spotter.toml"
    owners.write_text(OWNERS)
    data = tmp_path / "data"
    data.mkdir()
    return owners, example, data


def _named(caplog):
    return [r for r in caplog.records if "does not mention" in r.getMessage()]


def test_new_settings_are_named_once_then_not_at_every_start(tmp_path, caplog):
    owners, example, data = _files(tmp_path)
    caplog.set_level(logging.INFO)

    assert log_once_per_release(owners, data, "0.3.0", example) == ["button.hold_ms"]
    (record,) = _named(caplog)
    assert record.levelno == logging.WARNING
    assert "button.hold_ms" in record.getMessage() and str(example) in record.getMessage()

    caplog.clear()
    assert log_once_per_release(owners, data, "0.3.0", example) == []
    assert _named(caplog) == []
    assert (data / NAMED_FOR).read_text() == "0.3.0\n"


def test_the_next_release_names_them_again(tmp_path, caplog):
    owners, example, data = _files(tmp_path)
    log_once_per_release(owners, data, "0.3.0", example)
    caplog.clear()
    assert log_once_per_release(owners, data, "0.4.0", example) == ["button.hold_ms"]
    assert len(_named(caplog)) == 1


def test_a_file_that_mentions_everything_logs_nothing_but_is_noted(tmp_path, caplog):
    owners, example, data = _files(tmp_path)
    owners.write_text(EXAMPLE)
    caplog.set_level(logging.INFO)
    assert log_once_per_release(owners, data, "0.3.0", example) == []
    assert _named(caplog) == []
    assert (data / NAMED_FOR).read_text() == "0.3.0\n"


def test_no_config_file_or_no_example_is_no_news(tmp_path):
    owners, example, data = _files(tmp_path)
    assert log_once_per_release(None, data, "0.3.0", example) == []
    assert log_once_per_release(owners, data, "0.4.0", tmp_path / "missing.toml") == []
