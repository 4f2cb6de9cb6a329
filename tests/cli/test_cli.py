"""The ``spotter`` command line, run as a user would, against real data directories."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from device.cli.main import TALK_HEADING, build_parser, main

SPOTTER = [sys.executable, "-m", "device.cli"]

# A routine written the way a user would write one: short hold, short rests.
USER_ROUTINE = """\
name: Quick test
description: A short routine for trying Spotter out.
exercises:
  - name: Wall sit
    sets: 1
    hold_seconds: 5
    rest_seconds: 2
    setup: ["Back flat against the wall."]
  - name: Calf raises
    sets: 2
    reps: 2
    rest_seconds: 1
    count: per_rep
"""

BAD_ROUTINE = USER_ROUTINE.replace("reps: 2", "reps: 2\n    rest_second: 1")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def db_digest(data_dir: Path) -> str:
    return hashlib.sha256((data_dir / "spotter.db").read_bytes()).hexdigest()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_version_is_the_packages_own_on_standard_output():
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    done = subprocess.run([*SPOTTER, "--version"], capture_output=True, text=True, check=True)
    assert (done.stdout, done.stderr) == (f"spotter {version}\n", "")


def test_list_shows_the_shipped_routine_first_thing(capsys, data_dir):
    code, out, _ = run_cli(capsys, "routines", "list", "--data-dir", str(data_dir))
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("lower-back\t")
    assert "(active)" in first


def test_validate_accepts_a_good_file(capsys, tmp_path):
    path = write(tmp_path, "quick.yaml", USER_ROUTINE)
    code, out, _ = run_cli(capsys, "routines", "validate", str(path))
    assert code == 0
    assert "Quick test" in out


def test_validate_names_the_wrong_field(capsys, tmp_path):
    path = write(tmp_path, "bad.yaml", BAD_ROUTINE)
    code, out, err = run_cli(capsys, "routines", "validate", str(path))
    assert code == 1
    assert "exercises[1].rest_second" in err
    assert "rest_seconds" in err  # the hint
    assert out == ""


def test_import_prints_the_new_id_and_export_gives_it_back(capsys, tmp_path, data_dir):
    path = write(tmp_path, "quick.yaml", USER_ROUTINE)
    code, out, _ = run_cli(capsys, "routines", "import", str(path), "--data-dir", str(data_dir))
    assert code == 0
    assert out.strip() == "quick-test"
    code, out, _ = run_cli(capsys, "routines", "list", "--data-dir", str(data_dir))
    assert [line.split("\t")[0] for line in out.splitlines()] == ["lower-back", "quick-test"]
    code, out, _ = run_cli(capsys, "routines", "export", "quick-test", "--data-dir", str(data_dir))
    assert code == 0
    exported = write(tmp_path, "exported.yaml", out)
    code, out, _ = run_cli(capsys, "routines", "validate", str(exported))
    assert code == 0


def test_importing_twice_gives_a_second_id(capsys, tmp_path, data_dir):
    path = write(tmp_path, "quick.yaml", USER_ROUTINE)
    run_cli(capsys, "routines", "import", str(path), "--data-dir", str(data_dir))
    code, out, _ = run_cli(capsys, "routines", "import", str(path), "--data-dir", str(data_dir))
    assert code == 0
    assert out.strip() == "quick-test-2"


def test_a_rejected_import_leaves_the_store_byte_for_byte(capsys, tmp_path, data_dir):
    run_cli(capsys, "routines", "list", "--data-dir", str(data_dir))
    before = db_digest(data_dir)
    path = write(tmp_path, "bad.yaml", BAD_ROUTINE)
    code, _, err = run_cli(capsys, "routines", "import", str(path), "--data-dir", str(data_dir))
    assert code == 1
    assert "rest_second" in err
    assert db_digest(data_dir) == before


def test_unknown_routine_is_one_clear_line(capsys, data_dir):
    code, _, err = run_cli(capsys, "routines", "show", "nope", "--data-dir", str(data_dir))
    assert code == 1
    assert err.strip() == "spotter: no routine with id 'nope' (see 'spotter routines list')"


def test_missing_file_is_one_clear_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "routines", "validate", str(tmp_path / "none.yaml"))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "cannot read" in err


def test_show_lists_every_exercise(capsys, data_dir):
    code, out, _ = run_cli(capsys, "routines", "show", "lower-back", "--data-dir", str(data_dir))
    assert code == 0
    for name in ("Hip flexor wall stretch", "Reverse ab curls", "Glute hip thrusts"):
        assert name in out


def test_preview_speaks_the_whole_routine(capsys, data_dir):
    code, out, _ = run_cli(capsys, "preview", "--data-dir", str(data_dir))
    assert code == 0
    text = out.lower()
    for name in (
        "hip flexor wall stretch",
        "reverse ab curls",
        "glute hip thrusts",
        "hamstring curls",
    ):
        assert name in text
    assert "left" in text and "right" in text
    assert "final set" in text
    assert "rest" in text


def script_and_talk(out: str) -> tuple[str, dict[str, int]]:
    """The spoken script, and the talk table's seconds per exercise."""
    script, _, table = out.partition(f"\n{TALK_HEADING}")
    rows = [line.strip().split(". ", 1)[1] for line in table.splitlines()[1:]]
    return script + "\n", {row.rsplit(": ", 1)[0]: int(row.rsplit(" ", 2)[1]) for row in rows}


