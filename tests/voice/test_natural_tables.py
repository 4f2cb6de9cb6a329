"""The natural engine's word tables on disk: the same readings as in memory, in far less.

The real hibari-tts: its own G2P, with every table in memory, against the one whose
tables are read from the SQLite file built here, on every line of the shipped routine
and a few that lean on the tagger (words read differently as noun or verb). Then the
real worker renders a line both ways and its peak memory is compared.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from device.engine.preview import routine_lines
from device.voice import natural_tables
from device.voice.natural import NaturalRenderer, natural_installed
from device.voice.tts import VoiceSettings
from routines.store import Store

ROOT = Path(__file__).resolve().parents[2]
TAGGED = [
    "Read the line I read yesterday.",
    "Record a new record, then rest.",
    "Close the door when you are close to it.",
    "Lead with the left leg; the lead weight stays down.",
    "It is 2024, and 1,250 people paid $9.99 at 7:30 pm.",
]

pytestmark = pytest.mark.skipif(
    not natural_installed(), reason="the natural-voice extra (hibari-tts) is not installed"
)


def test_the_tables_on_disk_read_every_line_as_the_engine_does(tmp_path: Path) -> None:
    from hibari.g2p import G2P

    path = natural_tables.tables_file(tmp_path, "hibari-tts 0.2.1")
    natural_tables.build(path)
    assert path.name == "natural-words-hibari-tts-0.2.1.sqlite"
    assert not [p for p in tmp_path.iterdir() if p != path]  # nothing half-written is left
    on_disk = natural_tables.open_g2p(path)
    in_memory = G2P()
    store = Store.open(tmp_path / "data")
    try:
        active = store.active_routine()
        assert active is not None
        lines = [*routine_lines(active.routine), *TAGGED]
    finally:
        store.close()
    assert len(lines) > 100
    differ = [line for line in lines if on_disk(line) != in_memory(line)]
    assert differ == []


def test_the_worker_with_its_tables_on_disk_peaks_lower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    line = "Drive your hips up until your knees are bent, then lower them slowly."
    peaks = {}
    # The first worker with tables builds them; the second only reads them.
    for run, tables in (("memory", None), ("build", tmp_path / "t"), ("disk", tmp_path / "t")):
        renderer = NaturalRenderer(tables=tables)
        try:
            renderer.render(line, VoiceSettings(), tmp_path / f"{run}.wav")
        finally:
            renderer.close()
        peaks[run] = renderer.stats.peak_rss_kb
    assert (tmp_path / "disk.wav").read_bytes() == (tmp_path / "memory.wav").read_bytes()
    [built] = (tmp_path / "t").iterdir()
    assert built.name.startswith("natural-words-hibari-tts-")
    # About 200 MB with the tables in memory; 100-130 MB with them on disk (numpy,
    # onnxruntime and the model stay); building them peaks in between.
    assert peaks["disk"] < peaks["memory"] - 50_000, peaks
    assert peaks["disk"] < 135_000, peaks
    assert peaks["build"] < peaks["memory"], peaks


def test_damaged_tables_are_built_again(tmp_path: Path) -> None:
    path = natural_tables.tables_file(tmp_path, "hibari-tts 0.2.1")
    path.write_bytes(b"not a database, half written" * 100)
    g2p = natural_tables.ready_g2p(path)
    assert g2p("Set two of three.")
    assert path.read_bytes().startswith(b"SQLite format 3")
