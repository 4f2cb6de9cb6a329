"""The voice cache's cap holds on every write, not only when the routine is reloaded;
the least recently wanted audio goes first. Root writing into the service's cache
(``sudo spotter say``) leaves files the service owns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from device.voice.cache import WavCache
from device.voice.tts import VoiceSettings
from tests.voice.test_cache import write_wav

pytestmark = pytest.mark.attack

VERSION = "engine 1"
FRAMES = 22050  # one second: 44,144 bytes a file


def audio_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("*.wav"))


def add(cache: WavCache, text: str) -> Path:
    path = cache.path_for(text, VoiceSettings(), VERSION)
    with cache.writing(path) as partial:
        write_wav(partial, frames=FRAMES)
    return path


def test_the_cap_holds_after_every_write(tmp_path):
    cap = 10 * (44 + 2 * FRAMES)
    cache = WavCache(tmp_path / "cache", max_bytes=cap)
    for n in range(70):  # as 700 test-voice posts once did, in small
        newest = add(cache, f"Test line {n}.")
        assert audio_bytes(cache.directory) <= cap
        assert newest.exists()
    assert len(list(cache.directory.glob("*.wav"))) == 10


def test_the_least_recently_wanted_audio_goes_first(tmp_path):
    cap = 4 * (44 + 2 * FRAMES)
    cache = WavCache(tmp_path / "cache", max_bytes=cap)
    first = add(cache, "Wanted often.")
    others = [add(cache, f"Said once {n}.") for n in range(3)]
    for n, path in enumerate([first, *others]):
        os.utime(path, (1000 + n, 1000 + n))  # written in this order, long ago
    assert cache.lookup(first)  # wanted again just now
    add(cache, "One more.")
    assert first.exists()
    assert not others[0].exists()
    assert others[1].exists() and others[2].exists()


def test_the_count_follows_files_written_by_another_process(tmp_path):
    cap = 5 * (44 + 2 * FRAMES)
    cache = WavCache(tmp_path / "cache", max_bytes=cap)
    add(cache, "Counted.")
    other = WavCache(tmp_path / "cache", max_bytes=cap)  # e.g. spotter say meanwhile
    for n in range(8):
        add(other, f"From elsewhere {n}.")
    for n in range(3):
        add(cache, f"Mine {n}.")
        assert audio_bytes(cache.directory) <= cap


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can write files another user owns")
def test_root_writing_into_the_services_cache_leaves_files_the_service_owns(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 4321, 4321)  # the service's user
    cache = WavCache(data / "voice-cache")
    path = add(cache, "Said by root.")
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321)
    assert cache.directory.stat().st_uid == 4321