def test_preview_brief_speaks_under_two_thirds_of_the_words(capsys, data_dir):
    code, full, _ = run_cli(capsys, "preview", "--data-dir", str(data_dir))
    assert code == 0
    code, brief, _ = run_cli(capsys, "preview", "--verbosity", "brief", "--data-dir", str(data_dir))
    assert code == 0
    (full, full_talk), (brief, brief_talk) = script_and_talk(full), script_and_talk(brief)
    # Both keep every word of the paced sets' tempo; the rest of brief is under half.
    assert len(brief.split()) <= 0.6 * len(full.split())
    assert list(full_talk) == [
        "Hip flexor wall stretch",
        "Reverse ab curls",
        "Glute hip thrusts",
        "Isometric banded hamstring curls",
    ]
    assert all(brief_talk[name] < seconds for name, seconds in full_talk.items())
    assert brief.count("Final set.") == full.count("Final set.") == 4
    assert brief.splitlines()[-3:] == full.splitlines()[-3:]
    with pytest.raises(SystemExit) as bad:
        main(["preview", "--verbosity", "chatty", "--data-dir", str(data_dir)])
    assert bad.value.code == 2
    assert "--verbosity" in capsys.readouterr().err


def test_activate_changes_what_preview_plays(capsys, tmp_path, data_dir):
    path = write(tmp_path, "quick.yaml", USER_ROUTINE)
    run_cli(capsys, "routines", "import", str(path), "--data-dir", str(data_dir))
    code, _, _ = run_cli(capsys, "routines", "activate", "quick-test", "--data-dir", str(data_dir))
    assert code == 0
    _, out, _ = run_cli(capsys, "preview", "--data-dir", str(data_dir))
    assert "Calf raises" in out
    assert "Reverse ab curls" not in out


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run"],
        ["preview"],
        ["routines"],
        ["routines", "list"],
        ["routines", "show"],
        ["routines", "validate"],
        ["routines", "import"],
        ["routines", "export"],
        ["routines", "activate"],
        ["say"],
        ["voices"],
        ["doctor"],
        ["config"],
        ["config", "check"],
    ],
)
def test_every_command_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*argv, "--help"])
    assert exit_info.value.code == 0
    assert "usage:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["frobnicate"], ["routines", "show"], ["run", "--port", "eighty"], ["routines", "mend", "x"]],
)
def test_bad_arguments_give_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--help" in err


def spotter_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SPOTTER_DATA_DIR"] = str(data_dir)
    env.pop("GPIOZERO_PIN_FACTORY", None)
    return env


