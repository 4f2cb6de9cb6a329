"""The harness itself: a line played through the player is heard when it was written and
known by its text; a cut line is heard as cut."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from device.voice import audio_format as fmt
from device.voice.alsa_player import AlsaPlayer
from tests.realtime.sound_card import SoundCard, loud_seconds

pytestmark = pytest.mark.realtime


def spoken(folder: Path, text: str) -> Path:
    """``text`` spoken by espeak-ng, in the voice cache's format."""
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
    path = folder / f"{len(list(folder.iterdir()))}.wav"
    fmt.write_wav(path, fmt.finish_render(raw))
    return path


def test_a_line_is_heard_as_it_is_written_and_known_by_its_text(tmp_path: Path) -> None:
    long = spoken(tmp_path, "Lie on your side with your knees bent and your feet together.")
    short = spoken(tmp_path, "Seven")
    with SoundCard() as card:
        card.learn("long", long)
        card.learn("seven", short)
        player = AlsaPlayer(card.device, opener=card.opener)
        try:
            player.open()
            time.sleep(0.3)  # idle
            written = time.monotonic()
            player.start(str(long)).wait()
            time.sleep(0.3)
            heard = card.wait_for("long", after=written - 1, timeout=5)
            assert heard.start - written == pytest.approx(0.03, abs=0.03)
            # It plays at the speed of its samples, not faster.
            assert heard.end - heard.start == pytest.approx(loud_seconds(long), abs=0.05)
            assert not heard.cut

            second = time.monotonic()
            playing = player.start(str(long))
            time.sleep(1.0)
            cut_at = time.monotonic()
            player.start(str(short)).wait()
            playing.wait()
            time.sleep(0.3)
        finally:
            player.close()
        lines = card.heard()
    assert [line.text for line in lines] == ["long", "long", "seven"]
    cut, seven = lines[1], lines[2]
    assert cut.cut and cut.start - second == pytest.approx(0.03, abs=0.03)
    # What the card still held of the cut line plays out first: a buffer, no more.
    assert seven.start - cut_at == pytest.approx(0.05, abs=0.05)
    assert cut.end < seven.start
