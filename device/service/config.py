"""The device configuration: one TOML schema with defaults, read once at start-up.

Each value comes from the first of: the command line, a ``SPOTTER_*`` environment
variable, the config file, the default. A bad value or an unknown key stops
start-up with a message that names the key and where it came from, e.g.
``/etc/spotter/spotter.toml: button.pin: must be a whole number from 0 to 27``.

Environment variables: ``SPOTTER_CONFIG`` names the file; every key has one
made from its name (``button.pin`` -> ``SPOTTER_BUTTON_PIN``, ``data_dir`` ->
``SPOTTER_DATA_DIR``), listed in ``ENV_VARS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import logging
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from device.hardware.gpio import FACTORY_NAMES
from device.service.mdns import MAX_NAME_LENGTH
from device.voice.shipped_audio import SHIPPED
from routines.errors import ValidationError
from routines.fields import Problems

if TYPE_CHECKING:
    # Loaded only by a config that has clickers or a broker, or when the store is read:
    # the button is set up before the engine's and the routines' modules load.
    from device.service.clickers import ClickerSetting
    from device.service.homeassistant import MqttSettings
    from routines.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_PATH: Final = Path("/etc/spotter/spotter.toml")
CONFIG_ENV: Final = "SPOTTER_CONFIG"
DEFAULT_BUTTON_PIN: Final = 17
MAX_BCM_PIN: Final = 27  # GPIO0..GPIO27 reach the 40-pin header on every Pi
PIN_FACTORIES: Final = ("auto", *FACTORY_NAMES)
LOG_LEVELS: Final = ("debug", "info", "warning", "error")
GESTURE_KEYS: Final = ("double_press_ms", "hold_ms", "long_hold_ms", "debounce_ms")
_TOPIC: Final = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*")
_HOSTNAME: Final = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*"
)


class ConfigError(ValidationError):
    """Bad configuration; ``source`` is the file, ``environment`` or ``command line``."""


@dataclass(frozen=True, slots=True)
class PinnedSettings:
    """Gesture timings in milliseconds set by the config; ``None`` keeps the store's setting.

    The config file wins over the Settings page for these, so the page shows them as
    set in the file and does not offer to change them.
    """

    double_press_ms: int | None = None
    hold_ms: int | None = None
    long_hold_ms: int | None = None
    debounce_ms: int | None = None
    source: str = field(default="the config file", compare=False)

    def values(self) -> dict[str, int]:
        """The settings the config sets, by name."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k in GESTURE_KEYS and v}

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with every timing the config sets put in place of the stored one."""
        changes: dict[str, Any] = self.values()
        return dataclasses.replace(settings, **changes) if changes else settings

    def sources(self) -> dict[str, str]:
        """Each pinned setting's name and where it is set."""
        return dict.fromkeys(self.values(), self.source)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the device needs to know before it starts; every instance is valid."""

    button_pin: int = DEFAULT_BUTTON_PIN
    led_pin: int | None = None
    pin_factory: str | None = (
        None  # a device.hardware.gpio factory name; None = lgpio first, then others
    )
    gestures: PinnedSettings = PinnedSettings()
    web_enabled: bool = True
    web_host: str = "0.0.0.0"  # noqa: S104 - the page is meant for phones on the LAN
    web_port: int = 8080
    audio_device: str = "default"
    # Speech rendered ahead, played wherever a line's key matches; None: render every line.
    prerendered_audio: Path | None = SHIPPED
    data_dir: Path = field(default_factory=lambda: default_data_dir(os.environ))
    log_level: str = "info"
    name: str | None = None  # the device's name on the LAN; None = "Spotter (<hostname>)"
    mqtt: MqttSettings | None = None  # None: no broker, no MQTT
    clickers: tuple[ClickerSetting, ...] = ()  # the [[clicker]] entries
    file: Path | None = None  # the config file that was read, if any
    origins: Mapping[str, str] = field(default_factory=dict)  # key -> where its value came from


def default_data_dir(env: Mapping[str, str]) -> Path:
    """Where data lives when no layer names a place: ``$XDG_DATA_HOME/spotter``, else
    ``~/.local/share/spotter``."""
    xdg = env.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "spotter"
    return Path.home() / ".local" / "share" / "spotter"


# -- the schema ---------------------------------------------------------------------------

Check = Callable[[Problems, str, object], object]
# Reads an environment string as the TOML value it stands for; text that fits no such
# value is passed on as it is, for the key's check to refuse by name.
FromEnv = Callable[[str], object]


@dataclass(frozen=True, slots=True)
class Key:
    """One config key: the Config attribute it sets, its check, how its variable reads."""

    attribute: str
    check: Check
    from_env: FromEnv


def _text(text: str) -> object:
    return text


def _whole_text(text: str) -> object:
    stripped = text.strip()
    # Longer numbers are out of every range anyway; left as text, the check names them.
    return int(stripped) if re.fullmatch(r"[+-]?[0-9]{1,9}", stripped) else text


_NO_LED_WORDS: Final = ("none", "off", "no")


def _pin_or_none(text: str) -> object:
    # The environment cannot leave a key out of a file, so it says "no LED" in words.
    return None if text.strip().lower() in _NO_LED_WORDS else _whole_text(text)


_FLAG_WORDS: Final = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


def _flag_text(text: str) -> object:
    return _FLAG_WORDS.get(text.strip().lower(), text)


def _pin(problems: Problems, key: str, value: object) -> object:
    return problems.whole_number(key, value, 0, MAX_BCM_PIN)


def _port(problems: Problems, key: str, value: object) -> object:
    if type(value) is not int or not 0 <= value <= 65535:
        problems.add(key, "must be a whole number from 0 to 65535 (0 picks a free port)")
        return None
    return value


def _flag(problems: Problems, key: str, value: object) -> object:
    if not isinstance(value, bool):
        problems.add(key, "must be true or false")
        return None
    return value


def _host(problems: Problems, key: str, value: object) -> object:
    text = problems.text(key, value, 253)
    if text is None:
        return None
    try:
        ipaddress.ip_address(text)
    except ValueError:
        # 256.1.1.1 fits the pattern of a host name but can only be a broken address.
        if not _HOSTNAME.fullmatch(text) or re.fullmatch(r"[0-9.]+", text):
            problems.add(key, "must be an IP address such as 0.0.0.0, or a host name")
            return None
    return text


def _audio_device(problems: Problems, key: str, value: object) -> object:
    return problems.text(key, value, 200)


def _directory(problems: Problems, key: str, value: object) -> object:
    text = problems.text(key, value, 1000)
    if text is None:
        return None
    path = Path(text).expanduser()
    if not path.is_absolute():
        problems.add(key, "must be an absolute path such as /var/lib/spotter")
        return None
    return path


_NO_FOLDER_WORDS: Final = ("none", "off")


def _prerendered(problems: Problems, key: str, value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in _NO_FOLDER_WORDS:
        return None
    text = problems.text(key, value, 1000)
    if text is None:
        return None
    # No "~": the service's user has no home.
    path = Path(text)
    if not path.is_absolute():
        problems.add(
            key, 'must be an absolute path such as /usr/share/spotter/voice-cache, or "none"'
        )
        return None
    return path


# Not allowed in XML at all: Avahi's service file would no longer be read.
_NOT_IN_XML = frozenset("\ufffe\uffff")


def _name(problems: Problems, key: str, value: object) -> object:
    text = problems.text(key, value, MAX_NAME_LENGTH)
    if text is None:
        return None
    if any(ch in _NOT_IN_XML or "\ud800" <= ch <= "\udfff" for ch in text):
        problems.add(key, "must not hold U+FFFE, U+FFFF or a lone surrogate")
        return None
    # mDNS counts a label in bytes: an accent takes two, most emoji four.
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_LENGTH:
        problems.add(key, f"must be at most {MAX_NAME_LENGTH} bytes in UTF-8 (it has {size})")
        return None
    return text


def _broker_port(problems: Problems, key: str, value: object) -> object:
    return problems.whole_number(key, value, 1, 65535)


def _login(problems: Problems, key: str, value: object) -> object:
    return problems.text(key, value, 200)


def _topic(problems: Problems, key: str, value: object) -> object:
    text = problems.text(key, value, 100)
    if text is None:
        return None
    if not _TOPIC.fullmatch(text):
        problems.add(key, "must be topic levels such as spotter or gym/spotter (no +, # or spaces)")
        return None
    return text


def _file(problems: Problems, key: str, value: object) -> object:
    text = problems.text(key, value, 1000)
    if text is None:
        return None
    # No "~": the service's user has no home, and "~name" may name nobody at all.
    path = Path(text)
    if not path.is_absolute():
        problems.add(key, "must be an absolute path such as /etc/spotter/mqtt-password")
        return None
    return path


def _choice(options: tuple[str, ...]) -> Check:
    def check(problems: Problems, key: str, value: object) -> object:
        if isinstance(value, str):
            value = value.lower()
        return problems.choice(key, value, options)

    return check


def _gesture(name: str) -> Check:
    def check(problems: Problems, key: str, value: object) -> object:
        from routines.settings import WHOLE_NUMBER_RANGES

        low, high = WHOLE_NUMBER_RANGES[name]
        return problems.whole_number(key, value, low, high)

    return check


def _clickers(problems: Problems, key: str, value: object) -> object:
    from device.service.clickers import check_clickers

    return check_clickers(problems, key, value)


# A table's keys are "table.key"; data_dir and log_level sit at the top of the file.
SCHEMA: Final[Mapping[str, Key]] = {
    "button.pin": Key("button_pin", _pin, _whole_text),
    "led.pin": Key("led_pin", _pin, _pin_or_none),
    "gpio.pin_factory": Key("pin_factory", _choice(PIN_FACTORIES), _text),
    **{
        f"gestures.{name}": Key(f"gestures.{name}", _gesture(name), _whole_text)
        for name in GESTURE_KEYS
    },
    "web.enabled": Key("web_enabled", _flag, _flag_text),
    "web.host": Key("web_host", _host, _text),
    "web.port": Key("web_port", _port, _whole_text),
    "audio.device": Key("audio_device", _audio_device, _text),
    "audio.prerendered": Key("prerendered_audio", _prerendered, _text),
    "data_dir": Key("data_dir", _directory, _text),
    "log_level": Key("log_level", _choice(LOG_LEVELS), _text),
    "name": Key("name", _name, _text),
    "mqtt.host": Key("mqtt.host", _host, _text),
    "mqtt.port": Key("mqtt.port", _broker_port, _whole_text),
    "mqtt.username": Key("mqtt.username", _login, _text),
    "mqtt.password_file": Key("mqtt.password_file", _file, _text),
    "mqtt.tls": Key("mqtt.tls", _flag, _flag_text),
    "mqtt.ca_file": Key("mqtt.ca_file", _file, _text),
    "mqtt.topic_prefix": Key("mqtt.topic_prefix", _topic, _text),
    "mqtt.discovery_prefix": Key("mqtt.discovery_prefix", _topic, _text),
    "mqtt.device_name": Key("mqtt.device_name", _name, _text),
    # An array of tables: only the file can hold it.
    "clicker": Key("clickers", _clickers, _text),
}
TABLES: Final = tuple(sorted({key.split(".")[0] for key in SCHEMA if "." in key}))
TOP_LEVEL: Final = tuple(sorted(TABLES + tuple(key for key in SCHEMA if "." not in key)))


def _broker(values: dict[str, Any]) -> MqttSettings | None:
    if not values:
        return None
    from device.service.homeassistant import MqttSettings

    return MqttSettings(**values)


def env_name(key: str) -> str:
    """The environment variable for a schema key: ``web.port`` -> ``SPOTTER_WEB_PORT``."""
    return "SPOTTER_" + key.upper().replace(".", "_")


ENV_VARS: Final[Mapping[str, str]] = {env_name(key): key for key in SCHEMA if key != "clicker"}


# -- loading --------------------------------------------------------------------------------


def load_config(
    path: Path | None, env: Mapping[str, str], overrides: Mapping[str, object]
) -> Config:
    """The configuration from ``overrides`` > ``env`` > the file > defaults.

    ``path`` None means ``$SPOTTER_CONFIG``, else ``DEFAULT_PATH``; only the default
    file may be missing (then the defaults apply). ``overrides`` maps schema keys
    (``web.port``) to command-line values; ``None`` values were not given.
    Raises ConfigError naming every bad key of the first layer that has any.
    """
    explicit = path is not None or bool(env.get(CONFIG_ENV))
    path = config_path(path, env)
    values: dict[str, object] = {}
    origins: dict[str, str] = {}
    file_values = _read_file(path, missing_ok=not explicit)
    read = file_values is not None
    layers = (
        (file_values or {}, str(path)),
        (_from_env(env), "environment"),
        (_from_overrides(overrides), "command line"),
    )
    for layer, source in layers:
        values.update(layer)
        origins.update(dict.fromkeys(layer, source))
    _check_together(values, origins)
    return _build(values, origins, path if read else None, env)


def config_path(path: Path | None, env: Mapping[str, str]) -> Path:
    """The file to read: ``path``, else ``$SPOTTER_CONFIG``, else ``DEFAULT_PATH``."""
    if path is not None:
        return path
    return Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else DEFAULT_PATH


def check_config_file(path: Path) -> list[str]:
    """Every problem of one config file as ``file: key: message`` lines; [] when it is valid."""
    try:
        values = _read_file(path, missing_ok=False) or {}
        _check_together(values, dict.fromkeys(values, str(path)))
    except ConfigError as err:
        # Not describe().splitlines(): a key may itself hold a character that splits lines.
        return err.lines()
    return []


def _read_file(path: Path, *, missing_ok: bool) -> dict[str, object] | None:
    source = str(path)
    try:
        document = tomllib.loads(_file_text(path))
    except FileNotFoundError:
        if missing_ok:
            return None
        raise ConfigError({"file": "does not exist"}, source=source) from None
    except OSError as err:
        raise ConfigError({"file": f"cannot be read ({err.strerror})"}, source=source) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError({"file": f"is not valid TOML: {err}"}, source=source) from err
    except UnicodeDecodeError as err:
        raise ConfigError({"file": "is not UTF-8 text"}, source=source) from err
    except _NotAFile as err:
        raise ConfigError({"file": str(err)}, source=source) from None
    except RecursionError:
        raise ConfigError({"file": "is nested too deeply"}, source=source) from None
    except ValueError:
        # tomllib's int() refuses numbers of thousands of digits.
        raise ConfigError(
            {"file": "holds a number with too many digits to read"}, source=source
        ) from None
    problems = Problems()
    flat: dict[str, object] = {}
    problems.unknown_fields("", cast(Mapping[object, object], document), TOP_LEVEL)
    for name, value in document.items():
        if name in TABLES:
            if not isinstance(value, dict):
                problems.add(name, f"must be a table: write [{name}] on a line of its own")
                continue
            known = [key.split(".", 1)[1] for key in SCHEMA if key.startswith(name + ".")]
            problems.unknown_fields(name, cast(Mapping[object, object], value), known)
            flat.update({f"{name}.{k}": v for k, v in value.items() if k in known})
        elif name in SCHEMA:
            flat[name] = value
    checked = _check_values(problems, flat)
    if problems.errors:
        raise ConfigError(problems.errors, source=source)
    return checked


MAX_FILE_BYTES: Final = 64 * 1024


class _NotAFile(Exception):
    """The config path names something that is not a small regular file."""


def _file_text(path: Path) -> str:
    """The text of the config file. Opened without waiting, so that a FIFO or a device
    (``/dev/zero``) is refused at once instead of hanging or filling memory."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotAFile("is not a regular file (a directory, a device or a pipe?)")
        if info.st_size > MAX_FILE_BYTES:
            raise _NotAFile(f"is too large ({info.st_size} bytes; at most {MAX_FILE_BYTES})")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise _NotAFile(f"is too large (more than {MAX_FILE_BYTES} bytes)")
    return data.decode("utf-8")


