"""Where a start's time goes, in CPU time: the interpreter, each group of imports, the
pin, the store, the voice and the worker, on an empty and on a used data directory.

A child process walks the steps ``spotter run`` takes (``device.service.runner``) and
notes ``time.thread_time()`` after each: the CPU time of the thread a start runs on,
which barely moves with the machine's load, where wall time does (the routine's
script, worked out on a thread of its own after READY, is left out). The best of a
few starts is kept per step. Multiplied by the emulated Pi's calibration factor, it is
what each step costs on a Pi Zero 2 W.

The child runs as the package runs Spotter (``/usr/bin/spotter``): Python with its
``site`` but without this checkout's editable install, whose finder loads ``pathlib``
and its company before the first line (10 ms here that no Pi spends), the program's
directory first on the path, and the config file the package ships. Its modules are
compiled first, as the package's are when it is installed: a checkout run with
``PYTHONDONTWRITEBYTECODE`` set has no bytecode, and compiling every module at each
start more than doubles the imports' time.
"""

from __future__ import annotations

import compileall
import json
import os
import site
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.report import Figure

# Each step ends with a line "STEP name"; the child prints the CPU time after each.
STEPS = """
import site  # what the package's Python loads before its first line (-S left it out)
import time, sys
marks = [("python itself", time.thread_time())]
def mark(name):
    marks.append((name, time.thread_time()))
import device.cli.main as cli, device.service.runner
from device.service.config import Config, config_from_args
argv = ["run", "--simulate", "--silent", "--data-dir", sys.argv[1], "--config", sys.argv[2]]
config_from_args(cli.parser_for(argv).parse_args(argv))
mark("spotter's command line and config")
from device.hardware.gpio import make_pin_factory
import gpiozero
from gpiozero.pins.mock import MockFactory
mark("gpiozero")
from device.hardware.button import ButtonInput
from device.hardware.edge_relay import EdgeRelay
factory = MockFactory()
relay = EdgeRelay()
button = ButtonInput(17, relay, pin_factory=factory)
mark("the pin set up (button live)")
from device.service.build import Parts, build
from device.voice.player import NullPlayer
mark("the worker's, the engine's and the voice's imports")
from routines.store import Store
store = Store.open(__import__("pathlib").Path(sys.argv[1]))
mark("the store opened (schema checked or made)")
spotter = build(
    Config(data_dir=__import__("pathlib").Path(sys.argv[1]), button_pin=17),
    Parts(pin_factory=factory, store=store, player=NullPlayer()),
    button=(button, relay),
)
mark("the voice, the engine and the worker built")
spotter.worker.start()
spotter.worker.status()
mark("the worker started (READY)")
spotter.close()
import json  # not before: the modules it loads are the next step's to count
print(json.dumps(marks))
"""


REPO = Path(__file__).resolve().parent.parent
SHIPPED_CONFIG = REPO / "systemd" / "spotter.toml"


def packaged_python() -> tuple[list[str], dict[str, str]]:
    """The command and environment of a Python laid out as the package's: no ``.pth``
    files processed (the editable install's finder is one), the program's directory
    first on the path, then the packages it needs."""
    path = [str(REPO), *site.getsitepackages()]
    return [sys.executable, "-S"], {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def compile_program() -> None:
    """Spotter's bytecode, as the package's postinst compiles it."""
    for package in ("device", "routines"):
        compileall.compile_dir(REPO / package, quiet=2)


def phases(data_dir: Path) -> list[tuple[str, float]]:
    """One start's CPU seconds per step."""
    python, env = packaged_python()
    done = subprocess.run(
        [*python, "-c", STEPS, str(data_dir), str(SHIPPED_CONFIG)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    marks: list[tuple[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    steps = [marks[0]]
    steps += [(name, t - marks[i][1]) for i, (name, t) in enumerate(marks[1:])]
    return steps


def best_of(data_dir: Path | None, starts: int) -> list[tuple[str, float]]:
    """The least CPU each step took over ``starts`` starts (a fresh directory each time
    for None)."""
    compile_program()
    runs = []
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        for i in range(starts):
            runs.append(phases(data_dir or Path(tmp) / f"empty-{i}"))
    return [(name, min(r[i][1] for r in runs)) for i, (name, _) in enumerate(runs[0])]


def run(quick: bool, factor: float) -> list[Figure]:
    """Each step's CPU here, and times ``factor``, on an empty and on a used store."""
    starts = 3 if quick else 7
    figures: list[Figure] = []
    compile_program()
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        used = Path(tmp) / "used"
        phases(used)
        for label, where in (("empty", None), ("used", used)):
            steps = best_of(where, starts)
            total = sum(t for _, t in steps)
            for name, cpu in steps:
                figures.append(
                    Figure(
                        f"6. Start step, {label} store: {name}",
                        cpu * 1000 * factor,
                        None,
                        "ms",
                        note=f"{cpu * 1000:.1f} ms of CPU here x {factor:.1f}",
                    )
                )
            figures.append(
                Figure(
                    f"6. Start steps in all, {label} store (CPU here x {factor:.1f})",
                    total * 1000 * factor,
                    None,
                    "ms",
                )
            )
    return figures


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="spotter-bench-") as tmp:
        used = Path(tmp) / "used"
        phases(used)
        empty, again = best_of(None, 3), best_of(used, 3)
    print(f"{'empty':>8s} {'used':>8s}  (ms of CPU, the least of 3 starts)")
    for (name, cpu), (_, cpu_used) in zip(empty, again, strict=True):
        print(f"{cpu * 1000:8.1f} {cpu_used * 1000:8.1f}  {name}")
    live = [n for n, _ in empty].index("the pin set up (button live)") + 1
    for label, steps in (("empty", empty), ("used", again)):
        before_pin, total = sum(t for _, t in steps[:live]), sum(t for _, t in steps)
        print(f"{label}: button live {before_pin * 1000:.1f} ms, READY {total * 1000:.1f} ms")
