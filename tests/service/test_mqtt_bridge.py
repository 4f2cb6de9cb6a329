"""The MQTT bridge against a real Mosquitto broker, with Home Assistant's side as a listener."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from device.events import Action, Gesture, State, Status
from device.service.homeassistant import MqttSettings, parse_command
from device.service.mqtt import BrokerError, MqttBridge, probe
from tests import mosquitto
from tests.mosquitto import Listener, Mosquitto

broker = mosquitto.broker

HOST = "corner-2"
BASE = "spotter/corner-2"


class Commands:
    """The bridge's command sink: what reached "the worker"."""

    def __init__(self) -> None:
        self.seen: list[Gesture | Action] = []
        self._changed = threading.Condition()

    def __call__(self, command: Gesture | Action) -> None:
        with self._changed:
            self.seen.append(command)
            self._changed.notify_all()

    def wait(self, count: int) -> list[Gesture | Action]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.seen) >= count, 10), self.seen
            return list(self.seen)


@pytest.fixture
def commands() -> Commands:
    return Commands()


def make_bridge(port: int, commands: Commands, **settings: object) -> MqttBridge:
    return MqttBridge(
        MqttSettings(host="127.0.0.1", port=port, **settings),  # type: ignore[arg-type]
        command=commands,
        hostname=HOST,
        device_name="Spotter (corner-2)",
        version="0.1.0",
        page="http://corner-2.local:8080",
    )


@pytest.fixture
def running(broker, commands):
    bridge = make_bridge(broker.port, commands)
    bridge.start()
    yield bridge
    bridge.stop()


@pytest.fixture
def listener(broker):
    found = Listener(broker.port, "homeassistant/#", f"{BASE}/#")
    yield found
    found.close()


def rest(set_number: int) -> Status:
    return Status(state=State.REST, exercise_index=1, exercise_name="Hip thrusts", set=set_number)


def test_discovery_configs_are_retained_with_one_device(running, broker):
    running.status_changed(rest(2))
    # A listener that arrives later (Home Assistant starting after Spotter) still sees them.
    first = Listener(broker.port, f"{BASE}/state")
    first.on(f"{BASE}/state")
    first.close()
    late = Listener(broker.port, "homeassistant/#")
    try:
        event = late.on("homeassistant/event/corner-2/button/config")
        sensor = late.on("homeassistant/sensor/corner-2/exercise/config")
        press = late.on("homeassistant/button/corner-2/press/config")
    finally:
        late.close()
    assert event.retain and sensor.retain and press.retain
    configs = {m.topic: m.json() for m in late.messages}
    sensors = {t.split("/")[3] for t in configs if t.startswith("homeassistant/sensor/")}
    assert sensors == {"state", "exercise", "set", "rep", "sessions_this_week"}
    buttons = {t.split("/")[3] for t in configs if t.startswith("homeassistant/button/")}
    assert {"press", "repeat", "pause"} <= buttons
    assert {c["device"]["identifiers"][0] for c in configs.values()} == {"spotter_corner-2"}
    # Home Assistant's "Visit" link on the device opens the phone page.
    assert {c["device"]["configuration_url"] for c in configs.values()} == {
        "http://corner-2.local:8080"
    }
    assert {c["availability_topic"] for c in configs.values()} == {f"{BASE}/availability"}
    assert event.json()["event_types"] == ["press", "double", "hold", "long_hold"]
    assert press.json()["command_topic"] == f"{BASE}/command"
    assert sensor.json()["value_template"] == "{{ value_json.exercise }}"


def test_state_is_retained_and_published_on_change_only(running, listener):
    running.status_changed(rest(1))
    first = listener.on(f"{BASE}/state")
    assert first.json()["state"] == "rest"
    assert first.json()["exercise"] == "Hip thrusts"
    assert first.json()["set"] == 1
    assert listener.on(f"{BASE}/availability").payload == b"online"
    seen = len(listener.messages)
    # The same state again (say, only the countdown moved) publishes nothing; a new set does.
    running.status_changed(rest(1))
    running.week_counted(3)
    later = listener.on(f"{BASE}/state", after=seen)
    assert later.json()["sessions_this_week"] == 3
    assert later.json()["set"] == 1
    assert [m.topic for m in listener.messages[seen:]].count(f"{BASE}/state") == 1


