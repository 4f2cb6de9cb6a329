"""``spotter doctor`` against real parts: mock pins, espeak-ng, aplay's null device,
SQLite files on disk and real sockets. Canned command output stands in only for
hardware this machine lacks (a sound card)."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockFactory, MockPin

from device.cli.doctor import (
    CheckResult,
    Level,
    check_audio_devices,
    check_button,
    check_data_dir,
    check_espeak,
    check_gpio,
    check_led,
    check_sound_output,
    check_speaker,
    check_store,
    check_web,
    gpio_name,
    print_report,
    run_doctor,
)
from device.service.config import Config
from routines.store import Store
from tests.ports import free_port

HAS_ESPEAK = shutil.which("espeak-ng") is not None
HAS_APLAY = shutil.which("aplay") is not None
needs_espeak = pytest.mark.skipif(not HAS_ESPEAK, reason="espeak-ng is not installed")
needs_aplay = pytest.mark.skipif(not HAS_APLAY, reason="aplay (alsa-utils) is not installed")

PI_CARDS = """\
**** List of PLAYBACK Hardware Devices ****
card 0: Headphones [bcm2835 Headphones], device 0: bcm2835 Headphones [bcm2835 Headphones]
  Subdevices: 8/8
card 1: vc4hdmi [vc4-hdmi], device 0: MAI PCM i2s-hifi-0 [MAI PCM i2s-hifi-0]
  Subdevices: 1/1
"""
PI_NAMES = """\
null
    Discard all samples (playback) or generate zero samples (capture)
default
    Default Audio Device
sysdefault:CARD=Headphones
    bcm2835 Headphones, bcm2835 Headphones
plughw:CARD=Headphones,DEV=0
    bcm2835 Headphones, bcm2835 Headphones
"""


def canned(outputs: dict[str, tuple[int, str, str]]):
    """A ``run`` that answers from ``outputs`` keyed by the command's first two words."""

    def run(args, **kwargs):
        code, out, err = outputs[" ".join(args[:2])]
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.fixture
def listening() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def levels(results: list[CheckResult]) -> dict[str, Level]:
    return {r.name: r.level for r in results}


# -- the whole report ---------------------------------------------------------------------------


@needs_espeak
@needs_aplay
def test_a_healthy_setup_is_all_ok(tmp_path):
    Store.open(tmp_path).close()
    config = Config(
        pin_factory="mock", audio_device="null", web_host="127.0.0.1", web_port=free_port()
    )
    results = run_doctor(config, data_dir=tmp_path)
    assert [r.name for r in results] == [
        "version",
        "config",
        "GPIO",
        "button",
        "espeak-ng",
        "audio",
        "sound output",
        "speaker",
        "data",
        "store",
        "natural voice",
        "web",
        "address",
    ]
    assert {r.name for r in results if r.level != Level.OK} == {"address"}  # 127.0.0.1 only
    out = io.StringIO()
    assert print_report(results, out) == 0
    assert "0 failed, 1 to look at." in out.getvalue()


@pytest.mark.slow
def test_the_led_is_checked_only_when_configured(tmp_path, mock_factory):
    config = Config(led_pin=27, audio_device="null", web_enabled=False)
    results = run_doctor(config, data_dir=tmp_path, pin_factory=mock_factory, play=False)
    assert levels(results)["LED"] == Level.OK
    assert "LED" not in levels(
        run_doctor(
            Config(web_enabled=False), data_dir=tmp_path, pin_factory=mock_factory, play=False
        )
    )


def test_the_report_puts_each_fix_under_its_line_and_fails_on_a_failure():
    results = [
        CheckResult("GPIO", Level.OK, "pins driven by LGPIO"),
        CheckResult("speaker", Level.FAIL, "'hw:9' did not play", "choose another output"),
        CheckResult("address", Level.WARN, "no network address", "connect the Pi"),
    ]
    out = io.StringIO()
    assert print_report(results, out) == 1
    assert out.getvalue().splitlines() == [
        "OK    GPIO     pins driven by LGPIO",
        "FAIL  speaker  'hw:9' did not play",
        "               -> choose another output",
        "WARN  address  no network address",
        "               -> connect the Pi",
        "",
        "1 failed, 1 to look at.",
    ]


# -- pins ---------------------------------------------------------------------------------------


def test_a_missing_gpio_library_says_what_to_install():
    result, factory = check_gpio(Config(pin_factory="pigpio"))
    assert factory is None
    assert result.level == Level.FAIL
    assert "pigpio" in result.detail
    assert "python3-lgpio" in result.fix


def test_the_mock_factory_loads_by_name():
    result, factory = check_gpio(Config(pin_factory="mock"))
    assert result.level == Level.OK
    assert result.detail == "pins driven by Mock"
    factory.close()


def test_a_released_button_is_ok(mock_factory):
    result = check_button(mock_factory, 17)
    assert (result.level, result.detail) == (Level.OK, "GPIO17 (pin 11) is free and reads released")
    # The pin was given back.
    Button(17, pin_factory=mock_factory).close()


