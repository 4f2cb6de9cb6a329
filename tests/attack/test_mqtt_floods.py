"""What others publish on the broker: a huge command, a retained one, a flood of births.
Everything is real: Mosquitto, the bridge, and the daemon under the unit's memory limit."""

from __future__ import annotations

import socket

import pytest

from device.events import Action
from device.service.homeassistant import MqttSettings
from device.service.mqtt import REDISCOVER_SECONDS, MqttBridge
from tests import mosquitto
from tests.attack.memory_cgroup import memory_cgroup, peak_rss
from tests.mosquitto import Listener
from tests.service.test_mqtt_bridge import Commands
from tests.service.test_mqtt_daemon import BASE, Daemon, state_is

pytestmark = pytest.mark.attack

broker = mosquitto.broker
__all__ = ["broker", "memory_cgroup"]

BRIDGE_BASE = "spotter/corner-2"
HUNDRED_MB = 100 * 1024 * 1024
DAEMON_PEAK_LIMIT = 80 * 1024 * 1024


def _bridge(port: int, commands: Commands) -> MqttBridge:
    return MqttBridge(
        MqttSettings(host="127.0.0.1", port=port),
        command=commands,
        hostname="corner-2",
        device_name="Spotter (corner-2)",
        version="0.1.0",
    )


def test_a_retained_press_is_not_replayed_when_spotter_connects(broker):
    listener = Listener(broker.port, f"{BRIDGE_BASE}/availability")
    commands = Commands()
    bridge = _bridge(broker.port, commands)
    try:
        listener.client.publish(
            f"{BRIDGE_BASE}/command", "press", qos=1, retain=True
        ).wait_for_publish(10)
        bridge.start()
        listener.wait_for(lambda m: m.payload == b"online")
        # A live command after it, on the same subscription: it comes after any replay.
        listener.publish(f"{BRIDGE_BASE}/command", "pause")
        assert commands.wait(1) == [Action.PAUSE]
    finally:
        bridge.stop()
        listener.close()


def test_a_flood_of_home_assistant_births_announces_once_per_period(broker):
    listener = Listener(broker.port, "homeassistant/+/corner-2/#", f"{BRIDGE_BASE}/availability")
    commands = Commands()
    bridge = _bridge(broker.port, commands)
    bridge.start()
    try:
        listener.wait_for(lambda m: m.payload == b"online")
        configs_at_start = sum(m.topic.endswith("/config") for m in listener.messages)
        births = 1000
        for _ in range(births):
            listener.client.publish("homeassistant/status", "online", qos=0)
        # Messages of one connection arrive in order: once this command is in, every
        # birth before it has been handled.
        listener.publish(f"{BRIDGE_BASE}/command", "pause")
        commands.wait(1)
        mark = len(listener.messages)
    finally:
        bridge.stop()
    # The bridge's offline comes after everything it published before.
    listener.wait_for(lambda m: m.payload == b"offline", timeout=30, after=mark)
    listener.close()
    configs = sum(m.topic.endswith("/config") for m in listener.messages) - configs_at_start
    # The flood takes far less than REDISCOVER_SECONDS here: one announcement, maybe two.
    assert REDISCOVER_SECONDS >= 2
    assert configs <= 2 * configs_at_start, f"{configs} discovery messages for {births} births"


def test_a_100_mb_command_retained_and_live_leaves_the_daemon_small(
    broker, tmp_path, memory_cgroup
):
    listener = Listener(broker.port, f"{BASE}/#")
    try:
        huge = b"p" * HUNDRED_MB
        # Retained: it would come back at every start.
        listener.client.publish(f"{BASE}/command", huge, qos=1, retain=True).wait_for_publish(60)
        daemon = Daemon(tmp_path, broker.port, preexec_fn=memory_cgroup.enter)
        try:
            listener.wait_for(state_is("idle"), timeout=40)
            listener.client.publish(f"{BASE}/command", huge, qos=1).wait_for_publish(60)
            del huge
            mark = len(listener.messages)
            listener.publish(f"{BASE}/command", "press")
            listener.wait_for(state_is("intro"), timeout=20, after=mark)
            assert daemon.process.poll() is None
            peak = peak_rss(daemon.process.pid)
            assert peak <= DAEMON_PEAK_LIMIT, f"peak RSS {peak / 2**20:.0f} MB"
            assert memory_cgroup.oom_kills() == 0
        finally:
            daemon.kill()
    finally:
        listener.close()


def _remaining_length(size: int) -> bytes:
    out = bytearray()
    while True:
        size, digit = divmod(size, 128)
        out.append(digit | (0x80 if size else 0))
        if not size:
            return bytes(out)


def test_a_broker_that_ignores_the_limit_cannot_make_spotter_buffer_its_packet():
    # A broker that does not honour the maximum packet size: it says a 100 MB publish is
    # coming and starts sending it. Spotter must hang up rather than take it in.
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(10)
        bridge = _bridge(server.getsockname()[1], Commands())
        bridge.start()
        try:
            conn, _ = server.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(65536)  # CONNECT
                conn.sendall(b"\x20\x03\x00\x00\x00")  # CONNACK: accepted, no properties
                topic = f"{BRIDGE_BASE}/command".encode()
                head = b"\x30" + _remaining_length(HUNDRED_MB) + len(topic).to_bytes(2, "big")
                sent = 0
                hung_up = False
                try:
                    conn.sendall(head + topic)
                    chunk = b"p" * 65536
                    while sent < HUNDRED_MB:
                        conn.sendall(chunk)
                        sent += len(chunk)
                except OSError:
                    hung_up = True
            assert hung_up, "Spotter took in the whole 100 MB packet"
            assert sent < HUNDRED_MB // 10, f"Spotter read {sent} bytes of the packet"
        finally:
            bridge.stop(timeout=1)
