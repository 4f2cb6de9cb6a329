"""Spotter on an MQTT broker: seen and pressed from Home Assistant.

The worker thread only ever puts an item on this bridge's queue, so a broker that is
down, slow or refuses the login cannot delay the button or the voice. The bridge's
own thread publishes; paho's network thread connects, and reconnects with a growing
delay after any failure. Each (re)connection publishes the discovery configs, the
availability and the latest state again, so a restarted broker (or one that lost its
retained messages) shows the device as it is now.

Whatever others publish on the broker is untrusted: the client asks the broker (MQTT 5's
maximum packet size) not to send anything bigger than a command, and drops a connection
whose next packet says it is bigger all the same; a retained command is not a command
(it would replay at every reconnect); and Home Assistant's births, however many, make
Spotter announce itself at most once every ``REDISCOVER_SECONDS``.

paho-mqtt is imported only when a broker is configured.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from device.events import Action, Gesture, Status
from device.service.homeassistant import (
    OFFLINE,
    ONLINE,
    MqttSettings,
    Topics,
    discovery,
    gesture_payload,
    parse_command,
    state_payload,
)
from device.service.listeners import Listener

if TYPE_CHECKING:
    from paho.mqtt.client import Client, ConnectFlags, DisconnectFlags, MQTTMessage
    from paho.mqtt.properties import Properties
    from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

RECONNECT_MIN_SECONDS = 1
RECONNECT_MAX_SECONDS = 60
KEEPALIVE_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 5.0
STOP_FLUSH_SECONDS = 2.0
# Commands are at most 64 bytes and births a word: a packet of a few hundred bytes
# carries either with its topic. Anything bigger is not for Spotter.
MAX_INCOMING_PACKET_BYTES = 1024
REDISCOVER_SECONDS = 5.0

Command = Callable[[Gesture | Action], None]


@dataclass(frozen=True, slots=True)
class _Week:
    sessions: int


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Item = Status | Gesture | _Week | _Stop


class BrokerError(Exception):
    """The broker could not be used; the message says why in the user's terms."""


def read_password(settings: MqttSettings) -> str | None:
    """The password from ``password_file`` (its first line), or None when none is set."""
    if settings.password_file is None:
        return None
    try:
        text = settings.password_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise BrokerError(
            f"cannot read mqtt.password_file {settings.password_file}: {err}"
        ) from err
    return text.splitlines()[0] if text else ""


def new_client(settings: MqttSettings, client_id: str) -> Client:
    """A paho client set up with the login and TLS the config asks for (not yet connected)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    bounded = _bounded_client_class()
    client = bounded(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if settings.username is not None:
        client.username_pw_set(settings.username, read_password(settings))
    if settings.tls:
        ca = str(settings.ca_file) if settings.ca_file is not None else None
        client.tls_set(ca_certs=ca)
    client.connect_timeout = CONNECT_TIMEOUT_SECONDS
    return client


def _connect_properties() -> Properties:
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.MaximumPacketSize = MAX_INCOMING_PACKET_BYTES
    return properties


def _bounded_client_class() -> type[Client]:
    import paho.mqtt.client as mqtt

    class BoundedClient(mqtt.Client):
        """paho's client, refusing to read a packet bigger than Spotter takes: a broker
        that ignores the maximum packet size must not make it buffer 100 MB."""

        def _sock_recv(self, bufsize: int) -> bytes:
            packet: Any = getattr(self, "_in_packet", None) or {}
            if packet.get("have_remaining") and (
                packet.get("remaining_length", 0) > MAX_INCOMING_PACKET_BYTES
            ):
                raise OSError(f"a packet of {packet['remaining_length']} bytes is too big")
            data: bytes = super()._sock_recv(bufsize)
            return data

    return BoundedClient


def refusal(reason: ReasonCode) -> str:
    """The broker's refusal in words, e.g. 'refused the login (Not authorized)'."""
    return f"refused the connection ({reason.getName()})"


