"""What Spotter says on MQTT, shaped the way Home Assistant's MQTT discovery reads it.

Every topic hangs below ``<prefix>/<node id>``: ``availability`` (``online`` or
``offline``, retained), ``state`` (one retained JSON object the sensors pick their
value from), ``gesture`` (one JSON object per physical gesture, for the event entity)
and ``command`` (what the button entities publish). Discovery configs are retained on
``<discovery prefix>/<component>/<node id>/<object>/config``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from device.events import Action, Gesture, Status

ONLINE: Final = "online"
OFFLINE: Final = "offline"
MAX_COMMAND_BYTES: Final = 64
# The page's and the physical button's commands, in the order Home Assistant lists them.
# A name whose action does not exist in this version is left out.
BUTTONS: Final = (
    ("press", "Press"),
    ("back", "Back"),
    ("repeat", "Repeat"),
    ("pause", "Pause"),
    ("extend_rest", "Rest 15 s longer"),
)
_NODE_CHARS = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """The ``[mqtt]`` table of the config file; present only when a broker is configured."""

    host: str
    port: int = 1883
    username: str | None = None
    password_file: Path | None = None
    tls: bool = False
    ca_file: Path | None = None  # None with tls = the system's certificate authorities
    topic_prefix: str = "spotter"
    discovery_prefix: str = "homeassistant"
    device_name: str | None = None  # None = the device's own name


def node_id(hostname: str) -> str:
    """A topic- and id-safe form of the host name: one per device, stable across restarts."""
    return _NODE_CHARS.sub("_", hostname.lower()).strip("_") or "spotter"


def command_for(name: str) -> Gesture | Action | None:
    """What a command word asks for: a gesture name presses like the button, an action name
    does that action; None for anything else."""
    for gesture in Gesture:
        if gesture.value == name:
            return gesture
    for action in Action:
        if action.value == name:
            return action
    return None


def parse_command(payload: bytes) -> Gesture | Action:
    """The command in an MQTT payload, or ``ValueError`` saying what is wrong with it.

    The payload is one word (``press``, ``pause``...) or, like ``/api/button``'s body,
    a JSON object ``{"gesture": "press"}``.
    """
    if len(payload) > MAX_COMMAND_BYTES:
        raise ValueError(f"longer than {MAX_COMMAND_BYTES} bytes")
    try:
        text = payload.decode().strip()
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("not valid JSON") from None
        if not isinstance(data, dict) or set(data) != {"gesture"}:
            raise ValueError('a JSON command must be {"gesture": NAME}')
        found = command_for(str(data["gesture"]))
        if not isinstance(found, Gesture):
            raise ValueError("gesture must be one of: " + ", ".join(g.value for g in Gesture))
        return found
    found = command_for(text)
    if found is None:
        raise ValueError("must be one of: " + ", ".join(known_commands()))
    return found


def known_commands() -> list[str]:
    """Every word the command topic takes."""
    return [g.value for g in Gesture] + [a.value for a in Action]


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one device."""

    base: str
    discovery_prefix: str
    node: str

    @classmethod
    def of(cls, settings: MqttSettings, hostname: str) -> Topics:
        node = node_id(hostname)
        return cls(f"{settings.topic_prefix.strip('/')}/{node}", settings.discovery_prefix, node)

    @property
    def availability(self) -> str:
        return f"{self.base}/availability"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def gesture(self) -> str:
        return f"{self.base}/gesture"

    @property
    def command(self) -> str:
        return f"{self.base}/command"

    @property
    def home_assistant_status(self) -> str:
        """Where Home Assistant says it (re)started and wants discovery again."""
        return f"{self.discovery_prefix}/status"

    def config(self, component: str, key: str) -> str:
        return f"{self.discovery_prefix}/{component}/{self.node}/{key}/config"


def state_payload(status: Status, sessions_this_week: int | None) -> dict[str, Any]:
    """The retained state object. The countdown is left out: it would change every second."""
    return {
        "state": str(status.state),
        "routine": status.routine_name,
        "exercise": status.exercise_name,
        "set": status.set,
        "sets": status.sets,
        "side": status.side,
        "rep": status.rep,
        "reps": status.reps,
        "sessions_this_week": sessions_this_week,
    }


def gesture_payload(gesture: Gesture) -> dict[str, str]:
    return {"event_type": gesture.value}


# (key, name, value in the state object, icon)
_SENSORS: Final = (
    ("state", "State", "state", "mdi:state-machine"),
    ("exercise", "Exercise", "exercise", "mdi:dumbbell"),
    ("set", "Set", "set", "mdi:counter"),
    ("rep", "Rep", "rep", "mdi:repeat"),
    ("sessions_this_week", "Sessions this week", "sessions_this_week", "mdi:calendar-check"),
)


def discovery(
    topics: Topics, device_name: str, version: str, page: str | None = None
) -> Iterator[tuple[str, str]]:
    """Every retained discovery message as ``(topic, JSON payload)``; ``page`` is the
    phone page's address, which Home Assistant links from the device ("Visit")."""
    device: dict[str, object] = {
        "identifiers": [f"spotter_{topics.node}"],
        "name": device_name,
        "manufacturer": "Spotter",
        "model": "One-button workout coach",
        "sw_version": version,
    }
    if page is not None:
        device["configuration_url"] = page
    common = {
        "device": device,
        "availability_topic": topics.availability,
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "origin": {"name": "Spotter", "sw_version": version},
    }
    for key, name, field, icon in _SENSORS:
        # Home Assistant reads the text "None" as unknown: a rep outside a set shows as that.
        entity = {
            **common,
            "name": name,
            "unique_id": f"spotter_{topics.node}_{key}",
            "state_topic": topics.state,
            "value_template": f"{{{{ value_json.{field} }}}}",
            "icon": icon,
        }
        yield topics.config("sensor", key), json.dumps(entity)
    for word, name in BUTTONS:
        if command_for(word) is None:
            continue
        entity = {
            **common,
            "name": name,
            "unique_id": f"spotter_{topics.node}_{word}",
            "command_topic": topics.command,
            "payload_press": word,
        }
        yield topics.config("button", word), json.dumps(entity)
    entity = {
        **common,
        "name": "Button",
        "unique_id": f"spotter_{topics.node}_button",
        "state_topic": topics.gesture,
        "event_types": [g.value for g in Gesture],
        "device_class": "button",
    }
    yield topics.config("event", "button"), json.dumps(entity)
