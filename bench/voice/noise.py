"""``python -m bench.voice.noise``: make the bench's two noises once; they are kept in data/.

Pink noise (equal power per octave, like a fan or traffic) from seeded white
noise shaped in the spectrum. Babble (a room full of people talking) from six
espeak-ng voices, each a different accent, pitch and pace, reading texts that
have nothing to do with a workout, overlapped with staggered starts. Both are
made again only when asked: the bench must hear the same noise in every run.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bench.voice.audio import RATE, Samples, read_wav, rms, write_wav

DATA = Path(__file__).with_name("data")
PINK = DATA / "pink.wav"
BABBLE = DATA / "babble.wav"
SECONDS = 40
SEED = 13

# Our own words, about anything but exercise, so no talker says a line the bench scores.
TALKS = (
    "The bakery on the corner opens at six, and by seven the queue reaches the bus stop. "
    "Most people buy the seeded rolls, though the cinnamon buns sell out first on Fridays.",
    "We missed the ferry by two minutes, so we sat on the harbour wall and counted the "
    "gulls. The next boat was late as well, and the wind turned cold before it came.",
    "My sister grows tomatoes on her balcony in old paint tins. Every summer she swears "
    "she will stop, and every spring she buys another packet of seeds.",
    "The meeting was moved to Thursday because the projector in the big room is broken "
    "again. Someone suggested we just use the wall, but nobody could find the cable.",
    "There is a library van that visits the village every other Tuesday. It smells of "
    "dust and diesel, and the driver remembers what every child borrowed last time.",
    "The old clock in the station stopped years ago at twenty past four. The town voted "
    "to leave it that way, and now the tourists photograph it more than the trains.",
)
# Accent and variant, words per minute, pitch (0-99): six distinct talkers.
TALKERS = (
    ("en-us+m3", 160, 40),
    ("en-gb+f3", 175, 60),
    ("en-gb-scotland+m1", 150, 35),
    ("en-us+f2", 185, 70),
    ("en-029+m7", 165, 50),
    ("en-gb-x-rp+f4", 170, 55),
)


def _at_level(signal: npt.NDArray[np.float64], level: float = 0.1) -> Samples:
    scaled: Samples = (signal * (level / float(np.sqrt(np.mean(signal**2))))).astype(np.float32)
    return scaled


def pink(seconds: int = SECONDS, seed: int = SEED) -> Samples:
    """Seeded pink noise: white noise with its spectrum tilted 3 dB down per octave."""
    rng = np.random.default_rng(seed)
    count = seconds * RATE
    spectrum = np.fft.rfft(rng.standard_normal(count))
    freqs = np.fft.rfftfreq(count, 1 / RATE)
    freqs[0] = freqs[1]
    shaped = np.fft.irfft(spectrum / np.sqrt(freqs), n=count)
    return _at_level(shaped)


def _speak(voice: str, rate: int, pitch: int, text: str, folder: Path) -> Samples:
    target = folder / f"{voice.replace('/', '_')}.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(rate), "-p", str(pitch), "-w", str(target), text],
        check=True,
    )
    return read_wav(target)


def babble(seconds: int = SECONDS, seed: int = SEED) -> Samples:
    """Six talkers at equal level, each looped to fill ``seconds`` from its own start."""
    rng = np.random.default_rng(seed)
    count = seconds * RATE
    room = np.zeros(count, dtype=np.float64)
    with tempfile.TemporaryDirectory(prefix="spotter-babble-") as tmp:
        for (voice, rate, pitch), text in zip(TALKERS, TALKS, strict=True):
            talk = _speak(voice, rate, pitch, text, Path(tmp))
            talk = talk / max(rms(talk), 1e-9)
            looped = np.tile(talk, count // talk.size + 2)
            start = int(rng.integers(0, talk.size))
            room += looped[start : start + count]
    return _at_level(room)


def main() -> None:
    DATA.mkdir(exist_ok=True)
    write_wav(PINK, pink())
    write_wav(BABBLE, babble())
    print(f"wrote {PINK} and {BABBLE}")


if __name__ == "__main__":
    main()
