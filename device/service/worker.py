"""The running Spotter: one worker thread owns the engine and the voice.

Everything that happens to Spotter (a pin edge, a tap on the phone page, a
settings change) arrives as an item on one queue. The worker is the only
thread that touches the engine, so the engine needs no locks and the order in
which the user did things is the order in which they are answered.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from device.engine import phrases as script
from device.engine.session import SessionRecord, WorkoutSession
from device.events import Action, Gesture, Line, State, Status, actions_by_name
from device.engine.gestures import Edge, GestureDetector
from device.voice.speaker import Voice, VoiceSettings
from routines.model import Routine
from routines.settings import Settings
from routines.store import HistoryEntry, Store
from routines.week import week_start

log = logging.getLogger(__name__)

Clock = Callable[[], float]

_COUNTING = frozenset({State.HOLD, State.REST})
_ADDRESS_STATES = frozenset({State.IDLE, State.DONE})


@dataclass(frozen=True, slots=True)
class _Reload:
    pass


@dataclass(frozen=True, slots=True)
class _Say:
    text: str


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


_Item = Edge | Gesture | Action | _Reload | _Say | _Stop


class Spotter:
    """The daemon's core: wires store, engine, gestures and voice; implements SessionControl."""

    def __init__(
        self,
        store: Store,
        voice: Voice,
        *,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        address_lookup: Callable[[], str | None] | None = None,
        settings_filter: Callable[[Settings], Settings] | None = None,
        heartbeat: Callable[[], object] | None = None,
        heartbeat_interval: float | None = None,
        on_status: Callable[[Status], None] | None = None,
    ) -> None:
        """``address_lookup`` gives the page's URL (asked again whenever it is to be spoken:
        Wi-Fi often comes up after Spotter); ``settings_filter`` lets the config file pin
        settings; ``heartbeat`` is called from the worker loop at least every
        ``heartbeat_interval`` seconds (the systemd watchdog)."""
        self._store = store
        self._voice = voice
        self._clock = clock
        self._wall_clock = wall_clock
        self._address_lookup = address_lookup
        self._settings_filter = settings_filter
        self._heartbeat = heartbeat
        self._heartbeat_interval = heartbeat_interval
        self._on_status = on_status
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._gestures = GestureDetector()
        self._session = WorkoutSession(clock)
        self._actions: dict[Gesture, Action] = {}
        self._status = self._session.status()
        self._status_at = clock()
        self._status_version = 0
        self._status_changed = threading.Condition()
        self._last_snapshot: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None
        self._apply_settings()

    # -- SessionControl: called from any thread, only ever queues --------------------------

    def submit_edge(self, edge: Edge) -> None:
        """The button's sink: runs on the pin factory's thread, so it only queues."""
        self._queue.put(edge)

    def gesture(self, gesture: Gesture) -> None:
        self._queue.put(gesture)

    def act(self, action: Action) -> None:
        self._queue.put(action)

    def reload(self) -> None:
        self._queue.put(_Reload())

    def test_voice(self, text: str) -> None:
        self._queue.put(_Say(text))

    def voices(self) -> list[tuple[str, str]]:
        return self._voice.voices()

    def status(self) -> Status:
        # The worker publishes only when something happens; between two events a hold or
        # rest still counts down, so age the published figure instead of waking the worker.
        status, at = self._status, self._status_at
        if status.remaining_seconds is None or status.state not in _COUNTING:
            return status
        left = max(0, math.ceil(status.remaining_seconds - (self._clock() - at)))
        return dataclasses.replace(status, remaining_seconds=left)

    def settings(self) -> Settings:
        """The settings in force: the store's, with what the config file pins."""
        settings = self._store.settings()
        return settings if self._settings_filter is None else self._settings_filter(settings)

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        with self._status_changed:
            self._status_changed.wait_for(lambda: self._status_version != seen, timeout)
            return self._status_version, self._status

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Greet (or offer to resume), then run the worker in its own thread."""
        self.greet()
        self._thread = threading.Thread(target=self.run, name="spotter-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the item in hand, save the session in progress and stop the worker."""
        self._queue.put(_Stop())
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        """The worker loop. Sleeps on the queue until an item or the next deadline: no polling."""
        while True:
            try:
                item: _Item | None = self._queue.get(timeout=self._wait_time())
            except queue.Empty:
                item = None
            if not self._handle(item):
                return

    def drain(self) -> None:
        """Handle everything queued and everything due now, without waiting; then return.

        This is the worker loop without its sleep, for tests driven by a fake clock.
        """
        while True:
            try:
                item: _Item | None = self._queue.get_nowait()
            except queue.Empty:
                self._handle(None)
                return
            if not self._handle(item):
                return

    def _handle(self, item: _Item | None) -> bool:
        if isinstance(item, _Stop):
            self._save_progress()
            return False
        try:
            self._step(item)
        except Exception:
            # One bad event must not take the button away from the user.
            log.exception("error while handling %r", item)
        if self._heartbeat is not None:
            self._heartbeat()
        return True

    # -- the worker's own methods -------------------------------------------------------------

    def _wait_time(self) -> float | None:
        """How long the worker may sleep: until the next deadline or heartbeat; None = forever."""
        waits = [
            d - self._clock()
            for d in (self._session.next_deadline(), self._gestures.next_deadline())
            if d is not None
        ]
        if self._heartbeat_interval is not None:
            waits.append(self._heartbeat_interval)
        return max(0.0, min(waits)) if waits else None

    def _step(self, item: _Item | None) -> None:
        if isinstance(item, Edge):
            for gesture in self._gestures.edge(item.pressed, item.at):
                self._on_gesture(gesture)
        elif isinstance(item, Gesture):
            self._on_gesture(item)
        elif isinstance(item, Action):
            if item is Action.PAUSE:
                self._refresh_address()
            self._speak(self._session.handle(item))
        elif isinstance(item, _Reload):
            self._apply_settings()
        elif isinstance(item, _Say):
            self._voice.speak([Line(item.text, interrupt=True)])
        now = self._clock()
        if self._queue.empty():
            # Edges still queued carry earlier timestamps; asking the detector what is due
            # "now" before they are read would measure a late worker's press as a hold.
            for gesture in self._gestures.poll(now):
                self._on_gesture(gesture)
        self._speak(self._session.tick())
        # Persisting comes after speaking: the answer to a press must not wait for an fsync.
        self._record_finished()
        self._save_progress()
        self._publish()

    def _on_gesture(self, gesture: Gesture) -> None:
        if self._actions.get(gesture) is Action.PAUSE:
            self._refresh_address()
        self._speak(self._session.handle_gesture(gesture))

    def _refresh_address(self) -> None:
        # Only idle or done speak the address; mid-workout a pause must not wait for a lookup.
        if self._address_lookup is not None and self._status.state in _ADDRESS_STATES:
            self._session.set_address(self._address_lookup())

    def _speak(self, lines: list[Line]) -> None:
        if lines:
            self._voice.speak(lines)
        self._publish()

    def _publish(self) -> None:
        status = self._session.status()
        if status == self._status:
            return
        with self._status_changed:
            self._status = status
            self._status_at = self._clock()
            self._status_version += 1
            self._status_changed.notify_all()
        if self._on_status is not None:
            self._on_status(status)

    def greet(self) -> None:
        """Say Spotter is ready and where its page is; offer to resume a cut-short workout."""
        lines: list[Line] | None = None
        progress = self._store.load_progress()
        if progress is not None:
            try:
                lines = self._session.offer_resume(progress)
                self._last_snapshot = progress
            except ValueError as err:
                log.warning("the saved session could not be resumed (%s); starting fresh", err)
                self._store.save_progress(None)
        if lines is None:
            lines = self._session.greeting()
        if self._address_lookup is not None:
            url = self._address_lookup()
            self._session.set_address(url)
            log.info("the phone page is at %s", url or "(no network address yet)")
            if url:
                lines = [*lines, Line(script.address(url))]
        self._speak(lines)

    def _apply_settings(self) -> None:
        settings = self.settings()
        self._actions = actions_by_name(settings.gesture_actions)
        self._gestures.configure(
            debounce=settings.debounce_ms / 1000,
            double_window=settings.double_press_ms / 1000,
            hold=settings.hold_ms / 1000,
            long_hold=settings.long_hold_ms / 1000,
        )
        self._session.configure(
            default_rest=settings.default_rest_seconds,
            gesture_actions=self._actions,
        )
        self._voice.configure(
            VoiceSettings(
                voice_id=settings.voice_id, rate=settings.voice_rate, volume=settings.voice_volume
            )
        )
        active = self._store.active_routine()
        routine = active.routine if active is not None else None
        if routine is not None:
            # Render every line of the routine now, so a press never waits for speech synthesis.
            self._voice.prepare(
                sorted(
                    script.routine_lines(
                        routine,
                        default_rest=settings.default_rest_seconds,
                        gesture_actions=self._actions,
                    )
                )
            )
        self._load_routine(routine, settings)

    def _load_routine(self, routine: Routine | None, settings: Settings) -> None:
        goal = None
        done = 0
        if routine is not None:
            goal = routine.sessions_per_week or settings.weekly_goal
            done = self._store.sessions_since(week_start(self._wall_clock()), routine.id)
        self._session.set_routine(routine, sessions_this_week=done, weekly_goal=goal)

    def _record_finished(self) -> None:
        record: SessionRecord | None = self._session.pop_finished()
        if record is None:
            return
        finished = self._wall_clock()
        self._store.add_history(
            HistoryEntry(
                routine_id=record.routine_id,
                routine_name=record.routine_name,
                started_at=finished - record.seconds,
                finished_at=finished,
                exercises_done=record.exercises_done,
                sets_done=record.sets_done,
                completed=record.completed,
            )
        )
        # The week's count feeds the next summary.
        active = self._store.active_routine()
        self._load_routine(active.routine if active else None, self.settings())

    def _save_progress(self) -> None:
        snapshot = self._session.snapshot()
        if snapshot == self._last_snapshot:
            return
        self._store.save_progress(snapshot)
        self._last_snapshot = snapshot
