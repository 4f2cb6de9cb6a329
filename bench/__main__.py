"""``python -m bench [--quick] [--only NAME ...] [--pi-zero] [--attack] [--coaching]``: run the
benchmarks, print one table.

``--coaching`` runs the knee routine through in real time instead (``bench.coaching``):
pain answers, talk, countdowns and double-presses as a scripted trainee hears them.

``--attack`` runs the reliability figures instead (``bench.attack``): a daemon under bad
input, idle connections and PIN guessing; ``bench.long_history``: a million workouts read
every way while the button is pressed; ``bench.slow_readers``: clients that never read
their answers; then ``bench.faults``: damaged, deleted and
full stores, a hung or killed speech engine, and stops while clients poll; then
``bench.profile_flood``: the physical button while a stranger floods profile creation.

``--pi-zero`` runs the start-up, press and page figures on an emulated Raspberry Pi
Zero 2 W instead (``bench.pi_zero``: a CPU quota calibrated against this
machine, whose factor is printed with every figure), twice: the whole process
tree held to one Pi core, then each process on a Pi core of its own.

Exit status 0 when every target was met, 1 when one was missed, 2 when a
benchmark could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import (
    attack,
    clicker_latency,
    coaching,
    cold_line,
    faults,
    first_workout,
    idle_cpu,
    impatient,
    levelling_speed,
    long_history,
    loudness,
    memory,
    pi_load,
    press_latency,
    profile_flood,
    slow_readers,
    start_phases,
    startup,
    web_load,
)
from bench.pi_zero import PERIOD_US, OwnCoreQuota, PiZeroQuota, QuotaUnavailable
from bench.report import Figure, table

BENCHMARKS: dict[str, Callable[[bool], list[Figure]]] = {
    "press": press_latency.run,
    "clicker": clicker_latency.run,
    "cold": cold_line.run,
    "idle": idle_cpu.run,
    "memory": memory.run,
    "web": web_load.run,
    "startup": startup.run,
    "loudness": loudness.run,
    "levelling": levelling_speed.run,
    "impatient": impatient.run,
    "first-workout": first_workout.run,
}
# Not part of the default run: it measures reliability rather than speed.
EXTRA: dict[str, Callable[[bool], list[Figure]]] = {
    "attack": attack.run,
    "history": long_history.run,
    "slow-readers": slow_readers.run,
    "faults": faults.run,
    "profiles": profile_flood.run,
    "coaching": coaching.run,
}


def machine() -> str:
    """What the figures were measured on, and how busy it was."""
    model = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} x {model}; Python {platform.python_version()}; load average {load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions and shorter windows"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--pi-zero",
        action="store_true",
        help="start-up and press figures on an emulated Raspberry Pi Zero 2 W",
    )
    parser.add_argument(
        "--attack",
        action="store_true",
        help="the reliability figures: a daemon under bad input, idle connections, PIN guessing",
    )
    parser.add_argument(
        "--coaching",
        action="store_true",
        help="the knee routine in real time: pain answers, talk, countdowns, double-presses",
    )
    args = parser.parse_args(argv)
    if args.pi_zero:
        return pi_zero_main(args.quick, args.only)
    names = args.only or list(BENCHMARKS)
    if args.attack:
        names = ["attack", "history", "slow-readers", "faults", "profiles"]
    if args.coaching:
        names = ["coaching"]
    print(f"Before: {machine()}", file=sys.stderr, flush=True)
    began = time.monotonic()
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            figures += {**BENCHMARKS, **EXTRA}[name](args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
    print(table(figures))
    print()
    print(f"Measured on {machine()}; {time.monotonic() - began:.0f} s in all.")
    if failed:
        print(f"Could not run: {', '.join(failed)}")
        return 2
    return 1 if any(f.passed is False for f in figures) else 0


def pi_zero_main(quick: bool, only: list[str] | None = None) -> int:
    """The emulated Pi's figures, both ways, with the calibration factor; 2 where no cgroup
    can be made."""
    print(f"Before: {machine()}", file=sys.stderr, flush=True)
    try:
        quota = PiZeroQuota()
    except QuotaUnavailable as err:
        print(f"Skipped: cannot emulate a Pi Zero 2 W here: {err}")
        return 2
    began = time.monotonic()
    figures: list[Figure] = []
    failed = False
    with quota:
        print("calibrating the CPU quota ...", file=sys.stderr, flush=True)
        factor = quota.calibrate()
        calibration = (
            f"Emulated Pi Zero 2 W: a CPU quota of {quota.quota_us} us per {PERIOD_US} us "
            f"per Pi core; the calibration workload ran {factor:.1f}x slower there than "
            f"outside it (target {quota.slowdown:g}x). First the whole process tree on one "
            f"Pi core, then each process on a core of its own."
        )
        print(calibration, file=sys.stderr, flush=True)
        print("running start steps (CPU time) ...", file=sys.stderr, flush=True)
        load = f"load average {os.getloadavg()[0]:.1f}"
        figures += [
            dataclasses.replace(f, note=f"{f.note}; {load}".lstrip("; "))
            for f in (start_phases.run(quick, factor) if not only or "startup" in only else [])
        ]
        with OwnCoreQuota(quota.quota_us, factor) as own:
            for emulated in (quota, own):
                for name, bench in (
                    ("startup", startup.run_starts),
                    ("press", press_latency.emulated),
                    ("pages", pi_load.run),
                    ("impatient", impatient.run),
                    ("first-workout", first_workout.run_emulated),
                ):
                    if only and name not in only:
                        continue
                    print(f"running {name}, {emulated.describe()} ...", file=sys.stderr)
                    try:
                        measured = bench(quick, emulated)
                        # The machine is shared: each figure says how busy it was.
                        load = f"load average {os.getloadavg()[0]:.1f}"
                        figures += [
                            dataclasses.replace(f, note=f"{f.note}; {load}".lstrip("; "))
                            for f in measured
                        ]
                    except Exception:
                        traceback.print_exc()
                        failed = True
    print(table(figures))
    print()
    print(calibration)
    print(f"Measured on {machine()}; {time.monotonic() - began:.0f} s in all.")
    if failed:
        return 2
    return 1 if any(f.passed is False for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