def test_a_command_reaches_the_worker_and_a_bad_one_is_logged_once(
    running, listener, commands, caplog
):
    listener.on(f"{BASE}/availability")
    caplog.set_level(logging.DEBUG, logger="device.service.mqtt")
    for payload in (b"fly", b"\xff\xfe", b"x" * 500, b'{"gesture": "jump"}', b"press"):
        listener.publish(f"{BASE}/command", payload)
    listener.publish(f"{BASE}/command", b"pause")
    listener.publish(f"{BASE}/command", b'{"gesture": "double"}')
    assert commands.wait(3) == [Gesture.PRESS, Action.PAUSE, Gesture.DOUBLE]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "ignored" in r.msg]
    assert len(warnings) == 1
    assert "'fly'" in warnings[0].getMessage()
    assert "must be one of: press, double, hold, long_hold" in warnings[0].getMessage()
    assert len([r for r in caplog.records if "ignored the command" in r.msg]) == 4


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"", "must be one of"),
        (b"PRESS", "must be one of"),
        (b"\xff", "not UTF-8"),
        (b"{", "not valid JSON"),
        (b'{"gesture": "press", "x": 1}', "must be {"),
        (b'{"gesture": "pause"}', "gesture must be one of"),
        (b"p" * 65, "longer than 64 bytes"),
    ],
)
def test_command_payloads_are_checked(payload, why):
    with pytest.raises(ValueError, match=why):
        parse_command(payload)


def test_a_physical_gesture_is_an_event(running, listener):
    listener.on(f"{BASE}/availability")
    running.gesture_made(Gesture.HOLD)
    event = listener.on(f"{BASE}/gesture")
    assert json.loads(event.payload) == {"event_type": "hold"}
    assert not event.retain


def test_a_clean_stop_says_offline_and_a_lost_device_gets_its_last_will(broker, commands):
    bridge = make_bridge(broker.port, commands)
    listener = Listener(broker.port, f"{BASE}/availability")
    try:
        bridge.start()
        listener.on(f"{BASE}/availability")
        seen = len(listener.messages)
        bridge.stop()
        offline = listener.on(f"{BASE}/availability", after=seen)
        assert offline.payload == b"offline"

        lost = make_bridge(broker.port, commands)
        lost.start()
        seen = listener.messages.index(offline) + 1
        assert listener.on(f"{BASE}/availability", after=seen).payload == b"online"
        seen = len(listener.messages)
        # The device vanishes without a word: its socket just closes.
        assert lost._client is not None
        lost._client.loop_stop()
        lost._client.socket().close()  # type: ignore[union-attr]
        assert listener.on(f"{BASE}/availability", after=seen).payload == b"offline"
    finally:
        listener.close()


def test_a_restarted_broker_gets_the_state_again(running, broker, commands):
    running.status_changed(rest(1))
    listener = Listener(broker.port, f"{BASE}/state")
    listener.on(f"{BASE}/state")
    listener.close()
    broker.kill()
    # Changes while the broker is away are kept, not queued up one by one.
    running.status_changed(rest(2))
    running.status_changed(rest(3))
    broker.start()  # remembers nothing: persistence is off
    listener = Listener(broker.port, f"{BASE}/state", "homeassistant/sensor/#")
    try:
        state = listener.wait_for(lambda m: m.topic == f"{BASE}/state", timeout=30)
        assert state.json()["set"] == 3
        listener.on("homeassistant/sensor/corner-2/rep/config")
    finally:
        listener.close()
    assert running.connected()
    # Retained again, for whoever subscribes next.
    later = Listener(broker.port, f"{BASE}/state")
    try:
        kept = later.on(f"{BASE}/state")
    finally:
        later.close()
    assert kept.retain
    assert kept.json()["set"] == 3


def test_a_wrong_password_is_reported(tmp_path, commands, caplog):
    secured = Mosquitto(tmp_path, users={"coach": "right-one"})
    secured.start()
    try:
        wrong = tmp_path / "wrong"
        wrong.write_text("not-it\n")
        settings = MqttSettings(
            host="127.0.0.1", port=secured.port, username="coach", password_file=wrong
        )
        with pytest.raises(BrokerError, match=r"refused the connection .*(authori|password)"):
            probe(settings)
        right = tmp_path / "right"
        right.write_text("right-one\n")
        assert "accepted" in probe(
            MqttSettings(host="127.0.0.1", port=secured.port, username="coach", password_file=right)
        )

        caplog.set_level(logging.WARNING, logger="device.service.mqtt")
        bridge = make_bridge(secured.port, commands, username="coach", password_file=wrong)
        bridge.start()
        try:
            with caplog.at_level(logging.WARNING):
                deadline_ok = _wait(lambda: "refused" in bridge.condition())
            assert deadline_ok, bridge.condition()
        finally:
            bridge.stop()
        refused = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refused) == 1
    finally:
        secured.kill()


def test_an_unreachable_broker_is_reported_by_the_probe():
    from tests.ports import free_port

    with pytest.raises(BrokerError, match="cannot be reached"):
        probe(MqttSettings(host="127.0.0.1", port=free_port()))


def test_an_unreadable_password_file_turns_mqtt_off_without_stopping_spotter(tmp_path, commands):
    bridge = make_bridge(1883, commands, username="coach", password_file=tmp_path / "missing")
    bridge.start()
    assert "cannot read mqtt.password_file" in bridge.condition()
    bridge.status_changed(rest(1))  # still only a queue
    bridge.stop()


def _wait(predicate, timeout: float = 10.0) -> bool:
    event = threading.Event()
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        event.wait(0.05)  # waiting on another thread's connection attempt
    return predicate()