class GroundedPin(MockPin):
    """A pin shorted to ground (a button wired normally-closed): the pull-up cannot lift it."""

    def _set_pull(self, value):
        super()._set_pull(value)
        self.drive_low()


def test_a_button_that_reads_pressed_points_at_the_wiring():
    factory = MockFactory(pin_class=GroundedPin)
    try:
        result = check_button(factory, 17)
    finally:
        factory.reset()
    assert result.level == Level.WARN
    assert "reads pressed" in result.detail
    assert "GND" in result.fix


def test_a_pin_in_use_is_blamed_on_the_running_service(mock_factory):
    held = Button(17, pin_factory=mock_factory)
    result = check_button(mock_factory, 17)
    assert result.level == Level.WARN
    assert "in use" in result.detail
    assert "systemctl stop spotter" in result.fix
    assert check_led(mock_factory, 17).level == Level.WARN
    held.close()


def test_a_pin_that_is_not_there_fails(mock_factory):
    result = check_led(mock_factory, 99)
    assert result.level == Level.FAIL
    assert result.detail.startswith("GPIO99 cannot be used")


def test_pin_names_give_the_header_position():
    assert gpio_name(17) == "GPIO17 (pin 11)"
    assert gpio_name(27) == "GPIO27 (pin 13)"
    assert gpio_name(99) == "GPIO99"


# -- voice and sound ----------------------------------------------------------------------------


@needs_espeak
def test_espeak_ng_and_its_voices_are_counted():
    result = check_espeak()
    assert result.level == Level.OK
    count = int(result.detail.split(" with ")[1].split()[0])
    voices = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True).stdout
    assert count == len(voices.splitlines()) - 1 > 0


def test_missing_espeak_ng_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = check_espeak()
    assert (result.level, result.fix) == (Level.FAIL, "sudo apt install espeak-ng")


def test_the_persistent_sound_output_is_found():
    result = check_sound_output()
    assert result.level == Level.OK
    assert result.detail.startswith("alsaaudio 0.")


def test_a_missing_alsaaudio_module_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "alsaaudio", None)  # import now raises ImportError
    result = check_sound_output()
    assert (result.level, result.fix) == (Level.WARN, "sudo apt install python3-alsaaudio")


def test_an_alsaaudio_module_too_old_says_lines_still_play(monkeypatch):
    old = types.ModuleType("alsaaudio")
    old.PCM = type("PCM", (), {"write": None})  # bookworm's 0.8.4 has no drop/avail/info
    monkeypatch.setitem(sys.modules, "alsaaudio", old)
    result = check_sound_output()
    assert result.level == Level.OK
    assert "too old to keep the sound device open" in result.detail
    assert "played by starting aplay" in result.detail


@needs_aplay
def test_the_null_device_is_a_known_output():
    result = check_audio_devices("null")
    assert result.level == Level.OK
    assert result.detail.startswith("output 'null'")


def test_cards_are_listed_and_an_unknown_device_is_flagged():
    run = canned({"aplay -l": (0, PI_CARDS, ""), "aplay -L": (0, PI_NAMES, "")})
    ok = check_audio_devices("plughw:CARD=Headphones,DEV=0", run)
    assert ok.level == Level.OK
    assert ok.detail.endswith("cards: card 0: Headphones; card 1: vc4hdmi")
    assert check_audio_devices("hw:1,0", run).level == Level.OK
    odd = check_audio_devices("speakers", run)
    assert odd.level == Level.WARN
    assert "aplay -L" in odd.fix


def test_no_sound_card_fails():
    run = canned(
        {
            "aplay -l": (0, "", "aplay: device_list:274: no soundcards found...\n"),
            "aplay -L": (0, "", ""),
        }
    )
    result = check_audio_devices("default", run)
    assert (result.level, result.detail) == (Level.FAIL, "no sound card found")


@needs_espeak
@needs_aplay
def test_the_test_line_plays_on_the_null_device():
    result = check_speaker("null")
    assert (result.level, result.detail) == (
        Level.OK,
        "played a test line on 'null': did you hear it?",
    )


@needs_espeak
@needs_aplay
def test_a_device_that_does_not_exist_fails_with_alsa_s_reason():
    result = check_speaker("no_such_device")
    assert result.level == Level.FAIL
    assert result.detail.startswith("'no_such_device' did not play: ")
    assert "audio.device" in result.fix


def test_a_busy_device_is_blamed_on_the_running_service(tmp_path):
    run = canned(
        {
            "espeak-ng -w": (0, "", ""),
            "aplay -q": (1, "", "aplay: main:831: audio open error: Device or resource busy\n"),
        }
    )
    result = check_speaker("hw:0,0", run)
    assert result.level == Level.WARN
    assert "systemctl stop spotter" in result.fix


# -- data ---------------------------------------------------------------------------------------


def test_a_writable_data_dir_is_ok_and_left_as_it_was(tmp_path):
    (tmp_path / "keep").write_text("x")
    result = check_data_dir(tmp_path)
    assert (result.level, result.detail) == (Level.OK, f"{tmp_path} is writable")
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]


