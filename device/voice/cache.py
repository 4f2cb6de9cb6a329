"""The WAV cache: one file per line and voice setting, so a press replays audio at once.

What a renderer writes is brought to the one format every cached line shares
(``device.voice.audio_format``: mono, 16-bit, 22050 Hz, leading silence cut) by
the cache's ``steps`` before it is kept; a step added there (loudness, say)
changes every key, so older files are rendered again rather than mixed in.

A file only ever appears under its final name complete: it is written under a
temporary name in the same folder, synced, and renamed over the final name. The
folder is synced once per batch of renders (``sync_directory``), not after every
line: a rename lost to a power cut only costs a render next time, while a file
is never found before its contents are on disk. Lookups still check the header
against the file's size, so a file damaged some other way is thrown away.

Below the cache lies, read-only, the audio the package rendered when it was built
(``shipped_audio.SHIPPED``: the shipped routine's lines in the default settings). It
is named by the same keys, so a file found there is this very line in these very
settings, engine version and processing: a new device plays it from its first second,
and any other setting or engine simply finds nothing there and renders as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
import wave
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from device.voice import audio_format as fmt
from device.voice.tts import VoiceSettings
from routines.store_files import match_owner

log = logging.getLogger(__name__)

_SUFFIX = ".wav"
_PARTIAL_SUFFIX = ".part"
_WAV_HEADER_BYTES = 44
# A partial file this old belongs to a writer that died (a pulled plug, a kill).
_ABANDONED_AFTER = 600.0
# When the disk is full, any partial file older than this is a dead writer's.
_ABANDONED_WHEN_FULL = 60.0
# Room a render needs: a long line is a few hundred KB.
ROOM_NEEDED = 1 << 20
_PROBE_BYTES = 64 * 1024
# With this much free, the disk is not what failed a render (no test write needed).
_SURELY_ENOUGH = 16 << 20


class CacheError(Exception):
    """A rendered file was not a playable WAV, so it was not kept."""


def is_playable_wav(path: Path) -> bool:
    """True if ``path`` is a WAV with audio frames and as many bytes as its header promises."""
    try:
        size = path.stat().st_size
        if size <= _WAV_HEADER_BYTES:
            return False
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
            frame_bytes = wav.getsampwidth() * wav.getnchannels()
    except (OSError, EOFError, wave.Error):
        return False
    return frames > 0 and size >= _WAV_HEADER_BYTES + frames * frame_bytes


def _fsync_path(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class WavCache:
    """Rendered lines in ``directory``, named by a hash of what makes them sound as they do."""

    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        steps: Sequence[fmt.PcmStep] = fmt.STANDARD_STEPS,
        shipped: Path | None = None,
    ) -> None:
        """``shipped``: a read-only folder of audio rendered ahead, looked in first."""
        self.directory = directory
        self.shipped = shipped
        self.max_bytes = max_bytes
        self.steps = tuple(steps)
        self._processing = [fmt.FORMAT_TAG, *(step.__name__ for step in self.steps)]
        self._unsynced = False
        self._total: int | None = None  # bytes of audio, counted once then kept up to date
        self._seen: int | None = None  # the folder's mtime after our last change to it

    def path_for(self, text: str, settings: VoiceSettings, version: str) -> Path:
        """Where the audio of ``text`` with these settings and engine version lives."""
        key = json.dumps(
            [text, settings.voice_id, settings.rate, settings.volume, version, *self._processing],
            ensure_ascii=False,
        )
        return self.directory / (hashlib.sha256(key.encode("utf-8")).hexdigest() + _SUFFIX)

    def lookup(self, path: Path) -> bool:
        """True if ``path`` holds playable audio; a damaged file is deleted."""
        if not path.exists():
            return False
        if not is_playable_wav(path):
            log.info("discarding damaged cached speech %s", path.name)
            path.unlink(missing_ok=True)
            return False
        # The modification time says when a file was last wanted; pruning goes by it.
        os.utime(path)
        return True

    def find(self, path: Path) -> Path | None:
        """The playable audio for ``path``'s key: the shipped file, else the cache's own."""
        if self.shipped is not None:
            ready = self.shipped / path.name
            if is_playable_wav(ready):
                return ready
        return path if self.lookup(path) else None

    @contextmanager
    def writing(self, path: Path) -> Iterator[Path]:
        """Yield a temporary file for a renderer's WAV; on success its audio, in the cache's
        format, becomes ``path`` (durable once ``sync_directory`` has run)."""
        if not self.directory.is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            match_owner(self.directory, self.directory.parent)
        before: int | None = self.directory.stat().st_mtime_ns
        fd, name = tempfile.mkstemp(
            dir=self.directory, prefix=f".{path.stem[:16]}-", suffix=_PARTIAL_SUFFIX
        )
        os.close(fd)
        partial = Path(name)
        try:
            yield partial
            if not is_playable_wav(partial):
                raise CacheError("the renderer wrote no audio")
            try:
                pcm = fmt.finish_render(partial, self.steps)
            except fmt.FormatError as err:
                raise CacheError(str(err)) from err
            fmt.write_wav(partial, pcm)
            _fsync_path(partial)
            match_owner(partial, self.directory)
            replaced = path.stat().st_size if path.exists() else 0
            partial.replace(path)
            self._unsynced = True
        finally:
            partial.unlink(missing_ok=True)
        self._written(path, replaced, before)

    def sync_directory(self) -> None:
        """Make the renames since the last call durable: one folder sync for a whole batch."""
        if self._unsynced:
            self._unsynced = False
            _fsync_path(self.directory, os.O_RDONLY | os.O_DIRECTORY)

    def has_room(self) -> bool:
        """True if a render can be written here now: room on the disk, and a write works."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fs = os.statvfs(self.directory)
            free = fs.f_bavail * fs.f_frsize
            if free < ROOM_NEEDED:
                return False
            if free >= _SURELY_ENOUGH:
                return True  # no write needed to tell: the failure was not for space
            fd, name = tempfile.mkstemp(dir=self.directory, prefix=".room-", suffix=_PARTIAL_SUFFIX)
            try:
                os.write(fd, b"\0" * _PROBE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
                Path(name).unlink(missing_ok=True)
        except OSError:
            return False
        return True

    def free_space(self, keep: Collection[Path] = ()) -> int:
        """The disk is full: delete every partial file a live writer cannot still need and
        all audio not in ``keep``. Returns how many files went."""
        return self.prune(keep, max_bytes=0, abandoned_after=_ABANDONED_WHEN_FULL)

    def _written(self, path: Path, replaced: int, before: int | None) -> None:
        """Keep the cap on every write: the least recently wanted files go first."""
        try:
            size = path.stat().st_size
        except OSError:
            return
        if self._total is None or self._seen != before:
            # First write, or the folder changed since our last one (spotter say, a
            # damaged file thrown away): count again rather than trust the running sum.
            self._total = self._audio_bytes()
        else:
            self._total += size - replaced
        if self._total > self.max_bytes:
            self.prune(keep=(path,))
        with contextlib.suppress(OSError):
            self._seen = self.directory.stat().st_mtime_ns

    def _audio_bytes(self) -> int:
        total = 0
        with contextlib.suppress(FileNotFoundError), os.scandir(self.directory) as entries:
            for entry in entries:
                if entry.name.endswith(_SUFFIX):
                    with contextlib.suppress(FileNotFoundError):
                        total += entry.stat().st_size
        return total

    def prune(
        self,
        keep: Collection[Path] = (),
        *,
        max_bytes: int | None = None,
        abandoned_after: float = _ABANDONED_AFTER,
    ) -> int:
        """Delete abandoned partial files, then the least recently wanted audio not in ``keep``
        until the cache fits in ``max_bytes`` (the cache's cap unless given).
        Returns how many files went."""
        limit = self.max_bytes if max_bytes is None else max_bytes
        removed = 0
        now = time.time()
        sized: list[tuple[float, int, Path]] = []
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue
            path = Path(entry.path)
            if entry.name.endswith(_PARTIAL_SUFFIX) and now - stat.st_mtime > abandoned_after:
                path.unlink(missing_ok=True)
                removed += 1
            elif entry.name.endswith(_SUFFIX):
                sized.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in sized)
        kept = set(keep)
        for _, size, path in sorted(sized):
            if total <= limit:
                break
            if path in kept:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        self._total = total
        return removed
