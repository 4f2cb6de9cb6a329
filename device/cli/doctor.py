"""``spotter doctor``: one screen that says what works and what to do about the rest.

Each check tries the real thing (opens the pin, plays a line, reads the store)
and reports OK, a warning or a failure with the step that fixes it. Nothing is
changed: the store is opened read-only and the test file is removed again.
"""

from __future__ import annotations

import ctypes.util
import errno
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from device.hardware.gpio import NoGpioError, make_pin_factory
from device.service.config import Config
from device.service.network import page_url
from device.service.notify import VOICE_PROBLEM
from routines.store import DB_NAME

# BCM number -> physical pin on the 40-pin header, so a message can say where to look.
HEADER_PIN = {
    2: 3, 3: 5, 4: 7, 14: 8, 15: 10, 17: 11, 18: 12, 27: 13, 22: 15, 23: 16, 24: 18, 10: 19,
    9: 21, 25: 22, 11: 23, 8: 24, 7: 26, 0: 27, 1: 28, 5: 29, 6: 31, 12: 32, 13: 33, 19: 35,
    16: 36, 26: 37, 20: 38, 21: 40,
}  # fmt: skip
TEST_LINE = "Spotter here. If you can hear this, the speaker works."
LOW_SPACE = 50 * 1024 * 1024
GPIO_FIX = (
    "on a Pi: sudo apt install python3-lgpio, and leave gpio.pin_factory at auto or lgpio; "
    "on a computer without GPIO: spotter run --simulate"
)
AUDIO_FIX = (
    "choose another output with audio.device in the config file ('aplay -L' lists them), "
    "see docs/raspberry-pi.md"
)

Run = Callable[..., "subprocess.CompletedProcess[str]"]


