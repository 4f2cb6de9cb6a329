"""The clickers of a running Spotter: the configured ones read live, or recordings played.

Either way each clicker is one ``KeyButton`` feeding the worker's queue, so a recorded
press takes exactly the path a live one does: device, queue, worker, engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from device.engine.buttons import ButtonLink
from device.engine.gestures import Edge
from device.hardware.clicker import DeviceIdentity, KeyButton, matching
from device.hardware.clicker_playback import play, timeline
from device.hardware.evtest_recording import Recording, read_recording
from device.service.clickers import DEFAULT_KEYS, ClickerSetting, key_codes

log = logging.getLogger(__name__)


def configured_buttons(
    clickers: Sequence[ClickerSetting],
    sink: Callable[[Edge], None],
    on_link: Callable[[ButtonLink], None],
) -> list[tuple[str, KeyButton]]:
    """One KeyButton per configured clicker, with the device name it answers to."""
    return [(c.device, KeyButton(c.name, key_codes(c.keys), sink, on_link)) for c in clickers]


def recorded_buttons(
    paths: Sequence[Path],
    clickers: Sequence[ClickerSetting],
    sink: Callable[[Edge], None],
    on_link: Callable[[ButtonLink], None],
) -> list[tuple[Recording, KeyButton]]:
    """Each recording with the clicker it recorded: the configured one its device answers
    to, or else a clicker of its own with the default keys. Raises RecordingError."""
    configured = configured_buttons(clickers, sink, on_link)
    wanted = [device for device, _ in configured]
    own: dict[str, KeyButton] = {}
    bound: list[tuple[Recording, KeyButton]] = []
    for path in paths:
        recording = read_recording(path)
        identity = DeviceIdentity(str(path), recording.name, recording.uniq, recording.phys)
        index = matching(wanted, identity)
        if index is not None:
            bound.append((recording, configured[index][1]))
            continue
        name = recording.uniq or recording.name
        if name not in own:
            own[name] = KeyButton(name, key_codes(DEFAULT_KEYS), sink, on_link)
        bound.append((recording, own[name]))
    return bound


def start_playback(
    recordings: Sequence[tuple[Recording, KeyButton]],
    *,
    stop: threading.Event,
    settle: float,
    done: Callable[[], None],
) -> threading.Thread:
    """Play the recordings in real time on a thread of their own; ``done`` is called
    ``settle`` seconds after the last event (time for its gesture to be decided)."""

    def run() -> None:
        finished = play(timeline(recordings), stop=stop)
        if finished and not stop.wait(settle):
            log.info("the clicker recordings have played")
        done()

    thread = threading.Thread(target=run, name="spotter-clicker-playback", daemon=True)
    thread.start()
    return thread
