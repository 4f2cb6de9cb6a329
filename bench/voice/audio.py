"""WAV in and out, resampling and mixing at a signal-to-noise ratio, with numpy only."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
RATE = 16000  # what the recogniser listens at
_SILENCE_DB = -50.0


def read_wav(path: Path, rate: int = RATE) -> Samples:
    """A mono 16-bit WAV as floats in [-1, 1], resampled to ``rate``."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit WAV files are read here")
        channels = wav.getnchannels()
        source_rate = wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    samples = data.reshape(-1, channels).mean(axis=1).astype(np.float32) / 32768.0
    return resample(samples, source_rate, rate)


def write_wav(path: Path, samples: Samples, rate: int = RATE) -> None:
    """Write floats in [-1, 1] as a mono 16-bit WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())


def resample(samples: Samples, source_rate: int, rate: int) -> Samples:
    """Band-limited resampling of a whole signal through its spectrum."""
    if source_rate == rate or samples.size == 0:
        return samples.astype(np.float32)
    count = round(samples.size * rate / source_rate)
    spectrum = np.fft.rfft(samples)
    kept = np.zeros(count // 2 + 1, dtype=np.complex128)
    n = min(kept.size, spectrum.size)
    kept[:n] = spectrum[:n]
    return (np.fft.irfft(kept, n=count) * (count / samples.size)).astype(np.float32)


def trimmed(samples: Samples) -> Samples:
    """Without the near-silence before and after the speech (50 dB under its peak)."""
    if samples.size == 0:
        return samples
    floor = float(np.abs(samples).max()) * 10 ** (_SILENCE_DB / 20)
    loud = np.flatnonzero(np.abs(samples) > floor)
    return samples[loud[0] : loud[-1] + 1] if loud.size else samples[:0]


def rms(samples: Samples) -> float:
    """Root mean square level."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def mix(
    speech: Samples, noise: Samples, snr_db: float, offset: int, *, pad: float = 0.3
) -> Samples:
    """``speech`` (its silence trimmed) over ``noise`` starting at ``offset``, the noise
    scaled so that speech power over noise power is ``snr_db``; noise alone for ``pad``
    seconds before and after, as a listener hears a line start in a noisy room."""
    voice = trimmed(speech)
    margin = round(pad * RATE)
    length = voice.size + 2 * margin
    start = offset % max(1, noise.size - length)
    bed = noise[start : start + length].astype(np.float64)
    gain = rms(voice) / (rms(bed.astype(np.float32)) * 10 ** (snr_db / 20))
    out = bed * gain
    out[margin : margin + voice.size] += voice
    peak = float(np.abs(out).max())
    if peak > 0.99:
        out *= 0.99 / peak
    return out.astype(np.float32)
