"""The device config: every bad key and value named with its file, and the precedence."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from device.service import config as config_module
from device.service.clickers import ClickerSetting
from device.service.config import (
    ENV_VARS,
    SCHEMA,
    Config,
    ConfigError,
    PinnedSettings,
    check_config_file,
    default_data_dir,
    load_config,
)
from device.service.homeassistant import MqttSettings
from routines.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "systemd" / "spotter.toml"


BROKER = MqttSettings(
    host="broker.lan",
    port=8883,
    username="coach",
    password_file=Path("/etc/spotter/mqtt-password"),
    tls=True,
    ca_file=Path("/etc/spotter/ca.pem"),
    topic_prefix="gym/spotter",
    discovery_prefix="ha",
    device_name="Rack three",
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spotter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path | None, env: dict[str, str] | None = None, **overrides: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, env or {}, overrides)
    return caught.value.describe()


def test_no_file_at_the_default_place_means_the_defaults(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "DEFAULT_PATH", tmp_path / "absent.toml")
    config = load_config(None, {}, {})
    assert config == Config(data_dir=default_data_dir({}))
    assert config.button_pin == 17
    assert config.led_pin is None
    assert config.pin_factory is None
    assert config.web_host == "0.0.0.0"
    assert config.web_port == 8080
    assert config.web_enabled is True
    assert config.audio_device == "default"
    assert config.data_dir == Path.home() / ".local" / "share" / "spotter"
    assert config.log_level == "info"
    assert config.gestures == PinnedSettings()
    assert config.file is None


def test_every_key_is_read_from_the_file(tmp_path):
    path = write(
        tmp_path,
        """
