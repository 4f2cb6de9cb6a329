"""libasound's own error lines stay out of stderr once Spotter has loaded alsaaudio."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("alsaaudio")

OPEN_A_MISSING_DEVICE = """
import logging, sys
logging.basicConfig(level=logging.DEBUG if sys.argv[1] == "debug" else logging.INFO)
if sys.argv[1] != "untouched":
    from device.voice.alsa_module import load_alsaaudio
    load_alsaaudio()
import alsaaudio
try:
    alsaaudio.PCM(alsaaudio.PCM_PLAYBACK, device="spotter-no-such-device")
except alsaaudio.ALSAAudioError as err:
    print("refused:", err)
"""


def stderr_of(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_A_MISSING_DEVICE, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.startswith("refused:")
    return done.stderr


def test_libasound_prints_its_own_lines_unless_told_otherwise():
    # The baseline: what a bare alsaaudio prints, so the test below can tell a difference.
    assert "ALSA lib" in stderr_of("untouched")


def test_after_loading_alsaaudio_its_errors_are_quiet():
    assert "ALSA lib" not in stderr_of("quiet")


def test_they_remain_in_the_debug_log():
    assert "ALSA: pcm.c" in stderr_of("debug")
