"""``python -m bench [--quick] [--only NAME ...]``: run the benchmarks, print one table.

Exit status 0 when every target was met, 1 when one was missed, 2 when a
benchmark could not run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench import cold_line, idle_cpu, memory, press_latency, startup, web_load
from bench.report import Figure, table

BENCHMARKS: dict[str, Callable[[bool], list[Figure]]] = {
    "press": press_latency.run,
    "cold": cold_line.run,
    "idle": idle_cpu.run,
    "memory": memory.run,
    "web": web_load.run,
    "startup": startup.run,
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
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    print(f"Before: {machine()}", file=sys.stderr, flush=True)
    began = time.monotonic()
    figures: list[Figure] = []
    failed: list[str] = []
    for name in names:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            figures += BENCHMARKS[name](args.quick)
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


if __name__ == "__main__":
    sys.exit(main())
