"""The WAV cache: keys follow every voice setting, and only whole files are ever found."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
import wave
from pathlib import Path

import pytest

from device.voice.cache import CacheError, WavCache, is_playable_wav
from device.voice.tts import VoiceSettings

VERSION = "engine 1"


def write_wav(path: Path, frames: int = 2205, level: int = 3000) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(level.to_bytes(2, "little", signed=True) * frames)


def test_the_key_follows_the_text_every_voice_setting_and_the_engine(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    base = VoiceSettings(voice_id="en-us", rate=165, volume=1.0)
    path = cache.path_for("Set one of three.", base, VERSION)
    assert path == cache.path_for("Set one of three.", VoiceSettings("en-us", 165, 1.0), VERSION)
    assert path.parent == tmp_path and path.suffix == ".wav"
    others = {
        cache.path_for("Set two of three.", base, VERSION),
        cache.path_for("Set one of three.", VoiceSettings("en-gb", 165, 1.0), VERSION),
        cache.path_for("Set one of three.", VoiceSettings("en-us", 166, 1.0), VERSION),
        cache.path_for("Set one of three.", VoiceSettings("en-us", 165, 0.9), VERSION),
        cache.path_for("Set one of three.", base, "engine 2"),
    }
    assert path not in others
    assert len(others) == 5


def test_writing_makes_the_file_appear_only_once_complete(tmp_path: Path) -> None:
    cache = WavCache(tmp_path / "cache")
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    with cache.writing(final) as partial:
        assert partial.parent == final.parent
        write_wav(partial)
        assert not final.exists()
        assert not cache.lookup(final)
    assert cache.lookup(final)
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    with pytest.raises(RuntimeError), cache.writing(final) as partial:
        write_wav(partial, frames=100)
        raise RuntimeError("the renderer died")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"", b"RIFF", b"not a wav file at all" * 10])
def test_a_write_without_audio_is_refused(tmp_path: Path, content: bytes) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    with pytest.raises(CacheError), cache.writing(final) as partial:
        partial.write_bytes(content)
    assert list(tmp_path.iterdir()) == []


def test_a_silent_zero_frame_wav_is_refused(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("...", VoiceSettings(), VERSION)
    with pytest.raises(CacheError), cache.writing(final) as partial:
        write_wav(partial, frames=0)
    assert not final.exists()


def test_each_file_is_synced_before_its_rename_and_the_folder_once_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = WavCache(tmp_path)
    finals = [cache.path_for(text, VoiceSettings(), VERSION) for text in ("In.", "Out.")]
    synced: list[tuple[bool, int]] = []  # (is a folder, how many final names exist yet)
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), sum(f.exists() for f in finals)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    for final in finals:
        with cache.writing(final) as partial:
            write_wav(partial)
    cache.sync_directory()
    cache.sync_directory()  # nothing new: no second folder sync
    assert synced == [(False, 0), (False, 1), (True, 2)]


def test_what_is_kept_is_mono_22050_hz_with_the_leading_silence_cut(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    with cache.writing(final) as partial, wave.open(str(partial), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\0\0\0\0" * 4410)  # 100 ms of silence
        wav.writeframes((3000).to_bytes(2, "little", signed=True) * 2 * 44100)  # 1 s of tone
    with wave.open(str(final), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        frames = wav.readframes(wav.getnframes())
    lead = 22050 // 200  # the 5 ms kept before the first sound
    assert frames[: 2 * lead] == b"\0\0" * lead
    assert frames[2 * lead : 2 * lead + 2] == (3000).to_bytes(2, "little", signed=True)
    assert abs(len(frames) // 2 - (22050 + lead)) <= 2


def test_an_added_processing_step_changes_every_key(tmp_path: Path) -> None:
    from device.voice.audio_format import STANDARD_STEPS, Pcm

    def louder(pcm: Pcm) -> Pcm:
        return pcm

    plain = WavCache(tmp_path)
    processed = WavCache(tmp_path, steps=(*STANDARD_STEPS, louder))
    settings = VoiceSettings()
    assert plain.path_for("Go.", settings, VERSION) != processed.path_for("Go.", settings, VERSION)


def test_lookup_discards_a_file_cut_short(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    write_wav(final, frames=5000)
    whole = final.read_bytes()
    final.write_bytes(whole[: len(whole) // 2])
    assert not is_playable_wav(final)
    assert not cache.lookup(final)
    assert not final.exists()


def test_lookup_discards_an_empty_file_and_ignores_partial_ones(tmp_path: Path) -> None:
    cache = WavCache(tmp_path)
    final = cache.path_for("Breathe out.", VoiceSettings(), VERSION)
    final.write_bytes(b"")
    assert not cache.lookup(final)
    assert not final.exists()
    # A writer killed before its rename leaves only a partial file, which is never found.
    write_wav(tmp_path / f".{final.stem[:16]}-x1y2.part")
    assert not cache.lookup(final)


def test_prune_removes_the_least_recently_wanted_unkept_files(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.wav" for name in "abcd"]
    for age, path in enumerate(reversed(paths)):
        write_wav(path, frames=1000)
        then = time.time() - 100 * (age + 1)
        os.utime(path, (then, then))  # a is the oldest, d the newest
    size = paths[0].stat().st_size
    cache = WavCache(tmp_path, max_bytes=2 * size)
    assert cache.lookup(paths[1])  # wanting b makes it the newest
    removed = cache.prune(keep={paths[0]})
    assert removed == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "b.wav"]


def test_prune_clears_abandoned_partial_files_but_not_fresh_ones(tmp_path: Path) -> None:
    old = tmp_path / ".abc-1.part"
    fresh = tmp_path / ".abc-2.part"
    for path in (old, fresh):
        path.write_bytes(b"RIFF")
    then = time.time() - 3600
    os.utime(old, (then, then))
    assert WavCache(tmp_path).prune() == 1
    assert [p.name for p in tmp_path.iterdir()] == [fresh.name]


WRITER = textwrap.dedent(
    """
    import sys, wave
    from pathlib import Path
    from device.voice.cache import WavCache
    from device.voice.tts import VoiceSettings

    cache = WavCache(Path(sys.argv[1]))
    n = 0
    while True:
        n += 1
        final = cache.path_for(f"line {n % 7}", VoiceSettings(rate=100 + n % 3), "v")
        with cache.writing(final) as partial:
            with wave.open(str(partial), "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(22050)
                for _ in range(40):
                    wav.writeframes(bytes([n % 256, 1]) * 2000)
        print(final.name, flush=True)
    """
)


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_never_leaves_a_broken_file(tmp_path: Path) -> None:
    rng = random.Random(7)
    root = Path(__file__).resolve().parents[2]
    committed: set[str] = set()
    for _ in range(25):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        assert child.stdout is not None
        # Each line means one more file was committed; the kill then lands
        # somewhere inside the next write.
        for _ in range(rng.randint(1, 4)):
            committed.add(child.stdout.readline().strip())
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        cache = WavCache(tmp_path)
        for path in tmp_path.glob("*.wav"):
            assert is_playable_wav(path), path.name
        for name in committed:
            assert cache.lookup(tmp_path / name)