class MqttBridge(Listener):
    """Publishes Spotter's state and gestures, and passes commands on to ``command``."""

    def __init__(
        self,
        settings: MqttSettings,
        *,
        command: Command,
        hostname: str,
        device_name: str,
        version: str,
        page: str | None = None,
    ) -> None:
        self._settings = settings
        self._page = page
        self._command = command
        self._topics = Topics.of(settings, hostname)
        self._device_name = settings.device_name or device_name
        self._version = version
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()  # held while publishing state, so the newest wins
        self._connected = False
        self._status: Status | None = None
        self._sessions: int | None = None
        self._published: str | None = None
        self._condition = "not started"
        self._warned = False  # about the broker being away, until it is back
        self._bad_command_logged = False
        self._announced_at: float | None = None  # monotonic time of the last announcement
        self._client: Client | None = None
        self._thread: threading.Thread | None = None

    @property
    def topics(self) -> Topics:
        return self._topics

    # -- called by the worker: only ever queue ---------------------------------------------

    def status_changed(self, status: Status) -> None:
        self._queue.put(status)

    def gesture_made(self, gesture: Gesture) -> None:
        """A gesture of the physical button (the event entity shows only those)."""
        self._queue.put(gesture)

    def week_counted(self, sessions: int) -> None:
        self._queue.put(_Week(sessions))

    # -- lifecycle -----------------------------------------------------------------------------

    def condition(self) -> str:
        """How things stand with the broker, in words (for logs and the status line)."""
        return self._condition

    def connected(self) -> bool:
        return self._connected

    def start(self) -> None:
        """Start connecting in the background; returns at once whatever the broker does."""
        where = f"{self._settings.host}:{self._settings.port}"
        try:
            client = new_client(self._settings, f"spotter-{self._topics.node}")
        except BrokerError as err:
            self._condition = str(err)
            log.error("MQTT is off: %s", err)
            return
        client.will_set(self._topics.availability, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(RECONNECT_MIN_SECONDS, RECONNECT_MAX_SECONDS)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self._client = client
        self._condition = f"connecting to {where}"
        client.connect_async(
            self._settings.host,
            self._settings.port,
            KEEPALIVE_SECONDS,
            clean_start=True,
            properties=_connect_properties(),
        )
        client.loop_start()
        self._thread = threading.Thread(target=self._run, name="spotter-mqtt", daemon=True)
        self._thread.start()
        log.info("MQTT: publishing as %s on %s", self._topics.base, where)

    def stop(self, timeout: float = STOP_FLUSH_SECONDS) -> None:
        """Say "offline" (when connected) and disconnect; waits at most about ``timeout``."""
        if self._thread is None or self._client is None:
            return
        self._queue.put(_Stop())
        self._thread.join(timeout)
        client = self._client
        with self._lock:
            connected, self._connected = self._connected, False
        if connected:
            info = client.publish(self._topics.availability, OFFLINE, qos=1, retain=True)
            # The connection may go first; then the last will says the same.
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        client.disconnect()
        client.loop_stop()
        self._condition = "stopped"

    # -- the bridge's thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Stop):
                return
            try:
                self._handle(item)
            except Exception:
                log.exception("MQTT: could not publish %r", item)

    def _handle(self, item: _Item) -> None:
        client = self._client
        assert client is not None
        if isinstance(item, Gesture):
            if self._connected:
                client.publish(self._topics.gesture, json.dumps(gesture_payload(item)), qos=0)
            return
        with self._lock:
            if isinstance(item, Status):
                self._status = item
            elif isinstance(item, _Week):
                self._sessions = item.sessions
            self._publish_state(client, force=False)

    def _publish_state(self, client: Client, *, force: bool) -> None:
        # Called with the lock held.
        if self._status is None or not self._connected:
            return
        payload = json.dumps(state_payload(self._status, self._sessions))
        if payload == self._published and not force:
            return
        client.publish(self._topics.state, payload, qos=1, retain=True)
        self._published = payload

    # -- paho's network thread ---------------------------------------------------------------

    def _on_connect(
        self,
        client: Client,
        userdata: Any,
        flags: ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        where = f"{self._settings.host}:{self._settings.port}"
        if reason.is_failure:
            self._set_away(f"the MQTT broker at {where} {refusal(reason)}")
            return
        client.subscribe([(self._topics.command, 1), (self._topics.home_assistant_status, 0)])
        self._announce(client)
        self._condition = f"connected to {where}"
        if self._warned:
            log.warning("MQTT: connected to %s again", where)
        else:
            log.info("MQTT: connected to %s", where)
        self._warned = False

    def _announce(self, client: Client) -> None:
        self._announced_at = time.monotonic()
        for topic, payload in discovery(self._topics, self._device_name, self._version, self._page):
            client.publish(topic, payload, qos=1, retain=True)
        client.publish(self._topics.availability, ONLINE, qos=1, retain=True)
        with self._lock:
            self._connected = True
            self._publish_state(client, force=True)

    def _on_connect_fail(self, client: Client, userdata: Any) -> None:
        where = f"{self._settings.host}:{self._settings.port}"
        self._set_away(f"the MQTT broker at {where} cannot be reached")

    def _on_disconnect(
        self,
        client: Client,
        userdata: Any,
        flags: DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            was_connected, self._connected = self._connected, False
        if was_connected:
            where = f"{self._settings.host}:{self._settings.port}"
            self._set_away(f"lost the MQTT broker at {where} ({reason.getName()})")

    def _set_away(self, why: str) -> None:
        self._condition = why
        # Once per outage: a broker that stays away must not fill the journal.
        if not self._warned:
            log.warning("%s; trying again in the background", why)
            self._warned = True
        else:
            log.debug("%s", why)

    def _on_message(self, client: Client, userdata: Any, message: MQTTMessage) -> None:
        if message.topic == self._topics.home_assistant_status:
            if message.payload == ONLINE.encode() and not self._announced_lately():
                # Home Assistant restarted: say everything again.
                self._announce(client)
            return
        if message.retain:
            # Kept by the broker from before this connection: an old press, not a new one.
            self._bad_command(bytes(message.payload), "it was a retained message")
            return
        try:
            command = parse_command(bytes(message.payload))
        except ValueError as err:
            self._bad_command(bytes(message.payload), str(err))
            return
        self._command(command)

    def _announced_lately(self) -> bool:
        at = self._announced_at
        return at is not None and time.monotonic() - at < REDISCOVER_SECONDS

    def _bad_command(self, payload: bytes, why: str) -> None:
        shown = payload[:40].decode(errors="replace")
        if self._bad_command_logged:
            log.debug("MQTT: ignored the command %r: %s", shown, why)
            return
        self._bad_command_logged = True
        log.warning(
            "MQTT: ignored the command %r on %s: %s (later bad commands are logged at debug level)",
            shown,
            self._topics.command,
            why,
        )


def probe(settings: MqttSettings, timeout: float = CONNECT_TIMEOUT_SECONDS) -> str:
    """Connect once and say how it went; ``BrokerError`` says why it did not (for doctor)."""
    where = f"{settings.host}:{settings.port}"
    client = new_client(settings, f"spotter-doctor-{os.getpid()}")
    answer: list[ReasonCode] = []
    done = threading.Event()

    def on_connect(
        client: Client, userdata: Any, flags: Any, reason: ReasonCode, properties: Any
    ) -> None:
        answer.append(reason)
        done.set()

    client.on_connect = on_connect
    try:
        client.connect(settings.host, settings.port, KEEPALIVE_SECONDS)
    except (OSError, ValueError) as err:
        raise BrokerError(f"the MQTT broker at {where} cannot be reached: {err}") from None
    deadline = time.monotonic() + timeout
    try:
        while not done.is_set() and time.monotonic() < deadline:
            client.loop(0.1)
    finally:
        client.disconnect()
    if not answer:
        raise BrokerError(f"the MQTT broker at {where} did not answer within {timeout:g} s")
    if answer[0].is_failure:
        raise BrokerError(f"the MQTT broker at {where} {refusal(answer[0])}")
    return f"the MQTT broker at {where} accepted the connection"
