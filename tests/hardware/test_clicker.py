"""Clicker hardware: key events to edges, evtest recordings, and finding and grabbing devices.

No input device can be made here (no /dev/input, no /dev/uinput), so discovery and the
grab run against stand-in devices shaped like python-evdev's ``InputDevice`` (checked
against the real class below), fed python-evdev's own ``InputEvent`` objects, and read
through a real ``select`` on a pipe.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
from pathlib import Path

import evdev
import pytest
from evdev import ecodes
from evdev.events import InputEvent

from device.engine.buttons import ButtonLink
from device.engine.gestures import Edge
from device.hardware.clicker import DeviceIdentity, KeyButton, matching
from device.hardware.clicker_devices import ClickerWatcher, list_input_devices
from device.hardware.evtest_recording import (
    Appeared,
    Key,
    RecordingError,
    Vanished,
    parse_recording,
)

VOL, ENTER = ecodes.KEY_VOLUMEUP, ecodes.KEY_ENTER


class Seen:
    def __init__(self) -> None:
        self.edges: list[Edge] = []
        self.links: list[ButtonLink] = []

    def button(self, name: str = "remote") -> KeyButton:
        return KeyButton(name, {VOL, ENTER}, self.edges.append, self.links.append)


def test_autorepeat_and_other_keys_are_no_presses():
    seen = Seen()
    button = seen.button()
    button.key("n", VOL, 1, 1.0)
    for i in range(20):
        button.key("n", VOL, 2, 1.25 + i * 0.033)
    assert button.key("n", ecodes.KEY_A, 1, 1.5) is False
    button.key("n", VOL, 0, 2.0)
    assert seen.edges == [Edge(True, 1.0, "remote"), Edge(False, 2.0, "remote")]


def test_two_button_keys_at_once_are_one_press():
    seen = Seen()
    button = seen.button()
    button.key("kbd", VOL, 1, 1.0)
    button.key("consumer", ENTER, 1, 1.01)
    button.key("kbd", VOL, 0, 1.05)
    button.key("consumer", ENTER, 0, 1.08)
    assert [e.pressed for e in seen.edges] == [True, False]
    assert seen.edges[1].at == 1.08


def test_a_clicker_of_two_devices_comes_and_goes_once():
    seen = Seen()
    button = seen.button()
    button.appeared("kbd", 1.0)
    button.appeared("consumer", 1.0)
    button.key("kbd", VOL, 1, 2.0)
    button.vanished("kbd", 3.0)
    button.vanished("consumer", 3.0)
    button.appeared("kbd", 9.0)
    button.appeared("consumer", 9.0)
    assert [(k.connected, k.at) for k in seen.links] == [(True, 1.0), (False, 3.0), (True, 9.0)]
    # The key left down on the device that went is forgotten: the next press is a press.
    button.key("kbd", VOL, 1, 10.0)
    assert seen.edges[-1] == Edge(True, 10.0, "remote")


def test_a_device_answers_to_its_uniq_by_id_name_or_name():
    device = DeviceIdentity(
        "/dev/input/event3", "AB Shutter3", "DC:2C:26:0A:11:22", by_id=("usb-Foo-event-kbd",)
    )
    assert matching(["nope", "dc:2c:26:0a:11:22"], device) == 1
    assert matching(["usb-Foo-event-kbd"], device) == 0
    assert matching(["ab shutter3"], device) == 0
    assert matching(["AB Shutter"], device) is None


# -- recordings ----------------------------------------------------------------------------


def evdev_evtest_lines(*events: InputEvent) -> str:
    """What python-evdev's own evtest prints for ``events``."""
    from evdev import evtest

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for event in events:
            evtest.print_event(event)
    return out.getvalue()


