"""An impatient trainee after a fresh start: how long a press waits for words.

A real ``spotter run --simulate`` starts on an empty data directory (no voice cache, no
package audio), playing into a ``SoundTap``. As soon as it says the button is live
(``STATUS=`` on its notify socket, as ``bench.startup`` reads it), a scripted trainee
presses (the simulated keyboard's Enter), and from then on presses again each time
Spotter pauses after words (``LINE_OVER``: the end of a line, or of a sentence, which
sound alike), or when nothing has come ``NOTHING_CAME`` after a press, until the window
is over. The check-in that opens the shipped routine is answered the same way: the
pause after its first number brings the press that picks it.

What is heard is worked out from the tap's reads (``Ear``): the device takes samples at
the pace they play, silence between lines included, so each read sounds from when it
came; samples above the cache's silence threshold are sound. A sound no longer than
``TICK_LONGEST`` is the press's tick (a 50 ms tone that answers a press at once mid-set),
not words. For each press, the wait is the time from the press to the first words that
start after it, and its silence the longest quiet stretch in that time (a tick breaks
it); a press answered only after the trainee pressed again waits until those words too.
The longest silence is held against one line's render on the same machine: the median
time the daemon's renderer (espeak-ng in its own process, then levelling) takes for a
line of the shipped routine, timed apart from the run, in the same CPU quota.

Twice: the classic voice, and the natural voice chosen before the first start (its worker
renders after the classic cache is whole, so a line without natural audio yet is said in
the classic voice).
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.daemon_proc import Daemon
from bench.pi_zero import PiZeroQuota
from bench.report import Figure, p50_p95
from bench.sound_tap import SoundTap
from bench.startup import emulation, wait_for_live
from device.voice.audio_format import RATE, SILENCE_THRESHOLD

WINDOW = 60.0  # seconds of pressing after the first press
QUICK_WINDOW = 30.0
# Quiet this long after words: Spotter has paused, at the end of a line (or of a sentence:
# between lines and between sentences it pauses alike, about 0.2-0.45 s), and the trainee presses.
LINE_OVER = 0.25
NOTHING_CAME = 1.4  # quiet this long after a press: the trainee presses again
TICK_LONGEST = 0.12  # seconds: a sound this short is the press's tick, not words
JOIN = 0.15  # seconds: loud stretches closer than this are one sound (words of a line)
BLOCK = 220  # samples judged loud or quiet together: 10 ms
PRESS_AFTER = 0.05  # after button-live, as in bench.startup
LAST_ANSWER_TIMEOUT = 60.0
LOOK_EVERY = 0.01
SLOW = 1.0  # seconds: the presses that waited longer are named
RENDERED_LINES = 15  # lines of the shipped routine timed for the baseline


@dataclass(frozen=True, slots=True)
class Sound:
    """A stretch of sound at the device: when its first and last loud samples played."""

    start: float
    end: float

    @property
    def words(self) -> bool:
        return self.end - self.start > TICK_LONGEST


class Ear:
    """Hears the tap's reads as they come. The device takes samples at the pace they play,
    digital silence between lines included, so a read's samples are taken to sound from
    when it came, one after another; samples louder than the cache's silence threshold are
    sound, and loud stretches less than ``join`` apart are one sound."""

    def __init__(self, join: float = JOIN) -> None:
        self.join = join
        self.sounds: list[Sound] = []
        self.reads = 0  # how many reads have been heard
        self._odd = b""  # half a sample left over from the last read

    def hear(self, reads: Sequence[tuple[float, bytes]]) -> list[Sound]:
        """Take in the next reads; every sound so far."""
        for when, data in reads:
            self.reads += 1
            data = self._odd + data
            self._odd = data[len(data) - len(data) % 2 :]
            samples = array.array("h", data[: len(data) - len(self._odd)])
            if sys.byteorder == "big":
                samples.byteswap()
            for first in range(0, len(samples), BLOCK):
                block = samples[first : first + BLOCK]
                if max(block) > SILENCE_THRESHOLD or -min(block) > SILENCE_THRESHOLD:
                    self._loud(when + first / RATE, when + (first + len(block)) / RATE)
        return self.sounds

    def _loud(self, start: float, end: float) -> None:
        if self.sounds and start - self.sounds[-1].end <= self.join:
            self.sounds[-1] = Sound(self.sounds[-1].start, end)
        else:
            self.sounds.append(Sound(start, end))


def heard(reads: Sequence[tuple[float, bytes]], *, join: float = JOIN) -> list[Sound]:
    """Every sound in ``reads`` (see ``Ear``)."""
    return Ear(join).hear(reads)


@dataclass(frozen=True, slots=True)
class Wait:
    """What one press waited for: seconds to the first words that started after it, and
    the longest quiet stretch in between (a tick breaks it). None: no words came."""

    words: float | None
    silence: float | None


def waits(presses: Sequence[float], sounds: Sequence[Sound]) -> list[Wait]:
    """For each press, how long until words, and the longest silence heard meanwhile."""
    found = []
    for press in presses:
        words = next((s.start for s in sounds if s.words and s.start > press), None)
        if words is None:
            found.append(Wait(None, None))
            continue
        quiet, since = 0.0, press
        for sound in sounds:
            if press < sound.start < words:  # a tick
                quiet, since = max(quiet, sound.start - since), max(since, sound.end)
        found.append(Wait(words - press, max(quiet, words - since)))
    return found


def press_due(now: float, last_press: float, sounds: Sequence[Sound]) -> bool:
    """Whether the trainee presses now: words came after the last press and have been
    over for ``LINE_OVER``, or nothing has been heard for ``NOTHING_CAME``."""
    quiet_since = max([last_press, *(s.end for s in sounds)])
    if now < quiet_since:
        return False  # something is playing
    answered = any(s.words and s.start > last_press for s in sounds)
    return now - quiet_since >= (LINE_OVER if answered else NOTHING_CAME)


@dataclass
class Trial:
    """One fresh start pressed through: the presses (monotonic), their silences, and
    what the run left behind."""

    voice: str
    presses: list[float]
    waits: list[Wait]
    live: float  # seconds from the spawn to button-live
    answered_checkin: bool
    sounds: list[Sound]


def fresh_start(
    root: Path, tap: SoundTap, voice: str, window: float, quota: PiZeroQuota | None
) -> Trial:
    """Start on an empty data directory and press through ``window`` seconds."""
    data = root / f"data-{voice}"
    if voice == "natural":
        from routines.store import Store

        store = Store.open(data)
        store.update_settings({"voice_engine": "natural"})
        store.close()
    sock_path = root / "notify.sock"
    sock_path.unlink(missing_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(0.01)
        d = Daemon(
            data,
            env={"NOTIFY_SOCKET": str(sock_path)},
            preexec_fn=quota.enter if quota is not None else None,
            silent=False,
            audio_device=tap.device,
        )
        stop = threading.Event()
        # Read as systemd reads: a socket left full would hold up the daemon's sends.
        drain = threading.Thread(target=_drain, args=(sock, stop), daemon=True)
        try:
            live = wait_for_live(sock, d)
            drain.start()
            time.sleep(PRESS_AFTER)
            ear = Ear()
            presses = press_through(d, tap, ear, window)
            d.wait_for_web()
            answered = _checkin_answered(d)
        finally:
            d.stop()
            stop.set()
            if drain.is_alive():
                drain.join()
    heard_waits = waits(presses, ear.hear(tap.reads(ear.reads)))
    return Trial(voice, presses, heard_waits, live, answered, ear.sounds)


def _drain(sock: socket.socket, stop: threading.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            sock.recv(4096)


def press_through(d: Daemon, tap: SoundTap, ear: Ear, window: float) -> list[float]:
    """Press at once, then whenever ``press_due`` says, for ``window`` seconds; then wait
    for words after the last press. The press times (``time.monotonic()``, the tap's)."""
    presses: list[float] = []

    def press() -> None:
        assert d.proc.stdin is not None
        presses.append(time.monotonic())
        d.proc.stdin.write(b"\n")
        d.proc.stdin.flush()

    press()
    ends = presses[0] + window
    while (now := time.monotonic()) < ends:
        if press_due(now, presses[-1], ear.hear(tap.reads(ear.reads))):
            press()
        time.sleep(LOOK_EVERY)
    deadline = time.monotonic() + LAST_ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        sounds = ear.hear(tap.reads(ear.reads))
        if any(s.words and s.start > presses[-1] for s in sounds):
            break
        time.sleep(0.05)
    return presses


def _checkin_answered(d: Daemon) -> bool:
    """Whether the first check-in was answered: the workout is under way past it."""
    status = d.status()
    return status.get("question") is None and status["state"] != "idle"


def line_renders(quota: PiZeroQuota | None, count: int = RENDERED_LINES) -> list[float]:
    """Seconds each of ``count`` lines of the shipped routine takes the daemon's renderer,
    in a process of its own in ``quota`` (its engine's first start not counted)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.impatient", str(count)],
        capture_output=True,
        text=True,
        timeout=1800,
        preexec_fn=quota.enter if quota is not None else None,
    )
    if done.returncode != 0:
        raise RuntimeError(f"timing line renders failed: {done.stderr[-2000:]}")
    values: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return values


def _time_renders(count: int) -> list[float]:
    from device.engine.preview import planned_lines
    from device.voice.render_process import ProcessRenderer
    from device.voice.speaker import cached_renderer
    from device.voice.tts import VoiceSettings
    from routines.store import Store

    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        store = Store.open(Path(tmp) / "data")
        try:
            routine = store.list_routines()[0].routine
        finally:
            store.close()
        lines = planned_lines(routine)
        picked = [lines[i * len(lines) // count] for i in range(count)]
        renderer = cached_renderer(ProcessRenderer(timeout=60.0, start_timeout=120.0))
        settings = VoiceSettings()
        target = Path(tmp) / "line.wav"
        renderer.render("Ready.", settings, target)  # starts the engine's process
        times = []
        for text in picked:
            began = time.perf_counter()
            renderer.render(text, settings, target)
            times.append(time.perf_counter() - began)
        close = getattr(renderer, "close", None)
        if close is not None:
            close()
        return times


def figures(trial: Trial, renders: list[float], where: str, window: float) -> list[Figure]:
    """The waits of one trial against the median line render."""
    words = [w.words for w in trial.waits if w.words is not None]
    quiet = [w.silence for w in trial.waits if w.silence is not None]
    unanswered = len(trial.waits) - len(words)
    longest = max(quiet, default=float("inf"))
    worst = next(i for i, w in enumerate(trial.waits) if w.silence == longest) if quiet else 0
    # The presses made once the first answer was heard: the start-up behind them.
    first_words = trial.presses[0] + (trial.waits[0].words or 0.0)
    later = max(
        (
            w.silence
            for press, w in zip(trial.presses, trial.waits, strict=True)
            if press > first_words and w.silence is not None
        ),
        default=0.0,
    )
    render = statistics.median(renders)
    render_95 = p50_p95(renders)[1]
    p50, p95 = p50_p95(words) if words else (None, None)
    slow = ", ".join(
        f"#{i + 1} at {press - trial.presses[0]:.1f} s: {w.words:.2f} s"
        for i, (press, w) in enumerate(zip(trial.presses, trial.waits, strict=True))
        if w.words is not None and w.words > SLOW
    )
    label = f"2. {where}Impatient trainee, {window:g} s after a fresh start, {trial.voice} voice"
    load = f"load average {os.getloadavg()[0]:.1f}"
    return [
        Figure(
            f"{label}: press -> its answer's words ({len(trial.presses)} presses)",
            p50,
            p95,
            "s",
            note=f"waited more than {SLOW:g} s: {slow or 'none'}; {unanswered} heard "
            f"nothing; mid-workout the words come "
            f"after the 0.4 s double-press window (a tick answers at once); the first press "
            f"{PRESS_AFTER * 1000:.0f} ms after button-live ({trial.live:.2f} s after the "
            f"start); check-in {'answered' if trial.answered_checkin else 'NOT answered'}; "
            f"{load}",
        ),
        Figure(
            f"{label}: longest silence after a press",
            longest,
            None,
            "s",
            target="<= one line's render (median)",
            passed=unanswered == 0 and longest <= render,
            baseline=f"one line's render: median {render:.2f} s, p95 {render_95:.2f} s "
            f"({len(renders)} lines of the shipped routine)",
            note=f"press {worst + 1} of {len(trial.presses)}, "
            f"{trial.presses[worst] - trial.presses[0]:.1f} s after the first; once the "
            f"first answer had been heard (the daemon's and the speech engine's start-up "
            f"behind): {later:.2f} s; {load}",
        ),
    ]


def run(quick: bool = False, quota: PiZeroQuota | None = None) -> list[Figure]:
    """Both voices (the natural one where it is installed), then the baseline render."""
    from device.voice.natural import natural_installed

    window = QUICK_WINDOW if quick else WINDOW
    where = emulation(quota) if quota is not None else ""
    voices = ["classic", *(["natural"] if natural_installed() else [])]
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        trials = []
        for voice in voices:
            # A tap each: what one start played must not count for the next.
            with SoundTap() as tap:
                trials.append(fresh_start(Path(tmp), tap, voice, window, quota))
    renders = line_renders(quota)
    return [f for trial in trials for f in figures(trial, renders, where, window)]


if __name__ == "__main__":
    print(json.dumps(_time_renders(int(sys.argv[1]))))
