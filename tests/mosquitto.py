"""A real Mosquitto broker for tests, on a free loopback port, and a client that listens
the way Home Assistant does."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.ports import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
START_SECONDS = 10.0


def _accepting(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Mosquitto:
    """One broker process; ``kill`` and ``start`` again keep its port. It keeps nothing
    across a restart (no persistence), so whatever is retained afterwards was sent again."""

    def __init__(self, workdir: Path, *, users: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "mosquitto.log"
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "user root"]
        if users:
            passwords = workdir / "passwd"
            for name, password in users.items():
                create = ["-c"] if not passwords.exists() else []
                subprocess.run(
                    [MOSQUITTO_PASSWD, "-b", *create, str(passwords), name, password],
                    check=True,
                    capture_output=True,
                )
            passwords.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.conf)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_SECONDS
        while not _accepting(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not start listening")
            time.sleep(0.02)  # waiting for another process to open its port

    def kill(self) -> None:
        """Gone at once, as in a crash or a power cut: no goodbye to any client."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    if not Path(MOSQUITTO).exists():
        pytest.fail("mosquitto is not installed: ./dev test installs it (Debian: mosquitto)")
    found = Mosquitto(tmp_path)
    found.start()
    try:
        yield found
    finally:
        found.kill()


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> object:
        return json.loads(self.payload)


class Listener:
    """Subscribes to topics and keeps every message, like Home Assistant's side."""

    def __init__(self, port: int, *topics: str, username: str | None = None, password: str = ""):
        self.messages: list[Message] = []
        self._changed = threading.Condition()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(10), "the listener could not subscribe"

    def _on_message(self, client: object, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(Message(message.topic, message.payload, bool(message.retain)))
            self._changed.notify_all()

    def wait_for(
        self, match: Callable[[Message], bool], timeout: float = 10.0, *, after: int = 0
    ) -> Message:
        """The first message from index ``after`` on that ``match`` accepts, waiting for it."""
        with self._changed:
            found: list[Message] = []

            def seen() -> bool:
                found[:] = [m for m in self.messages[after:] if match(m)]
                return bool(found)

            if not self._changed.wait_for(seen, timeout):
                topics = [m.topic for m in self.messages]
                raise AssertionError(f"no such message within {timeout} s; got {topics}")
            return found[0]

    def on(self, topic: str, timeout: float = 10.0, *, after: int = 0) -> Message:
        return self.wait_for(lambda m: m.topic == topic, timeout, after=after)

    def publish(self, topic: str, payload: str | bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.disconnect()
        self.client.loop_stop()