def test_python_evdevs_evtest_output_reads_as_a_recording():
    text = evdev_evtest_lines(
        InputEvent(1700000000, 100, ecodes.EV_MSC, ecodes.MSC_SCAN, 0xC00E9),
        InputEvent(1700000000, 100, ecodes.EV_KEY, VOL, 1),
        InputEvent(1700000000, 100, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
        InputEvent(1700000000, 90100, ecodes.EV_KEY, VOL, 0),
    )
    recording = parse_recording(text, Path("ring.txt"))
    assert recording.happenings == (
        Appeared("ring", "", "", 1700000000.0001),
        Key(VOL, "KEY_VOLUMEUP", 1, 1700000000.0001),
        Key(VOL, "KEY_VOLUMEUP", 0, 1700000000.0901),
    )


def test_evtests_own_lines_with_a_device_going_and_coming_back():
    text = (
        'Input device name: "AB Shutter3"\n# uniq: dc:2c:26:0a:11:22\n'
        "Event: time 100.000000, type 1 (EV_KEY), code 115 (KEY_VOLUMEUP), value 1\n"
        "Event: time 100.000000, -------------- SYN_REPORT ------------\n"
        "evtest: error reading: No such device\n"
        'Input device name: "AB Shutter3"\n'
        "Event: time 130.500000, type 1 (EV_KEY), code 115 (KEY_VOLUMEUP), value 0\n"
    )
    recording = parse_recording(text, Path("r.txt"))
    assert recording.uniq == "dc:2c:26:0a:11:22"
    assert [type(h) for h in recording.happenings] == [Appeared, Key, Vanished, Appeared, Key]
    assert recording.happenings[2].at == 100.0
    assert recording.happenings[3].at == 130.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Event: time 1.0, type 1 (EV_KEY), code x, value 1\n", "r.txt:1: not an event line"),
        (
            "Event: time 2.0, type 1 (EV_KEY), code 28 (KEY_ENTER), value 1\n"
            "Event: time 1.0, type 1 (EV_KEY), code 28 (KEY_ENTER), value 0\n",
            "r.txt:2: time goes backwards",
        ),
        ('Input device name: "x"\n', "r.txt: holds no key events"),
    ],
)
def test_a_broken_recording_names_its_line(text, message):
    with pytest.raises(RecordingError, match=message.replace("(", r"\(")):
        parse_recording(text, Path("r.txt"))


# -- finding, grabbing and reading devices ---------------------------------------------------


class StandInDevice:
    """Shaped like ``evdev.InputDevice`` (see the test that holds it to the real class); its
    fd is a pipe, so ``select`` sees it as ready when events are waiting."""

    ATTRIBUTES = ("path", "name", "uniq", "phys")
    METHODS = ("capabilities", "grab", "read", "fileno", "close")

    def __init__(self, path: str, name: str, uniq: str, *, keys=(VOL,), busy=False) -> None:
        self.path, self.name, self.uniq, self.phys = path, name, uniq, ""
        self._keys = list(keys)
        self._busy = busy
        self._read_fd, self._write_fd = os.pipe()
        self._events: list[InputEvent] = []
        self.grabbed = False
        self.closed = False
        self.gone = False

    def capabilities(self):
        return {ecodes.EV_SYN: [0], ecodes.EV_KEY: self._keys} if self._keys else {0: [0]}

    def grab(self):
        if self._busy:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def send(self, *events: InputEvent) -> None:
        self._events += events
        os.write(self._write_fd, b"x")

    def vanish(self) -> None:
        self.gone = True
        os.write(self._write_fd, b"x")

    def read(self):
        os.read(self._read_fd, 4096)
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        events, self._events = self._events, []
        if not events:
            raise BlockingIOError
        yield from events

    def fileno(self):
        return self._read_fd

    def close(self):
        if not self.closed:
            self.closed = True
            os.close(self._read_fd)
            os.close(self._write_fd)


def test_the_stand_in_device_has_python_evdevs_shape():
    for name in StandInDevice.ATTRIBUTES:
        assert name in evdev.InputDevice.__slots__
    for name in StandInDevice.METHODS:
        assert callable(getattr(evdev.InputDevice, name))


