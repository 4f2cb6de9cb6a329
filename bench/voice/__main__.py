"""``python -m bench.voice [--quick]`` (``./dev bench --voice``): how well each voice is heard.

Every line the shipped routine renders ahead is rendered by each installed
engine (classic espeak-ng, natural hibari-tts, and Piper where its bench-only
package is installed), mixed with pink noise and with babble at +10, +5 and
0 dB SNR, and transcribed by Whisper tiny.en. Printed: word error rate and
sentence accuracy per engine and condition, then render time per line,
real-time factor, the first line from a cold start and the renderer's peak
memory, here and on the emulated Pi Zero 2 W. Exit status 1 when the natural
voice's error rate at pink 0 dB or babble +5 dB is more than half the classic's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.pi_zero import PiZeroQuota, QuotaUnavailable
from bench.voice import noise
from bench.voice.audio import RATE, mix, read_wav
from bench.voice.recognise import whisper_tiny_en
from bench.voice.render import ENGINES, Result, installed
from bench.voice.scoring import score

SNRS = (10, 5, 0)
CONDITIONS = ("clean", *(f"{kind} {snr:+d} dB" for kind in ("pink", "babble") for snr in SNRS))
TARGETS = ("pink +0 dB", "babble +5 dB")
SEED = 11
# A line only known at the moment may wait this long for the natural voice.
MOMENT_BUDGET = 0.5


def shipped_lines() -> list[str]:
    """Every line of the shipped routine that Spotter renders ahead."""
    from device.engine.preview import routine_lines
    from routines.validation import load_library

    routine = next(iter(load_library()))
    return sorted(routine_lines(routine))


def render(
    engine: str, lines_file: Path, out: Path, preexec: Callable[[], None] | None = None
) -> Result:
    """Render every line with ``engine`` in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.voice.render", engine, str(lines_file), str(out)],
        check=True,
        stdout=subprocess.PIPE,
        preexec_fn=preexec,
    )
    return Result(**json.loads(done.stdout))


def heard(
    lines: Sequence[str], folder: Path, transcribe: Callable[..., str]
) -> dict[str, tuple[float, float]]:
    """Word error rate and sentence accuracy for each condition."""
    beds = {"pink": read_wav(noise.PINK), "babble": read_wav(noise.BABBLE)}
    spacing = RATE * 3  # each line hears a different stretch of the same noise
    out = {}
    speech = [read_wav(folder / f"{n:03d}.wav") for n in range(len(lines))]
    for condition in CONDITIONS:
        hypotheses = []
        for number, samples in enumerate(speech):
            if condition != "clean":
                kind, snr, _ = condition.split()
                samples = mix(samples, beds[kind], float(snr), SEED + number * spacing)
            hypotheses.append(transcribe(samples))
        out[condition] = score(lines, hypotheses)
    return out


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "-"
    p95 = statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]
    return f"{statistics.median(values) * 1000:.0f} / {p95 * 1000:.0f} ms"


def speed_rows(where: str, results: Sequence[Result]) -> list[str]:
    rows = []
    for r in results:
        rtf = sum(r.seconds) / r.timed_audio_seconds if r.timed_audio_seconds else 0.0
        rows.append(
            f"| {r.engine} | {where} | {_ms(r.seconds)} | {rtf:.3f} | {sum(r.seconds):.1f} s "
            f"| {r.first_line_seconds:.2f} s | {r.peak_rss_mb:.0f} MB ({r.peak_of}) |"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.voice", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="the emulated Pi renders only the first 12 lines"
    )
    parser.add_argument("--no-pi", action="store_true", help="skip the emulated Pi")
    parser.add_argument(
        "--speed-only", action="store_true", help="render and time only; transcribe nothing"
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load}", file=sys.stderr, flush=True)
    if not noise.PINK.exists() or not noise.BABBLE.exists():
        print("the noise files are missing: python -m bench.voice.noise", file=sys.stderr)
        return 2
    engines = [engine for engine in ENGINES if installed(engine)]
    lines = shipped_lines()
    transcribe, listener = (None, "") if args.speed_only else whisper_tiny_en()
    here: list[Result] = []
    pi: list[Result] = []
    pi_note = ""
    wer: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="spotter-voice-bench-") as tmp:
        lines_file = Path(tmp) / "lines.json"
        lines_file.write_text(json.dumps(lines), encoding="utf-8")
        pi_lines = Path(tmp) / "pi-lines.json"
        pi_lines.write_text(json.dumps(lines[:12] if args.quick else lines), encoding="utf-8")
        for engine in engines:
            print(f"rendering {len(lines)} lines: {engine}", file=sys.stderr, flush=True)
            here.append(render(engine, lines_file, Path(tmp) / engine))
            if transcribe is not None:
                print(f"transcribing: {engine}", file=sys.stderr, flush=True)
                wer[engine] = heard(lines, Path(tmp) / engine, transcribe)
        if not args.no_pi:
            try:
                with PiZeroQuota() as quota:
                    factor = quota.calibrate()
                    pi_note = (
                        f"emulated Pi Zero 2 W: a CPU quota calibrated to {factor:.1f}x slower "
                        "than one core here"
                    )
                    for engine in engines:
                        print(f"rendering on the emulated Pi: {engine}", file=sys.stderr)
                        out = Path(tmp) / f"pi-{engine}"
                        pi.append(render(engine, pi_lines, out, quota.enter))
            except QuotaUnavailable as err:
                pi_note = f"emulated Pi skipped: {err}"

    print(f"{len(lines)} lines of the shipped routine.\n")
    if wer:
        print(f"Word error rate (sentence accuracy), lower error is better; {listener}:\n")
        print("| engine | " + " | ".join(CONDITIONS) + " |")
        print("|---|" + "---|" * len(CONDITIONS))
        for r in here:
            cells = [f"{wer[r.engine][c][0]:.2f} ({wer[r.engine][c][1]:.0%})" for c in CONDITIONS]
            print(f"| {r.engine}: {r.version} | " + " | ".join(cells) + " |")
    print("\nRendering (per line median / p95; real-time factor = render time / audio time):\n")
    print("| engine | where | per line | RTF | all lines | first line, cold | peak memory |")
    print("|---|---|---|---|---|---|---|")
    for row in speed_rows("here", here) + speed_rows("emulated Pi", pi):
        print(row)
    print()
    if pi_note:
        print(pi_note)
    passed = True
    if "classic" in wer and "natural" in wer:
        for condition in TARGETS:
            classic, natural = wer["classic"][condition][0], wer["natural"][condition][0]
            ok = natural <= classic / 2
            passed = passed and ok
            verdict = "met" if ok else "MISSED"
            print(
                f"natural WER at {condition}: {natural:.2f} vs classic {classic:.2f} "
                f"(target <= half): {verdict}"
            )
    for r in pi:
        if r.engine == "natural":
            use = "natural" if r.first_line_seconds < MOMENT_BUDGET else "classic"
            print(
                f"a line known only at the moment, natural from a cold start on the emulated "
                f"Pi: {r.first_line_seconds:.2f} s (budget {MOMENT_BUDGET} s): spoken {use}"
            )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average after: {load}; {time.monotonic() - began:.0f} s in all")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