def _from_env(env: Mapping[str, str]) -> dict[str, object]:
    problems = Problems()
    raw: dict[str, object] = {}
    for name, text in env.items():
        if not name.startswith("SPOTTER_") or name == CONFIG_ENV:
            continue
        key = ENV_VARS.get(name)
        if key is None:
            import difflib

            close = difflib.get_close_matches(name, list(ENV_VARS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            log.warning(
                "ignoring the environment variable %s: Spotter has no such setting%s", name, hint
            )
            continue
        if text == "":
            continue  # an empty variable counts as unset, as in most Unix tools
        raw[key] = SCHEMA[key].from_env(text)
    checked = _check_values(problems, raw, name_of=env_name)
    if problems.errors:
        raise ConfigError(problems.errors, source="environment")
    return checked


def _from_overrides(overrides: Mapping[str, object]) -> dict[str, object]:
    unknown = [key for key in overrides if key not in SCHEMA]
    if unknown:
        raise ValueError(f"not config keys: {', '.join(unknown)}")
    problems = Problems()
    checked = _check_values(problems, {k: v for k, v in overrides.items() if v is not None})
    if problems.errors:
        raise ConfigError(problems.errors, source="command line")
    return checked


def _check_values(
    problems: Problems,
    values: Mapping[str, object],
    *,
    name_of: Callable[[str], str] = str,
) -> dict[str, object]:
    checked: dict[str, object] = {}
    for key, value in values.items():
        if key == "led.pin" and value is None:
            checked[key] = None  # the environment's way of saying "no LED"
            continue
        before = len(problems.errors)
        result = SCHEMA[key].check(problems, name_of(key), value)
        if len(problems.errors) == before:
            checked[key] = result
    return checked


def _check_together(values: Mapping[str, object], origins: Mapping[str, str]) -> None:
    """Rules between keys. Each message goes to the key whose value breaks the rule
    and names where that value came from."""
    found: list[tuple[str, str]] = []  # (key, message)
    button = values.get("button.pin", DEFAULT_BUTTON_PIN)
    led = values.get("led.pin")
    if led is not None and led == button:
        found.append(("led.pin", f"must not be the button's pin ({button})"))
    hold, long_hold = values.get("gestures.hold_ms"), values.get("gestures.long_hold_ms")
    if hold is not None and long_hold is None:
        found.append(("gestures.hold_ms", "set long_hold_ms too: a long hold must stay longer"))
    elif long_hold is not None and hold is None:
        found.append(("gestures.long_hold_ms", "set hold_ms too: a long hold must stay longer"))
    elif isinstance(hold, int) and isinstance(long_hold, int) and long_hold <= hold:
        found.append(("gestures.long_hold_ms", f"must be longer than hold_ms ({hold})"))
    mqtt_keys = sorted(key for key in values if key.startswith("mqtt."))
    if mqtt_keys and "mqtt.host" not in values:
        found.append((mqtt_keys[0], "set mqtt.host too: the broker to use"))
    if "mqtt.password_file" in values and "mqtt.username" not in values:
        found.append(("mqtt.password_file", "set mqtt.username too: the password is for a user"))
    if not found:
        return
    source = origins[found[0][0]]
    raise ConfigError(
        {_shown_key(k, source): m for k, m in found if origins[k] == source}, source=source
    )


def _shown_key(key: str, source: str) -> str:
    return env_name(key) if source == "environment" else key


def _build(
    values: Mapping[str, object],
    origins: Mapping[str, str],
    file: Path | None,
    env: Mapping[str, str],
) -> Config:
    fields: dict[str, Any] = {}
    gestures: dict[str, Any] = {}
    mqtt: dict[str, Any] = {}
    for key, value in values.items():
        attribute = SCHEMA[key].attribute
        if attribute.startswith("gestures."):
            gestures[attribute.split(".", 1)[1]] = value
        elif attribute.startswith("mqtt."):
            mqtt[attribute.split(".", 1)[1]] = value
        elif attribute == "pin_factory":
            fields[attribute] = None if value == "auto" else value
        else:
            fields[attribute] = value
    if "data_dir" not in fields:
        fields["data_dir"] = default_data_dir(env)
    return Config(
        **fields,
        gestures=PinnedSettings(**gestures, source=str(file) if file else "the config file"),
        mqtt=_broker(mqtt),
        file=file,
        origins=dict(origins),
    )


def config_from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Config:
    """The configuration a command runs with: command line > environment > file > defaults."""
    overrides: dict[str, object] = {
        "button.pin": getattr(args, "pin", None),
        "led.pin": getattr(args, "led_pin", None),
        "gpio.pin_factory": getattr(args, "pin_factory", None),
        "web.host": getattr(args, "host", None),
        "web.port": getattr(args, "port", None),
        "web.enabled": False if getattr(args, "no_web", False) else None,
        "audio.device": getattr(args, "audio_device", None),
        "data_dir": getattr(args, "data_dir", None),
        "log_level": "debug" if getattr(args, "verbose", False) else None,
    }
    config_file = getattr(args, "config", None)
    return load_config(
        Path(config_file) if config_file else None,
        os.environ if env is None else env,
        overrides,
    )