def test_run_without_gpio_suggests_simulate(data_dir):
    result = subprocess.run(
        [*SPOTTER, "run", "--no-web"],
        env=spotter_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--simulate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_user_routine_runs_in_the_simulator_from_stdin(capsys, tmp_path, data_dir):
    path = write(tmp_path, "quick.yaml", USER_ROUTINE)
    run_cli(capsys, "routines", "import", str(path), "--activate", "--data-dir", str(data_dir))
    # Every key is a press: start, begin the hold, end it early, skip the rest,
    # then intro, set 1 (2 reps), skip rest, set 2 (2 reps): the summary follows.
    # The first press is sent once Spotter is up, the rest once the first exercise has
    # been introduced: a key sent at once would cut the introduction before it is said.
    process = subprocess.Popen(
        [*SPOTTER, "run", "--simulate", "--silent", "--no-web"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=spotter_env(data_dir),
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    heard: list[str] = []
    try:
        for cue, keys in (("Ready", "\n"), ("Wall sit", "\n" * 10 + "q\n")):
            while not any(cue in line for line in heard):
                line = process.stdout.readline()
                assert line, f"Spotter stopped before saying {cue!r}: {heard}"
                heard.append(line)
            process.stdin.write(keys)
            process.stdin.flush()
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    spoken = [line[2:] for line in [*heard, *out.splitlines()] if line.startswith("» ")]
    text = "\n".join(line.rstrip("\n") for line in spoken)
    assert "Wall sit" in text
    assert "Calf raises" in text
    assert "Final set" in text or "final set" in text
    # The workout finished: it is in the history.
    from routines.store import Store

    store = Store.open(data_dir)
    try:
        (entry,) = store.history()
    finally:
        store.close()
    assert entry.routine_id == "quick-test"
    assert entry.completed


def test_commands_find_the_data_dir_the_config_file_names(capsys, tmp_path, monkeypatch):
    # As on a Pi: the file names the service's data; a command run by hand must use it.
    monkeypatch.delenv("SPOTTER_DATA_DIR", raising=False)
    service_data = tmp_path / "service"
    config = tmp_path / "spotter.toml"
    config.write_text(f'data_dir = "{service_data}"\n')
    routine = write(tmp_path, "quick.yaml", USER_ROUTINE)
    code, out, _ = run_cli(capsys, "routines", "import", str(routine), "--config", str(config))
    assert code == 0
    assert (service_data / "spotter.db").exists()
    code, out, _ = run_cli(capsys, "routines", "list", "--config", str(config))
    assert "quick-test" in out


def test_a_broken_config_file_is_named_not_a_traceback(capsys, tmp_path):
    config = tmp_path / "spotter.toml"
    config.write_text("[button]\npin = 99\n")
    code, _, err = run_cli(capsys, "routines", "list", "--config", str(config))
    assert code == 1
    assert err.strip() == f"{config}: button.pin: must be a whole number from 0 to 27"


def test_a_store_from_a_newer_spotter_is_one_line_naming_the_copy_to_restore(capsys, data_dir):
    import sqlite3

    run_cli(capsys, "routines", "list", "--data-dir", str(data_dir))
    conn = sqlite3.connect(data_dir / "spotter.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    code, _, err = run_cli(capsys, "routines", "list", "--data-dir", str(data_dir))
    assert code == 1
    assert "newer Spotter" in err and "spotter.db.pre-" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        (["run", "--simulate"], True),
        (["-v", "run"], True),
        (["--help", "run"], False),
        (["backup", "run"], False),
        (["routines", "list"], False),
        ([], False),
    ],
)
def test_only_a_start_of_the_daemon_goes_without_the_other_commands(argv, start):
    from device.cli.main import starts_the_daemon

    assert starts_the_daemon(argv) is start


def test_the_overall_help_still_lists_backup_and_clicker(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "backup" in out and "clicker" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["-v", "run", "--simulate", "--pin", "5", "--no-web", "--silent"],
        ["run", "--config", "x.toml", "--data-dir", "d", "--clicker", "a", "--clicker", "b"],
    ],
)
def test_a_start_reads_its_command_line_as_the_whole_parser_does(argv):
    from device.cli.main import parser_for

    assert vars(parser_for(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_a_start_builds_no_other_command(capsys):
    from device.cli.main import parser_for

    with pytest.raises(SystemExit):
        parser_for(["run"]).parse_args(["preview"])
    assert "invalid choice" in capsys.readouterr().err