class StandInEvdev:
    """The two things of python-evdev the watcher uses to find devices."""

    def __init__(self, *devices: StandInDevice) -> None:
        self.devices = {d.path: d for d in devices}
        self.opened: list[str] = []

    def list_devices(self, input_dir="/dev/input"):
        return list(self.devices)

    def InputDevice(self, path):  # python-evdev's name
        self.opened.append(path)
        return self.devices[path]


def watcher_for(fake: StandInEvdev, seen: Seen, tmp_path: Path, **kwargs) -> ClickerWatcher:
    times = iter(range(1000))
    return ClickerWatcher(
        [("dc:2c:26:0a:11:22", seen.button("ann"))],
        evdev=fake,
        by_id=tmp_path,
        clock=lambda: 500.0 + next(times),
        wall_clock=lambda: 1700000000.5,
        **kwargs,
    )


def test_the_configured_clicker_is_found_grabbed_read_and_followed_when_it_goes(tmp_path):
    keyboard = StandInDevice(str(tmp_path / "event0"), "Laptop keyboard", "")
    remote = StandInDevice(str(tmp_path / "event1"), "AB Shutter3", "DC:2C:26:0A:11:22")
    for d in (keyboard, remote):
        Path(d.path).touch()
    fake = StandInEvdev(keyboard, remote)
    seen = Seen()
    watcher = watcher_for(fake, seen, tmp_path)
    watcher.scan()
    assert remote.grabbed and not keyboard.grabbed
    assert keyboard.closed  # not a clicker: let go at once
    assert seen.links == [ButtonLink("ann", True, 500.0)]
    # Pressed 0.4 s before it is read: stamped that much earlier on the engine's clock.
    remote.send(
        InputEvent(1700000000, 100000, ecodes.EV_KEY, VOL, 1),
        InputEvent(1700000000, 100000, ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
        InputEvent(1700000000, 150000, ecodes.EV_KEY, VOL, 2),
    )
    watcher.read(1.0)
    assert len(seen.edges) == 1
    assert seen.edges[0].pressed and seen.edges[0].button == "ann"
    assert seen.edges[0].at == pytest.approx(501.0 - 0.4)
    remote.vanish()
    watcher.read(1.0)
    assert seen.links[-1].connected is False
    assert remote.closed
    # Its node went with it; a second look does not open the keyboard again.
    del fake.devices[remote.path]
    opened = len(fake.opened)
    watcher.scan()
    assert fake.opened[opened:] == []


def test_a_clicker_another_program_holds_is_read_anyway_and_said_so(tmp_path, caplog):
    remote = StandInDevice(str(tmp_path / "event1"), "AB Shutter3", "dc:2c:26:0a:11:22", busy=True)
    Path(remote.path).touch()
    seen = Seen()
    watcher = watcher_for(StandInEvdev(remote), seen, tmp_path)
    with caplog.at_level(logging.WARNING):
        watcher.scan()
    assert "cannot have it to itself" in caplog.text
    remote.send(InputEvent(1700000000, 500000, ecodes.EV_KEY, VOL, 1))
    watcher.read(1.0)
    assert [e.pressed for e in seen.edges] == [True]
    watcher.close()
    assert remote.closed


def test_the_list_shows_key_devices_only(tmp_path):
    mouse = StandInDevice(str(tmp_path / "event0"), "Mouse", "", keys=())
    remote = StandInDevice(str(tmp_path / "event1"), "AB Shutter3", "dc:2c:26:0a:11:22")
    found = list_input_devices(StandInEvdev(mouse, remote))
    assert [d.name for d in found] == ["AB Shutter3"]
    assert mouse.closed and remote.closed


def test_python_evdev_finds_no_devices_here_without_failing():
    # This machine has no /dev/input: the real list is empty, not an error.
    assert list_input_devices(evdev, "/nonexistent") == []