class Level(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report: what was checked, how it went, and what to do if not OK."""

    name: str
    level: Level
    detail: str
    fix: str = ""


def gpio_name(pin: int) -> str:
    """``GPIO17 (pin 11)``: the BCM name and where it is on the header."""
    header = HEADER_PIN.get(pin)
    return f"GPIO{pin} (pin {header})" if header else f"GPIO{pin}"


def run_doctor(
    config: Config,
    *,
    data_dir: Path | None = None,
    pin_factory: Any = None,
    play: bool = True,
    run: Run = subprocess.run,
) -> list[CheckResult]:
    """Check everything Spotter needs; ``pin_factory`` replaces the configured one (tests)."""
    if data_dir is None:
        data_dir = config.data_dir
    results = [check_version(), check_config(config)]
    if (news := check_config_news(config.file)) is not None:
        results.append(news)
    gpio = check_gpio(config, pin_factory)
    results.append(gpio[0])
    if gpio[1] is not None:
        results.append(check_button(gpio[1], config.button_pin))
        if config.led_pin is not None:
            results.append(check_led(gpio[1], config.led_pin))
    results.append(check_espeak(run))
    results.append(check_audio_devices(config.audio_device, run))
    results.append(check_sound_output())
    if play:
        results.append(check_speaker(config.audio_device, run))
    results.append(check_data_dir(data_dir))
    results.append(check_store(data_dir))
    results.append(check_natural_voice(chosen_voice_engine(data_dir) == "natural"))
    if (voice := check_service_voice(run)) is not None:
        results.append(voice)
    results.extend(check_web(config))
    return results


def print_report(results: Sequence[CheckResult], out: TextIO = sys.stdout) -> int:
    """Print one line per check (and its fix); the exit status: 1 if anything failed."""
    width = max((len(r.name) for r in results), default=0)
    for r in results:
        print(f"{r.level:<4}  {r.name:<{width}}  {r.detail}", file=out)
        if r.fix:
            print(f"{'':<4}  {'':<{width}}  -> {r.fix}", file=out)
    failed = sum(r.level == Level.FAIL for r in results)
    warned = sum(r.level == Level.WARN for r in results)
    if failed or warned:
        print(f"\n{failed} failed, {warned} to look at.", file=out)
    else:
        print("\nEverything Spotter needs is in place.", file=out)
    return 1 if failed else 0


# -- the checks ---------------------------------------------------------------------------------


def check_version() -> CheckResult:
    """Which Spotter this is, so a report names the release it came from."""
    from device import __version__

    return CheckResult("version", Level.OK, f"spotter {__version__}")


def check_config_news(file: Path | None, example: Path | None = None) -> CheckResult | None:
    """Keys the installed version's example documents that the owner's file never mentions."""
    from device.service.config_news import EXAMPLE, new_keys

    example = EXAMPLE if example is None else example
    if file is None or not example.is_file():
        return None
    try:
        found = new_keys(file.read_text(encoding="utf-8"), example.read_text(encoding="utf-8"))
    except OSError:
        return None
    if not found:
        return None
    return CheckResult(
        "new settings",
        Level.WARN,
        f"this version has settings {file} does not mention: {', '.join(found)}",
        f"see what they do in {example}; copy the ones you want into {file}",
    )


def check_config(config: Config) -> CheckResult:
    """Which config file was read (a bad one stops before the doctor runs)."""
    if config.file is None:
        return CheckResult("config", Level.OK, "no config file: the defaults apply")
    return CheckResult("config", Level.OK, f"{config.file} is valid")


def check_gpio(config: Config, pin_factory: Any = None) -> tuple[CheckResult, Any]:
    """A pin factory that loads; returns it for the pin checks."""
    if pin_factory is None:
        try:
            pin_factory = make_pin_factory(config.pin_factory)
        except NoGpioError as err:
            return CheckResult("GPIO", Level.FAIL, str(err), GPIO_FIX), None
    name = type(pin_factory).__name__.removesuffix("Factory")
    return CheckResult("GPIO", Level.OK, f"pins driven by {name}"), pin_factory


def check_button(pin_factory: Any, pin: int) -> CheckResult:
    """The button's pin opens with its pull-up and reads released."""
    from gpiozero import Button

    where = gpio_name(pin)
    try:
        button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
    except Exception as err:
        if _busy(err):
            return CheckResult(
                "button",
                Level.WARN,
                f"{where} is in use, most likely by the running service",
                "to test the pin itself: sudo systemctl stop spotter, run the doctor, start it",
            )
        return CheckResult("button", Level.FAIL, f"{where} cannot be used: {err}", _pin_fix())
    try:
        pressed = button.is_pressed
    finally:
        button.close()
    if pressed:
        return CheckResult(
            "button",
            Level.WARN,
            f"{where} reads pressed while nobody touches the button",
            "the button goes between this pin and a GND pin (pin 9) and must be normally open; "
            "set button.pin if it is wired to another pin",
        )
    return CheckResult("button", Level.OK, f"{where} is free and reads released")


def check_led(pin_factory: Any, pin: int) -> CheckResult:
    """The status LED's pin can be driven."""
    from gpiozero import LED

    where = gpio_name(pin)
    try:
        LED(pin, pin_factory=pin_factory).close()
    except Exception as err:
        level = Level.WARN if _busy(err) else Level.FAIL
        detail = f"{where} is in use" if _busy(err) else f"{where} cannot be used: {err}"
        return CheckResult("LED", level, detail, _pin_fix())
    return CheckResult("LED", Level.OK, f"{where} can be driven")


def _busy(err: Exception) -> bool:
    return "in use" in str(err).lower() or "busy" in str(err).lower()


def _pin_fix() -> str:
    return "choose a GPIO number from 0 to 27 that nothing else uses (button.pin, led.pin)"


def check_espeak(run: Run = subprocess.run) -> CheckResult:
    """espeak-ng's program and library, and how many voices it has."""
    fix = "sudo apt install espeak-ng"
    if shutil.which("espeak-ng") is None:
        return CheckResult("espeak-ng", Level.FAIL, "espeak-ng is not installed", fix)
    if ctypes.util.find_library("espeak-ng") is None:
        return CheckResult(
            "espeak-ng",
            Level.FAIL,
            "the espeak-ng library is missing",
            "sudo apt install libespeak-ng1",
        )
    try:
        version = run(["espeak-ng", "--version"], capture_output=True, text=True, timeout=20)
        voices = run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        return CheckResult("espeak-ng", Level.FAIL, f"espeak-ng does not run: {err}", fix)
    words = version.stdout.split()
    number = next((w for w in words if w[:1].isdigit()), "?")
    count = max(0, len(voices.stdout.splitlines()) - 1)  # the first line is a header
    if count == 0:
        return CheckResult("espeak-ng", Level.FAIL, f"espeak-ng {number} has no voices", fix)
    return CheckResult("espeak-ng", Level.OK, f"espeak-ng {number} with {count} voices")


def check_audio_devices(device: str, run: Run = subprocess.run) -> CheckResult:
    """The sound cards ALSA knows, and whether the configured device is among its names."""
    if shutil.which("aplay") is None:
        return CheckResult(
            "audio", Level.FAIL, "aplay is not installed", "sudo apt install alsa-utils"
        )
    cards = run(["aplay", "-l"], capture_output=True, text=True, timeout=20)
    names = run(["aplay", "-L"], capture_output=True, text=True, timeout=20)
    found = [line for line in cards.stdout.splitlines() if line.startswith("card ")]
    pcms = [line.strip() for line in names.stdout.splitlines() if line and not line[0].isspace()]
    listed = "; ".join(_card_name(line) for line in found)
    if not found and device not in pcms:
        return CheckResult(
            "audio",
            Level.FAIL,
            "no sound card found",
            "plug in the speaker (3.5 mm jack, HDMI or USB) or pair a Bluetooth one, "
            "see docs/raspberry-pi.md",
        )
    known = device in pcms or device.split(":")[0] in ("hw", "plughw", "sysdefault", "bluealsa")
    if not known:
        return CheckResult(
            "audio", Level.WARN, f"'{device}' is not one of ALSA's devices ({listed})", AUDIO_FIX
        )
    return CheckResult("audio", Level.OK, f"output '{device}'; cards: {listed or 'none'}")


def check_sound_output() -> CheckResult:
    """The alsaaudio module, through which Spotter keeps the sound device open."""
    from device.voice.alsa_module import load_alsaaudio

    module, why = load_alsaaudio()
    if module is not None:
        return CheckResult("sound output", Level.OK, f"{why}: the device stays open")
    later = "each line is played by starting aplay, a few milliseconds later (tens on a Pi Zero)"
    if "not installed" in why:
        return CheckResult(
            "sound output", Level.WARN, f"{why}: {later}", "sudo apt install python3-alsaaudio"
        )
    # Debian bookworm's own module: nothing to install, the lines still play.
    return CheckResult("sound output", Level.OK, f"{why}: {later}")


def _card_name(line: str) -> str:
    # "card 0: Headphones [bcm2835 Headphones], device 0: ..." -> "card 0: Headphones"
    return line.split(" [", 1)[0].split(",", 1)[0]


def check_speaker(device: str, run: Run = subprocess.run) -> CheckResult:
    """Render a test line with espeak-ng and play it on ``device``."""
    with tempfile.TemporaryDirectory(prefix="spotter-doctor-") as tmp:
        wav = Path(tmp) / "test.wav"
        try:
            made = run(
                ["espeak-ng", "-w", str(wav), TEST_LINE], capture_output=True, text=True, timeout=30
            )
            if made.returncode != 0:
                return CheckResult("speaker", Level.FAIL, f"espeak-ng failed: {_last(made)}")
            played = run(
                ["aplay", "-q", "-D", device, str(wav)], capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            return CheckResult(
                "speaker", Level.FAIL, f"the test line did not play: {err}", AUDIO_FIX
            )
    if played.returncode != 0:
        problem = _last(played)
        if "busy" in problem.lower():
            return CheckResult(
                "speaker",
                Level.WARN,
                f"'{device}' is busy, most likely playing for the running service",
                "to test it: sudo systemctl stop spotter, run the doctor, start it again",
            )
        return CheckResult("speaker", Level.FAIL, f"'{device}' did not play: {problem}", AUDIO_FIX)
    return CheckResult("speaker", Level.OK, f"played a test line on '{device}': did you hear it?")


def _last(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


def check_data_dir(data_dir: Path) -> CheckResult:
    """The data directory can be written to (a test file is made, synced and removed)."""
    fix = (
        "run the doctor as the service's user: sudo -u spotter spotter doctor; "
        f"or give the directory to it: sudo chown -R spotter: {data_dir}"
    )
    target = data_dir
    while not target.exists() and target != target.parent:
        target = target.parent
    if target != data_dir and target.is_dir():
        # The service's start makes it (systemd's StateDirectory), whoever runs the doctor.
        return CheckResult("data", Level.OK, f"{data_dir} is made at the first start")
    try:
        fd, name = tempfile.mkstemp(prefix=".doctor-", dir=target)
        try:
            os.write(fd, b"spotter")
            os.fsync(fd)
        finally:
            os.close(fd)
            Path(name).unlink()
    except OSError as err:
        return CheckResult("data", Level.FAIL, f"{target} is not writable ({err.strerror})", fix)
    free = shutil.disk_usage(data_dir).free
    if free < LOW_SPACE:
        return CheckResult(
            "data",
            Level.WARN,
            f"{data_dir} is writable but only {free // (1024 * 1024)} MB are free",
            "make room on the SD card (sudo apt clean, remove old files)",
        )
    return CheckResult("data", Level.OK, f"{data_dir} is writable")


def check_service_voice(run: Run = subprocess.run) -> CheckResult | None:
    """What the running service says of its voice (its STATUS line); None if not running."""
    if shutil.which("systemctl") is None:
        return None
    try:
        result = run(
            ["systemctl", "show", "spotter", "--property=ActiveState,StatusText"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    fields = dict(line.partition("=")[::2] for line in result.stdout.splitlines())
    if fields.get("ActiveState") != "active":
        return None
    status = fields.get("StatusText", "")
    if VOICE_PROBLEM not in status:
        return CheckResult("voice", Level.OK, "the running service makes speech")
    problem = status.split(VOICE_PROBLEM, 1)[1]
    if "disk is full" in problem:
        fix = "make room on the SD card (df -h /var/lib/spotter); speech carries on by itself"
    else:
        fix = "see why: journalctl -u spotter -e; then sudo systemctl restart spotter"
    return CheckResult("voice", Level.FAIL, f"the running service's voice is {problem}", fix)


def check_store(data_dir: Path) -> CheckResult:
    """SQLite's own integrity check on the store, opened read-only."""
    path = data_dir / DB_NAME
    if not path.exists():
        return CheckResult("store", Level.OK, "no store yet: the first start makes one")
    fix = (
        "restart Spotter (sudo systemctl restart spotter): it sets the damaged file aside and "
        f"restores its backup; to rescue more by hand: sqlite3 {path} .recover | sqlite3 new.db"
    )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            routines = conn.execute("SELECT count(*) FROM routines").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as err:
        if "unable to open" in str(err) or "readonly" in str(err):
            return CheckResult(
                "store",
                Level.FAIL,
                f"{path} cannot be read by this user ({err})",
                "run the doctor as the service's user: sudo -u spotter spotter doctor",
            )
        return CheckResult("store", Level.FAIL, f"{path} is damaged: {err}", fix)
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if problems:
        return CheckResult("store", Level.FAIL, f"{path} is damaged: {problems[0]}", fix)
    count = f"{routines} routine{'' if routines == 1 else 's'}"
    return CheckResult("store", Level.OK, f"{path} passes SQLite's integrity check, {count}")


def check_web(config: Config) -> list[CheckResult]:
    """The web port can be listened on (or Spotter already serves it), and the page's address."""
    if not config.web_enabled:
        return [CheckResult("web", Level.OK, "the web page is turned off (web.enabled = false)")]
    host, port = config.web_host, config.web_port
    port_fix = "choose another web.port in the config file"
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        result = CheckResult("web", Level.OK, f"port {port} on {host} is free")
    except OSError as err:
        if err.errno == errno.EADDRINUSE and _serves_spotter(port):
            result = CheckResult("web", Level.OK, f"Spotter's page is being served on port {port}")
        elif err.errno == errno.EADDRINUSE:
            result = CheckResult(
                "web", Level.FAIL, f"port {port} is taken by another program", port_fix
            )
        elif err.errno == errno.EACCES:
            result = CheckResult(
                "web", Level.FAIL, f"port {port} needs privileges Spotter does not have", port_fix
            )
        else:
            result = CheckResult(
                "web",
                Level.FAIL,
                f"cannot listen on {host}:{port}: {err.strerror}",
                "set web.host to 0.0.0.0, or to one of this machine's addresses",
            )
    url = page_url(host, port)
    if url is None:
        address = CheckResult(
            "address",
            Level.WARN,
            "no phone can reach the page: no network address",
            "connect the Pi to the Wi-Fi (sudo nmtui) or a cable; web.host must not be 127.0.0.1",
        )
    else:
        address = CheckResult("address", Level.OK, f"phones open {url}")
    return [result, address]


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serves_spotter(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("HEAD", "/")
        return connection.getresponse().getheader("Server", "") == "Spotter"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def chosen_voice_engine(data_dir: Path) -> str:
    """The voice engine chosen in Settings ("classic" when none is stored or unreadable)."""
    path = data_dir / DB_NAME
    if not path.exists():
        return "classic"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = 'voice_engine'").fetchone()
        finally:
            conn.close()
        engine = json.loads(row[0]) if row else "classic"
    except (sqlite3.DatabaseError, ValueError):
        return "classic"  # the store check reports what is wrong with it
    return engine if isinstance(engine, str) else "classic"


def check_natural_voice(chosen: bool) -> CheckResult:
    """The optional natural voice: installed, and a test line rendered by its worker."""
    from device.voice.natural import NaturalRenderer, natural_installed, natural_version
    from device.voice.tts import RenderError, VoiceSettings

    name = "natural voice"
    fix = "sudo systemd/install.sh --natural-voice"
    if not natural_installed():
        if chosen:
            detail = "chosen in Settings but not installed: the classic voice speaks"
            return CheckResult(name, Level.WARN, detail, fix)
        return CheckResult(name, Level.OK, "not installed (optional): the classic voice speaks")
    renderer = NaturalRenderer(start_timeout=120)
    with tempfile.TemporaryDirectory(prefix="spotter-doctor-") as tmp:
        started = time.monotonic()
        try:
            renderer.render(TEST_LINE, VoiceSettings(), Path(tmp) / "natural.wav")
        except RenderError as err:
            level = Level.FAIL if chosen else Level.WARN
            return CheckResult(name, level, f"installed but cannot render: {err}", fix)
        finally:
            renderer.close()
    took = time.monotonic() - started
    peak = renderer.stats.peak_rss_kb / 1024
    use = "chosen in Settings" if chosen else "choose Voice: Natural in Settings to use it"
    return CheckResult(
        name,
        Level.OK,
        f"{natural_version()} rendered a test line in {took:.1f} s from a cold start "
        f"(worker peak {peak:.0f} MB); {use}",
    )