data_dir = "/srv/spotter"
log_level = "DEBUG"
name = "Rack 3"
[button]
pin = 5
[led]
pin = 6
[gpio]
pin_factory = "lgpio"
[gestures]
double_press_ms = 300
hold_ms = 800
long_hold_ms = 2500
debounce_ms = 15
[web]
enabled = false
host = "127.0.0.1"
port = 9000
[audio]
device = "plughw:CARD=Headphones,DEV=0"
prerendered = "/srv/spotter/voice-ahead"
[mqtt]
host = "broker.lan"
port = 8883
username = "coach"
password_file = "/etc/spotter/mqtt-password"
tls = true
ca_file = "/etc/spotter/ca.pem"
topic_prefix = "gym/spotter"
discovery_prefix = "ha"
device_name = "Rack three"
[[clicker]]
device = "DC:2C:26:0A:11:22"
name = "Ann's remote"
keys = ["KEY_VOLUMEUP", 28]
holds = false
profile = "Ann"
""",
    )
    config = load_config(path, {}, {})
    assert config == Config(
        button_pin=5,
        led_pin=6,
        pin_factory="lgpio",
        gestures=PinnedSettings(
            double_press_ms=300, hold_ms=800, long_hold_ms=2500, debounce_ms=15
        ),
        web_enabled=False,
        web_host="127.0.0.1",
        web_port=9000,
        audio_device="plughw:CARD=Headphones,DEV=0",
        prerendered_audio=Path("/srv/spotter/voice-ahead"),
        data_dir=Path("/srv/spotter"),
        log_level="debug",
        name="Rack 3",
        mqtt=BROKER,
        clickers=(
            ClickerSetting(
                "DC:2C:26:0A:11:22", "Ann's remote", ("KEY_VOLUMEUP", "KEY_ENTER"), False, "Ann"
            ),
        ),
        file=path,
        origins=dict.fromkeys(SCHEMA, str(path)),
    )


def test_auto_pin_factory_means_no_choice_made(tmp_path):
    path = write(tmp_path, '[gpio]\npin_factory = "auto"\n')
    assert load_config(path, {}, {}).pin_factory is None


BAD_VALUES = [
    ("[button]\npin = 28", "button.pin: must be a whole number from 0 to 27"),
    ("[button]\npin = -1", "button.pin: must be a whole number from 0 to 27"),
    ('[button]\npin = "17"', "button.pin: must be a whole number from 0 to 27"),
    ("[button]\npin = true", "button.pin: must be a whole number from 0 to 27"),
    ("[button]\npin = 17.0", "button.pin: must be a whole number from 0 to 27"),
    ("[led]\npin = 40", "led.pin: must be a whole number from 0 to 27"),
    (
        '[gpio]\npin_factory = "RPi.GPIO"',
        "gpio.pin_factory: must be one of: auto, mock, lgpio, rpigpio, pigpio, native",
    ),
    (
        "[gestures]\ndouble_press_ms = 100",
        "gestures.double_press_ms: must be a whole number from 150 to 1500",
    ),
    (
        "[gestures]\nhold_ms = 200\nlong_hold_ms = 3000",
        "gestures.hold_ms: must be a whole number from 300 to 5000",
    ),
    (
        "[gestures]\nhold_ms = 1000\nlong_hold_ms = 20000",
        "gestures.long_hold_ms: must be a whole number from 1000 to 10000",
    ),
    ("[gestures]\ndebounce_ms = 500", "gestures.debounce_ms: must be a whole number from 0 to 200"),
    ('[web]\nenabled = "yes"', "web.enabled: must be true or false"),
    ('[web]\nhost = "my host"', "web.host: must be an IP address such as 0.0.0.0, or a host name"),
    ("[web]\nhost = 8080", "web.host: must be text (put it in quotes)"),
    ('[web]\nhost = "  "', "web.host: must not be blank"),
    (
        "[web]\nport = 70000",
        "web.port: must be a whole number from 0 to 65535 (0 picks a free port)",
    ),
    ('[audio]\ndevice = ""', "audio.device: must not be blank"),
    ('[audio]\ndevice = "a\\nb"', "audio.device: must be a single line of text"),
    ('[audio]\nprerendered = "voice"', "audio.prerendered: must be an absolute path"),
    ('data_dir = "relative/dir"', "data_dir: must be an absolute path such as /var/lib/spotter"),
    ('log_level = "loud"', "log_level: must be one of: debug, info, warning, error"),
    ("button = 17", "button: must be a table: write [button] on a line of its own"),
    ("[button]\npn = 17", "button.pn: unknown field (did you mean pin?)"),
    ("[buton]\npin = 17", "buton: unknown field (did you mean button?)"),
    ("port = 8080", "port: unknown field (known: audio, button, clicker, data_dir, gestures"),
    ("[led]\npin = 17", "led.pin: must not be the button's pin (17)"),
    ("[gestures]\nhold_ms = 1000", "gestures.hold_ms: set long_hold_ms too"),
    ("[gestures]\nlong_hold_ms = 4000", "gestures.long_hold_ms: set hold_ms too"),
    (
        "[gestures]\nhold_ms = 2000\nlong_hold_ms = 2000",
        "gestures.long_hold_ms: must be longer than hold_ms (2000)",
    ),
    ('name = "  "', "name: must not be blank"),
    ('[mqtt]\nhost = "a b"', "mqtt.host: must be an IP address"),
    ("[mqtt]\nport = 0", "mqtt.port: must be a whole number from 1 to 65535"),
    ("[mqtt]\nusername = 5", "mqtt.username: must be text"),
    ('[mqtt]\npassword_file = "pw"', "mqtt.password_file: must be an absolute path"),
    ("[mqtt]\ntls = 1", "mqtt.tls: must be true or false"),
    ('[mqtt]\nca_file = "ca.pem"', "mqtt.ca_file: must be an absolute path"),
    ('[mqtt]\ntopic_prefix = "a/+"', "mqtt.topic_prefix: must be topic levels"),
    ('[mqtt]\ndiscovery_prefix = "/ha"', "mqtt.discovery_prefix: must be topic levels"),
    ('[mqtt]\ndevice_name = ""', "mqtt.device_name: must not be blank"),
    ("clicker = 5", "clicker: must be tables: write [[clicker]]"),
    ('[[clicker]]\nname = "x"', "clicker[0].device: is missing"),
    ('[[clicker]]\ndevice = "a"\nkeys = ["KEY_NOPE"]', "clicker[0].keys: 'KEY_NOPE' is not a key"),
    ('[[clicker]]\ndevice = "a"\nkeys = []', "clicker[0].keys: must be a list of 1 to 16 keys"),
    ('[[clicker]]\ndevice = "a"\nholds = "sometimes"', "clicker[0].holds: must be true, false"),
    ('[[clicker]]\ndevice = "a"\nprofile = 3', "clicker[0].profile: must be text"),
    ('[[clicker]]\ndevice = "a"\ncolour = 1', "clicker[0].colour: unknown field"),
    (
        '[[clicker]]\ndevice = "a"\n[[clicker]]\ndevice = "b"\nname = "A"',
        "clicker[1].name: is also clicker[0]'s",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_VALUES)
def test_a_bad_value_is_named_with_its_key_and_file(tmp_path, text, expected):
    path = write(tmp_path, text + "\n")
    message = error_of(path)
    assert message.startswith(f"{path}: {expected}")
    assert check_config_file(path)[0].startswith(f"{path}: {expected}")


def test_every_key_has_a_bad_value_case():
    tested = {re.match(r"[\w.]+", expected).group() for _, expected in BAD_VALUES}
    assert set(SCHEMA) <= tested


def test_all_problems_of_a_file_are_reported_at_once(tmp_path):
    path = write(tmp_path, '[button]\npin = 99\n[web]\nport = -1\nhots = "x"\n')
    lines = check_config_file(path)
    assert [line.split(": ")[1] for line in lines] == ["web.hots", "button.pin", "web.port"]
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_a_toml_syntax_error_gives_its_line(tmp_path):
    path = write(tmp_path, "[web]\nport = 80 80\n")
    (line,) = check_config_file(path)
    assert line.startswith(f"{path}: file: is not valid TOML")
    assert "line 2" in line


def test_a_named_file_that_is_missing_is_an_error(tmp_path):
    missing = tmp_path / "nope.toml"
    assert error_of(missing) == f"{missing}: file: does not exist"
    assert error_of(None, {"SPOTTER_CONFIG": str(missing)}) == f"{missing}: file: does not exist"
    assert check_config_file(missing) == [f"{missing}: file: does not exist"]


def test_a_directory_as_the_file_says_why(tmp_path):
    assert error_of(tmp_path) == (
        f"{tmp_path}: file: is not a regular file (a directory, a device or a pipe?)"
    )


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "spotter.toml"
    path.write_bytes(b'[audio]\ndevice = "\xff"\n')
    assert error_of(path).startswith(f"{path}: file: ")


def test_spotter_config_names_the_file(tmp_path):
    path = write(tmp_path, "[button]\npin = 4\n")
    config = load_config(None, {"SPOTTER_CONFIG": str(path)}, {})
    assert config.button_pin == 4
    assert config.file == path


def test_precedence_command_line_then_environment_then_file_then_default(tmp_path):
    path = write(tmp_path, "[web]\nport = 9000\n[button]\npin = 5\n")
    env = {"SPOTTER_WEB_PORT": "9001", "SPOTTER_BUTTON_PIN": "6"}

    config = load_config(path, env, {"web.port": 9002})
    assert (config.web_port, config.button_pin, config.audio_device) == (9002, 6, "default")
    assert config.origins == {
        "web.port": "command line",
        "button.pin": "environment",
    }

    config = load_config(path, env, {})
    assert (config.web_port, config.button_pin) == (9001, 6)

    config = load_config(path, {}, {"button.pin": None})
    assert (config.web_port, config.button_pin) == (9000, 5)
    assert config.origins == {"web.port": str(path), "button.pin": str(path)}


def test_every_key_has_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setattr(config_module, "DEFAULT_PATH", tmp_path / "absent.toml")
    env = {
        "SPOTTER_BUTTON_PIN": "5",
        "SPOTTER_LED_PIN": "6",
        "SPOTTER_GPIO_PIN_FACTORY": "lgpio",
        "SPOTTER_GESTURES_DOUBLE_PRESS_MS": "300",
        "SPOTTER_GESTURES_HOLD_MS": "800",
        "SPOTTER_GESTURES_LONG_HOLD_MS": "2500",
        "SPOTTER_GESTURES_DEBOUNCE_MS": "15",
        "SPOTTER_WEB_ENABLED": "no",
        "SPOTTER_WEB_HOST": "127.0.0.1",
        "SPOTTER_WEB_PORT": " 9000 ",
        "SPOTTER_AUDIO_DEVICE": "hw:1,0",
        "SPOTTER_AUDIO_PRERENDERED": "none",
        "SPOTTER_DATA_DIR": "/srv/spotter",
        "SPOTTER_LOG_LEVEL": "warning",
        "SPOTTER_NAME": "Rack 3",
        "SPOTTER_MQTT_HOST": "broker.lan",
        "SPOTTER_MQTT_PORT": "8883",
        "SPOTTER_MQTT_USERNAME": "coach",
        "SPOTTER_MQTT_PASSWORD_FILE": "/etc/spotter/mqtt-password",
        "SPOTTER_MQTT_TLS": "yes",
        "SPOTTER_MQTT_CA_FILE": "/etc/spotter/ca.pem",
        "SPOTTER_MQTT_TOPIC_PREFIX": "gym/spotter",
        "SPOTTER_MQTT_DISCOVERY_PREFIX": "ha",
        "SPOTTER_MQTT_DEVICE_NAME": "Rack three",
    }
    assert set(env) == set(ENV_VARS)
    config = load_config(None, env, {})
    assert config == Config(
        button_pin=5,
        led_pin=6,
        pin_factory="lgpio",
        gestures=PinnedSettings(300, 800, 2500, 15),
        web_enabled=False,
        web_host="127.0.0.1",
        web_port=9000,
        audio_device="hw:1,0",
        prerendered_audio=None,
        data_dir=Path("/srv/spotter"),
        log_level="warning",
        name="Rack 3",
        mqtt=BROKER,
        # Clickers are tables: only the file holds them.
        origins=dict.fromkeys(set(SCHEMA) - {"clicker"}, "environment"),
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SPOTTER_BUTTON_PIN",
            "seventeen",
            "SPOTTER_BUTTON_PIN: must be a whole number from 0 to 27",
        ),
        ("SPOTTER_BUTTON_PIN", "17.5", "SPOTTER_BUTTON_PIN: must be a whole number from 0 to 27"),
        ("SPOTTER_WEB_ENABLED", "maybe", "SPOTTER_WEB_ENABLED: must be true or false"),
        ("SPOTTER_WEB_PORT", "99999", "SPOTTER_WEB_PORT: must be a whole number from 0 to 65535"),
        ("SPOTTER_LOG_LEVEL", "chatty", "SPOTTER_LOG_LEVEL: must be one of: debug, info"),
        ("SPOTTER_DATA_DIR", "data", "SPOTTER_DATA_DIR: must be an absolute path"),
        ("SPOTTER_LED_PIN", "17", "SPOTTER_LED_PIN: must not be the button's pin (17)"),
    ],
)
def test_a_bad_environment_value_names_the_variable(tmp_path, name, value, expected):
    path = write(tmp_path, "")
    assert error_of(path, {name: value}).startswith(f"environment: {expected}")


def test_an_empty_variable_is_unset_and_the_led_can_be_turned_off(tmp_path):
    path = write(tmp_path, "[led]\npin = 27\n[web]\nport = 9000\n")
    config = load_config(path, {"SPOTTER_WEB_PORT": "", "SPOTTER_LED_PIN": "none"}, {})
    assert config.web_port == 9000
    assert config.led_pin is None


def test_an_unknown_spotter_variable_is_reported_but_not_fatal(tmp_path, caplog):
    path = write(tmp_path, "")
    with caplog.at_level(logging.WARNING, logger="device.service.config"):
        config = load_config(path, {"SPOTTER_BUTON_PIN": "4", "HOME": "/root"}, {})
    assert config.button_pin == 17
    assert "SPOTTER_BUTON_PIN" in caplog.text
    assert "did you mean SPOTTER_BUTTON_PIN?" in caplog.text


def test_a_bad_command_line_value_is_named(tmp_path):
    path = write(tmp_path, "")
    message = error_of(path, **{"web.port": 123456})
    assert message == (
        "command line: web.port: must be a whole number from 0 to 65535 (0 picks a free port)"
    )


def test_an_unknown_command_line_key_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match=r"not config keys: web\.prot"):
        load_config(write(tmp_path, ""), {}, {"web.prot": 1})


def test_a_rule_between_layers_names_the_layer_that_broke_it(tmp_path):
    path = write(tmp_path, "[button]\npin = 5\n[gestures]\nhold_ms = 2000\nlong_hold_ms = 3000\n")
    assert error_of(path, {"SPOTTER_GESTURES_LONG_HOLD_MS": "1500"}) == (
        "environment: SPOTTER_GESTURES_LONG_HOLD_MS: must be longer than hold_ms (2000)"
    )
    assert error_of(path, **{"led.pin": 5}) == (
        "command line: led.pin: must not be the button's pin (5)"
    )


def test_valid_file_checks_clean(tmp_path):
    assert check_config_file(write(tmp_path, "[button]\npin = 22\n")) == []


def test_gesture_timings_replace_only_the_stored_values_they_set():
    stored = Settings(double_press_ms=500, hold_ms=1200, long_hold_ms=4000, voice_rate=200)
    applied = PinnedSettings(hold_ms=900, long_hold_ms=2500).apply(stored)
    assert (applied.double_press_ms, applied.hold_ms, applied.long_hold_ms) == (500, 900, 2500)
    assert applied.voice_rate == 200
    assert PinnedSettings().apply(stored) is stored


# -- the shipped example --------------------------------------------------------------------

SETTING_LINE = re.compile(r"^# (\[\w+\]|\[\[\w+\]\]|\w+ = .*)$")


def test_the_example_file_is_all_comments_and_loads_as_the_defaults():
    assert check_config_file(EXAMPLE) == []
    config = load_config(EXAMPLE, {}, {})
    assert config == Config(file=EXAMPLE)


def test_the_example_shows_every_key_with_its_default_once_uncommented(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    uncommented = "\n".join(
        line[2:] if SETTING_LINE.match(line) else line for line in text.splitlines()
    )
    path = write(tmp_path, uncommented)
    config = load_config(path, {}, {})
    assert set(config.origins) == set(SCHEMA)
    defaults = Settings()
    assert config == Config(
        led_pin=27,  # the one key without a default, shown with an example pin
        gestures=PinnedSettings(
            defaults.double_press_ms, defaults.hold_ms, defaults.long_hold_ms, defaults.debounce_ms
        ),
        data_dir=Path("/var/lib/spotter"),
        name="Spotter (corner 2)",
        mqtt=MqttSettings(
            host="homeassistant.local",
            username="spotter",
            password_file=Path("/etc/spotter/mqtt-password"),
            ca_file=Path("/etc/ssl/certs/ca-certificates.crt"),
            device_name="Spotter (corner 2)",
        ),
        clickers=(ClickerSetting("DC:2C:26:0A:11:22", "Ann's remote", profile="Ann"),),
        file=path,
        origins=config.origins,
    )


# -- where the data lives -----------------------------------------------------------------


def test_the_data_directory_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    empty = tmp_path / "spotter.toml"
    empty.write_text("")

    def data_dir(env: dict[str, str], cli: str | None = None) -> Path:
        return load_config(empty, env, {"data_dir": cli}).data_dir

    assert data_dir({}) == tmp_path / "home" / ".local" / "share" / "spotter"
    assert data_dir({"XDG_DATA_HOME": "relative/ignored"}) == (
        tmp_path / "home" / ".local" / "share" / "spotter"
    )
    xdg = {"XDG_DATA_HOME": str(tmp_path / "xdg")}
    assert data_dir(xdg) == tmp_path / "xdg" / "spotter"
    env = {**xdg, "SPOTTER_DATA_DIR": str(tmp_path / "env")}
    assert data_dir(env) == tmp_path / "env"
    assert data_dir(env, str(tmp_path / "cli")) == tmp_path / "cli"
    assert data_dir(env, "~/spot") == tmp_path / "home" / "spot"


def test_the_mqtt_table_is_checked_key_by_key(tmp_path):
    path = write(
        tmp_path,
        '[mqtt]\nport = 0\ntopic_prefix = "gym/#"\npassword_file = "secret"\ntls = "yes"\n',
    )
    assert error_of(path).splitlines() == [
        f"{path}: mqtt.port: must be a whole number from 1 to 65535",
        f"{path}: mqtt.topic_prefix: must be topic levels such as spotter or gym/spotter "
        "(no +, # or spaces)",
        f"{path}: mqtt.password_file: must be an absolute path such as /etc/spotter/mqtt-password",
        f"{path}: mqtt.tls: must be true or false",
    ]


def test_an_mqtt_table_needs_a_host_and_a_password_needs_a_user(tmp_path):
    path = write(tmp_path, "[mqtt]\nport = 1884\n")
    assert error_of(path) == f"{path}: mqtt.port: set mqtt.host too: the broker to use"
    path = write(tmp_path, '[mqtt]\nhost = "b"\npassword_file = "/etc/p"\n')
    assert "set mqtt.username too" in error_of(path)
    env = {"SPOTTER_MQTT_HOST": "broker.lan", "SPOTTER_MQTT_PORT": "8883"}
    config = load_config(write(tmp_path, ""), env, {})
    assert config.mqtt == MqttSettings(host="broker.lan", port=8883)


def test_no_mqtt_table_means_no_mqtt_and_a_name_must_be_readable(tmp_path):
    assert load_config(write(tmp_path, ""), {}, {}).mqtt is None
    path = write(tmp_path, 'name = "Rack\\u0007 3"\n')
    assert f"{path}: name: must be" in error_of(path)
    path = write(tmp_path, f'name = "{"x" * 64}"\n')
    assert "name: " in error_of(path)