def test_a_data_dir_still_to_be_made_is_ok_whoever_asks(tmp_path):
    # /var/lib is not writable by the owner asking before the first start: no failure.
    result = check_data_dir(tmp_path / "a" / "b")
    assert result.level == Level.OK
    assert result.detail == f"{tmp_path / 'a' / 'b'} is made at the first start"
    assert not (tmp_path / "a").exists()


def test_a_data_dir_that_cannot_be_written_fails(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = check_data_dir(blocker / "data")
    assert result.level == Level.FAIL
    assert "is not writable" in result.detail
    assert "sudo -u spotter spotter doctor" in result.fix


def test_a_healthy_store_passes_the_integrity_check(tmp_path):
    Store.open(tmp_path).close()
    before = (tmp_path / "spotter.db").read_bytes()
    result = check_store(tmp_path)
    assert result.level == Level.OK
    assert "passes SQLite's integrity check, 1 routine" in result.detail
    assert (tmp_path / "spotter.db").read_bytes() == before


def test_no_store_yet_is_fine(tmp_path):
    assert check_store(tmp_path).detail == "no store yet: the first start makes one"


def test_a_file_that_is_not_a_database_is_damaged(tmp_path):
    (tmp_path / "spotter.db").write_bytes(b"this is not SQLite" * 300)
    result = check_store(tmp_path)
    assert result.level == Level.FAIL
    assert "is damaged" in result.detail
    assert ".recover" in result.fix


def test_damaged_pages_are_found(tmp_path):
    store = Store.open(tmp_path)
    for n in range(30):
        store.save_progress({"filler": "x" * 2000, "n": n})
        store.secret(f"s{n}", 1000)
    store.close()
    db = tmp_path / "spotter.db"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    for offset in range(2 * page, len(data), page):
        data[offset : offset + 64] = b"\xa5" * 64  # scribble over each page's header
    db.write_bytes(bytes(data))
    result = check_store(tmp_path)
    assert result.level == Level.FAIL
    assert "is damaged" in result.detail


# -- the web page -------------------------------------------------------------------------------


def test_a_free_port_is_ok():
    port = free_port()
    web, address = check_web(Config(web_host="127.0.0.1", web_port=port))
    assert (web.level, web.detail) == (Level.OK, f"port {port} on 127.0.0.1 is free")
    assert address.level == Level.WARN  # only this machine could open it


def test_a_port_another_program_holds_fails(listening):
    web, _ = check_web(Config(web_host="127.0.0.1", web_port=listening))
    assert (web.level, web.detail) == (Level.FAIL, f"port {listening} is taken by another program")
    assert "web.port" in web.fix


def test_a_port_spotter_already_serves_is_ok():
    from waitress.server import create_server

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    server = create_server(app, host="127.0.0.1", port=0, ident="Spotter")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        port = int(server.effective_port)
        web, _ = check_web(Config(web_host="127.0.0.1", web_port=port))
        assert (web.level, web.detail) == (
            Level.OK,
            f"Spotter's page is being served on port {port}",
        )
    finally:
        server.close()
        thread.join(5)


def test_a_turned_off_page_is_not_checked():
    (web,) = check_web(Config(web_enabled=False))
    assert web.level == Level.OK
    assert "turned off" in web.detail


def test_the_page_address_is_given_when_there_is_a_network(monkeypatch):
    monkeypatch.setattr(
        "device.cli.doctor.page_url", lambda host, port: f"http://192.168.1.20:{port}"
    )
    _, address = check_web(Config(web_port=free_port()))
    assert address.level == Level.OK
    assert address.detail.startswith("phones open http://192.168.1.20:")


def test_a_data_dir_is_taken_from_the_config(tmp_path, mock_factory):
    config = Config(data_dir=Path(tmp_path / "from-config"), web_enabled=False, audio_device="null")
    results = run_doctor(config, pin_factory=mock_factory, play=False)
    (data,) = [r for r in results if r.name == "data"]
    assert str(tmp_path / "from-config") in data.detail


# -- settings new in this version ---------------------------------------------------------


def test_settings_the_owners_file_never_mentions_are_named(tmp_path):
    from device.cli.doctor import check_config_news

    owners = tmp_path / "spotter.toml"
    owners.write_text('# log_level = "info"\n# [button]\n# pin = 17\n\n[led]\npin = 27\n')
    example = tmp_path / "example.toml"
    example.write_text(
        '# log_level = "info"\n# name = "x"\n\n# [button]\n# pin = 17\n# hold_ms = 900\n'
        "\n# [led]\n# pin = 27\n"
    )
    result = check_config_news(owners, example)
    assert result is not None and result.level == Level.WARN
    assert result.detail.endswith("does not mention: button.hold_ms, name")
    assert str(example) in result.fix


def test_a_file_that_mentions_every_setting_has_no_news(tmp_path):
    from device.cli.doctor import check_config_news

    example = tmp_path / "example.toml"
    example.write_text("# [button]\n# pin = 17\n")
    owners = tmp_path / "spotter.toml"
    owners.write_text("[button]\npin = 4\n")
    assert check_config_news(owners, example) is None
    assert check_config_news(None, example) is None
