"""The running Spotter: one worker thread owns the engine and the voice.

Everything that happens to Spotter (a pin edge, a tap on the phone page, a
settings change) arrives as an item on one queue. The worker is the only
thread that touches the engine, so the engine needs no locks and the order in
which the user did things is the order in which they are answered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from device.control import ClickerInfo, EffectiveSettings
from device.engine import phrases
from device.engine.core import (
    ButtonLink,
    Coaching,
    Engine,
    GestureTimings,
    PainScore,
    Question,
    SavedPosition,
    Trainee,
)
from device.engine.dose_talk import offer_lines
from device.engine.gestures import Edge
from device.engine.late_scores import late_score_since, takes_late_score
from device.engine.pin_recovery import PinRecovery, Recovery
from device.engine.preview import people_lines, planned_lines, preview_script, routine_lines
from device.engine.progression import likely_offer
from device.events import Action, Gesture, Line, Speech, State, Status
from device.service import progress
from device.service.clickers import ClickerSetting, button_specs
from device.service.config import PinnedSettings
from device.service.lines_ahead import LinesSearch, SearchFailed
from device.service.lines_memo import LinesMemo, script_digest
from device.service.listeners import Listener, Listeners, LiveStatus
from device.service.pairing import FIXED_STEPS, ClickerPairing
from device.voice.speaker import Voice, VoiceProblem
from device.voice.tts import VoiceSettings
from routines.changes import Data
from routines.errors import DoseError
from routines.model import HistoryEntry, Routine, Suggestion
from routines.profiles import Profile
from routines.settings import Settings
from routines.store import Store
from routines.week import week_start, weekly_goal

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# Between workouts a restart costs the user nothing: the only states where a silent
# voice may be left to the watchdog.
_RESTARTABLE = frozenset({State.IDLE, State.DONE})
# How often the voice's health is looked at when nothing else wakes the worker.
HEALTH_EVERY = 30.0
# Previews run a whole routine through the engine: keep the last few, by routine and settings.
_PREVIEWS_KEPT = 8


def coaching_of(settings: Settings) -> Coaching:
    """The engine's view of the coaching settings."""
    return Coaching(
        default_rest=settings.default_rest_seconds,
        pace=settings.pace,
        verbosity=settings.verbosity,
        idle_reminder=settings.idle_reminder_seconds,
        idle_pause=settings.idle_pause_seconds,
        abandon_after=settings.abandon_after_minutes * 60,
    )


def gesture_timings(settings: Settings) -> GestureTimings:
    """The settings' gesture timings (milliseconds) as the engine takes them (seconds)."""
    return GestureTimings(
        debounce=settings.debounce_ms / 1000,
        double_window=settings.double_press_ms / 1000,
        hold=settings.hold_ms / 1000,
        long_hold=settings.long_hold_ms / 1000,
    )


_ScriptKey = tuple[Routine, int, frozenset[tuple[Gesture, Action]]]


@dataclass(frozen=True, slots=True)
class _Reload:
    pass


@dataclass(frozen=True, slots=True)
class _Changed:
    """The store committed changes; which ones are gathered in ``Spotter._changes``."""


@dataclass(frozen=True, slots=True)
class _Replaced:
    """A restore put other data in place of the store's."""


@dataclass(frozen=True, slots=True)
class _LinesAhead:
    """Every line of these routines, found off the worker (``_search_ahead``)."""

    scripts: dict[_ScriptKey, list[str]]


@dataclass(frozen=True, slots=True)
class _Say:
    text: str
    interrupt: bool = True


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


@dataclass(frozen=True, slots=True)
class _Announce:
    pass


@dataclass(frozen=True, slots=True)
class _PairAsked:
    """The phone page asked for a clicker to be paired."""


@dataclass(frozen=True, slots=True)
class _Answer:
    question: Question
    value: int


_Item = (
    Edge
    | ButtonLink
    | Gesture
    | Action
    | _Reload
    | _Changed
    | _Replaced
    | _LinesAhead
    | _Say
    | _Stop
    | _Answer
    | _Announce
    | _PairAsked
    | Speech
)

# A routine's script, as the settings that shape it say it: kept by all three.


def _script_settings(settings: Settings) -> tuple[int, frozenset[tuple[Gesture, Action]]]:
    return settings.default_rest_seconds, frozenset(settings.gesture_actions.items())


# What the next press needs re-read when the store says these changed.
_RECONFIGURE = frozenset({Data.ROUTINES, Data.PROFILES, Data.SETTINGS, Data.DOSES})
_PEOPLE = frozenset({Data.HISTORY})


@dataclass(frozen=True, slots=True)
class Clocks:
    """``monotonic`` stamps the button's edges and drives the engine; ``wall`` dates
    the history and counts the week."""

    monotonic: Clock = time.monotonic
    wall: Clock = time.time


REAL_CLOCKS = Clocks()


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What the config file and the daemon fix for a run.

    ``pinned``: the settings the config file sets, in force whatever the store says;
    ``clickers``: the config's clickers, whose owners are profiles; ``pin_recovery``
    offers to clear the web PIN after a long hold in the first minute;
    ``heartbeat_interval``: the longest the worker may go without telling its
    listeners it is ``alive`` (the systemd watchdog); ``lines_search`` finds every line
    of routines elsewhere (``lines_ahead.search_in_child``; None: on a thread here);
    ``lines_memo`` remembers what searches found between starts (None: nothing is kept).
    """

    pinned: PinnedSettings | None = None
    clickers: tuple[ClickerSetting, ...] = ()
    pin_recovery: bool = False
    heartbeat_interval: float | None = None
    lines_search: LinesSearch | None = None
    lines_memo: LinesMemo | None = None


class Spotter:
    """The daemon's core: wires store, engine, gestures and voice; implements SessionControl."""

    def __init__(
        self,
        store: Store,
        voice: Voice,
        *,
        clocks: Clocks = REAL_CLOCKS,
        listeners: Sequence[Listener] = (),
        address_lookup: Callable[[], list[str]] | None = None,
        setup: WorkerSetup = WorkerSetup(),
    ) -> None:
        """``address_lookup`` gives the page's URLs, the best first (asked again whenever
        they are to be spoken: Wi-Fi often comes up after Spotter). ``listeners`` hear
        what happens (see ``device.service.listeners``); ``alive`` is held back while the
        voice has made nothing for too long and Spotter is between workouts, so that
        systemd restarts it."""
        clock = clocks.monotonic
        self._store = store
        self._clickers = setup.clickers
        self._voice = voice
        self._clock = clock
        self._wall_clock = clocks.wall
        self._address_lookup = address_lookup
        self._pinned = setup.pinned
        self._heartbeat_interval = setup.heartbeat_interval
        self._lines_search = setup.lines_search
        self._memo = setup.lines_memo
        self._voice_problem: VoiceProblem | None = None
        self._store_warned = False
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        # Only the daemon offers it: it answers the power cycle that started this process.
        armed = setup.pin_recovery and bool(store.settings().pin_hash)
        recovery = PinRecovery(clock(), armed=armed)
        # What the trainee hears drives the engine's timing: the voice reports each line's
        # start and end at the sound device (a stand-in voice that cannot is estimated).
        report_to = getattr(voice, "report_to", None)
        if report_to is not None:
            report_to(self._heard)
        self._engine = Engine(
            clock, address=self._address, recovery=recovery, speech_reported=report_to is not None
        )
        # Pairing speaks each step in turn, from its own thread: through the queue.
        self._pairing = ClickerPairing(lambda text: self._queue.put(_Say(text, interrupt=False)))
        self._preview_lock = threading.Lock()
        self._previews: dict[_ScriptKey, list[str]] = {}
        self._scripts: dict[_ScriptKey, list[str]] = {}
        # Scripts whose every line is known, and those being searched for them.
        self._full: set[_ScriptKey] = set()
        self._pending: set[_ScriptKey] = set()
        self._searches: list[threading.Thread] = []
        self._status = self._engine.status()
        # The phone page's view hears first; the voice's health and the week's count are
        # looked at for the others only.
        self._live = LiveStatus(self._status, clock)
        self._listeners = Listeners([self._live, *listeners])
        self._watched = bool(listeners)
        self._last_snapshot: SavedPosition | None = None
        self._thread: threading.Thread | None = None
        # Pain scores of the workout under way, and the last workout written (id, when).
        self._pain: dict[str, int] = {}
        self._last_written: tuple[int, float] | None = None
        # Changes of dose offered on the device and stored, until answered there.
        self._offers: dict[tuple[int, str, str, float], int] = {}
        # The lines last handed to the voice to render ahead.
        self._cache_lines: list[str] = []
        # Changes the store announced and the worker has yet to re-read: a burst of writes
        # is one reload. The worker's own writes are not announced to it: it made them.
        self._changes: set[Data] = set()
        self._changes_lock = threading.Lock()
        self._own = threading.local()
        self._late: tuple[str, ...] = ()  # the late lines the voice was last asked for
        self._address_said: str | None = None  # the address as last read out
        self._apply_settings()
        self._unsubscribe = store.subscribe(self._stored)

    # -- SessionControl: called from any thread, only ever queues --------------------------

    def submit_edge(self, edge: Edge) -> None:
        """The button's sink: runs on the pin factory's thread, so it only queues."""
        self._queue.put(edge)

    def submit_link(self, link: ButtonLink) -> None:
        """A clicker came or went: from the clickers' thread, so it only queues."""
        self._queue.put(link)

    def gesture(self, gesture: Gesture) -> None:
        self._queue.put(gesture)

    def act(self, action: Action) -> None:
        self._queue.put(action)

    def reload(self) -> None:
        """Re-read settings, routines and people, whatever the store says changed."""
        self._queue.put(_Reload())

    def _heard(self, report: Speech) -> None:
        """The voice's report (on its thread, with its lock held): only queues it, on the
        engine's clock."""
        shift = self._clock() - self._voice.clock()
        self._queue.put(dataclasses.replace(report, at=report.at + shift))

    def late_score_since(self, now: float) -> float:
        return late_score_since(now)

    def _stored(self, changes: frozenset[Data]) -> None:
        """The store's listener: runs on the writer's thread, so it only queues."""
        if Data.REPLACED in changes:
            self._queue.put(_Replaced())
        if getattr(self._own, "writing", False) or not changes & (_RECONFIGURE | _PEOPLE):
            return
        with self._changes_lock:
            queued = bool(self._changes)
            self._changes |= changes
        if not queued:
            self._queue.put(_Changed())

    def test_voice(self, text: str) -> None:
        self._queue.put(_Say(text))

    def announce_address(self) -> None:
        """The page has just come up (after READY): read its address out, as the greeting
        would have, unless a workout has begun meanwhile."""
        self._queue.put(_Announce())

    def answer(self, question: str, value: int) -> None:
        """An answer from the page: a pain score for ``pain_before``/``pain_after``, a
        profile id for ``who``, or 1 (agree) / 0 (keep) for ``dose``."""
        self._queue.put(_Answer(Question(question), value))

    def pair_clicker(self) -> None:
        self._queue.put(_PairAsked())

    def clickers(self) -> list[ClickerInfo]:
        return [ClickerInfo(c.name, c.profile, c.holds) for c in self._clickers]

    def voices(self) -> list[tuple[str, str]]:
        return self._voice.voices()

    def status(self) -> Status:
        return self._live.current()

    def settings(self) -> EffectiveSettings:
        """The settings in force: the store's, with what the config file pins."""
        stored = self._store.settings()
        if self._pinned is None:
            return EffectiveSettings(stored)
        return EffectiveSettings(self._pinned.apply(stored), self._pinned.sources())

    def preview(self, routine: Routine) -> list[str]:
        """The whole script of ``routine`` with the settings in force (kept for the next ask)."""
        settings = self.settings().settings
        key = (routine, *_script_settings(settings))
        # One at a time: six phones opening a long routine's preview at once must cost
        # one run-through, not six side by side.
        with self._preview_lock:
            script = self._previews.get(key)
            if script is None:
                script = preview_script(
                    routine,
                    default_rest=settings.default_rest_seconds,
                    gesture_actions=settings.gesture_actions,
                )
                if len(self._previews) >= _PREVIEWS_KEPT:
                    self._previews.pop(next(iter(self._previews)))
                # A long script says the same few hundred lines thousands of times: kept as
                # one string each, the largest routine's takes 0.1 MB instead of 0.6 MB.
                said: dict[str, str] = {}
                script = [said.setdefault(line, line) for line in script]
                self._previews[key] = script
        return list(script)

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        return self._live.wait_for_change(seen, timeout)

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Greet (or offer to resume), then run the worker in its own thread."""
        self.greet()
        self._thread = threading.Thread(target=self.run, name="spotter-worker", daemon=True)
        self._thread.start()
        # Searches for lines ahead wait for the worker: until READY the start has the CPU
        # to itself.
        for thread in self._searches:
            if thread.ident is None:
                thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish the item in hand, save the session in progress and stop the worker."""
        self._unsubscribe()
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
            with self._writing():
                self._save_progress()
            return False
        try:
            with self._writing():
                self._step(item)
        except Exception:
            # One bad event must not take the button away from the user.
            log.exception("error while handling %r", item)
        problem = self._voice.health()
        if problem != self._voice_problem:
            self._voice_problem = problem
            if problem is None:
                log.info("the voice makes speech again")
            else:
                log.warning("the voice is %s", problem.text)
            self._listeners.voice_problem(problem)
        if not self._restart_wanted(problem):
            self._listeners.alive()
        return True

    def _restart_wanted(self, problem: VoiceProblem | None) -> bool:
        """True when the voice is silent for good and a restart (the watchdog's) may heal it."""
        return (
            problem is not None
            and problem.restart_helps
            and self._engine.status().state in _RESTARTABLE
        )

    # -- the worker's own methods -------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The worker's own writes: the store's announcement of them is not for it."""
        self._own.writing = True
        try:
            yield
        finally:
            self._own.writing = False

    def _reread(self) -> None:
        with self._changes_lock:
            changes = frozenset(self._changes)
            self._changes.clear()
        if changes & _RECONFIGURE:
            self._apply_settings()
        elif changes & _PEOPLE:
            # A score or workout written beside the daemon: the next start may speak of it.
            self._load_people(self.settings().settings)

    def _wait_time(self) -> float | None:
        """How long the worker may sleep: until the next deadline or heartbeat; None = forever."""
        deadline = self._engine.next_deadline()
        waits = [] if deadline is None else [deadline - self._clock()]
        if self._heartbeat_interval is not None:
            waits.append(self._heartbeat_interval)
        if self._watched:
            waits.append(HEALTH_EVERY)
        return max(0.0, min(waits)) if waits else None

    def _step(self, item: _Item | None) -> None:
        if isinstance(item, Edge):
            self._speak(self._engine.edge(item))
        elif isinstance(item, ButtonLink):
            self._speak(self._engine.link(item))
        elif isinstance(item, Gesture):
            self._speak(self._engine.gesture(item))
        elif isinstance(item, Action):
            self._speak(self._engine.act(item))
        elif isinstance(item, _Reload):
            self._apply_settings()
        elif isinstance(item, _Changed):
            self._reread()
        elif isinstance(item, _Replaced):
            self._end_replaced_workout()
        elif isinstance(item, _LinesAhead):
            self._take_lines_ahead(item)
        elif isinstance(item, _Say):
            self._voice.speak([Line(item.text, interrupt=item.interrupt)])
        elif isinstance(item, _Announce):
            self._announce()
        elif isinstance(item, _PairAsked):
            if self._engine.status().state is State.IDLE:
                self._speak(self._engine.stamp([Line(phrases.pairing_starts(), interrupt=True)]))
                self._pairing.start()
        elif isinstance(item, _Answer):
            self._speak(self._engine.answer(item.question, item.value))
        elif isinstance(item, Speech):
            self._speak(self._engine.speech(item))
        self._speak(self._engine.tick(edges_pending=not self._queue.empty()))
        self._observe()
        # Persisting comes after speaking: the answer to a press must not wait for an fsync.
        chosen = self._engine.pop_chosen()
        if chosen is not None:
            self._store.set_current_profile(chosen)
        scores = self._engine.pop_scores()
        self._keep_scores([s for s in scores if s.moment == "before"])
        self._record_finished()
        self._keep_scores([s for s in scores if s.moment == "after"])
        self._keep_dose_offers()
        self._save_progress()
        self._publish()
        self._prepare_late()

    def _prepare_late(self) -> None:
        """Have the voice render the lines whose words the workout has just made known
        (each set of them once): a slow voice then has them before they are said."""
        said = [] if self._address_said is None else [self._address_said]
        late = tuple(dict.fromkeys([*self._engine.late_lines(), *said]))
        if late and late != self._late:
            self._late = late
            prepare_late = getattr(self._voice, "prepare_late", None)
            if prepare_late is not None:
                prepare_late(late)

    def _end_replaced_workout(self) -> None:
        """A restore replaced the data: the workout under way is ended and not recorded,
        since it would land in the restored data under whoever is current there."""
        if self._engine.status().state in (State.IDLE, State.DONE):
            return
        lines = self._engine.act(Action.END)
        self._engine.pop_finished()
        self._engine.pop_scores()
        self._pain = {}
        self._last_written = None
        log.warning("the data was restored: the workout under way was ended and not recorded")
        self._speak([*lines, *self._engine.stamp([Line(phrases.workout_void_after_restore())])])

    def _observe(self) -> None:
        """Tell observers about the real button, act on the answer to the PIN offer, and
        pair a clicker when a hold asked for it."""
        if self._engine.pop_pairing():
            self._pairing.start()
        for gesture in self._engine.pop_button_gestures():
            self._listeners.gesture_made(gesture)
        for outcome in self._engine.pop_recovery():
            if outcome is Recovery.OFFERED:
                log.warning("the button was held after start: offering to clear the web PIN")
            elif outcome is Recovery.CLEARED:
                self._store.update_settings({"pin_hash": ""})
                log.warning("the web PIN was cleared at the device (long hold after start)")
            else:
                log.info("the web PIN was kept: the offer to clear it was not confirmed")

    def _address(self) -> list[str]:
        return [] if self._address_lookup is None else self._address_lookup()

    def _speak(self, lines: list[Line]) -> None:
        if lines:
            self._voice.speak(lines, now=self._clock())
        self._publish()

    def _publish(self) -> None:
        status = self._engine.status()
        if status == self._status:
            return
        self._status = status
        self._listeners.status_changed(status)

    def _announce(self) -> None:
        urls = self._address_lookup() if self._address_lookup is not None else []
        if not urls:
            return
        log.info("the phone page is at %s", " or ".join(urls))
        self._address_said = phrases.address(urls)
        self._prepare_late()
        # Not over a workout, nor between the options of a question being read out (the
        # page, slower to start in its own process, may come up then): the page shows it.
        status = self._engine.status()
        if status.state is State.IDLE and status.question is None:
            self._voice.speak([Line(phrases.address(urls))])

    def greet(self) -> None:
        """Say Spotter is ready and where its page is; offer to resume a cut-short workout."""
        with self._writing():
            self._greet()

    def _greet(self) -> None:
        lines: list[Line] | None = None
        stored = self._store.load_progress()
        if stored is not None:
            try:
                position = progress.decode(stored)
            except ValueError as err:
                log.warning("the saved session could not be resumed (%s); starting fresh", err)
                self._write_progress(None)
            else:
                profile = self._store.current_profile()
                done, goal = self._week_of(position.routine, profile, self.settings().settings)
                lines = self._engine.offer_resume(
                    position, sessions_this_week=done, weekly_goal=goal
                )
                self._last_snapshot = position
        if lines is None:
            lines = self._engine.greeting()
        if self._store.recovered is not None:
            lines = [Line(phrases.data_restored(self._store.recovered)), *lines]
        if self._address_lookup is not None:
            urls = self._address_lookup()
            log.info("the phone page is at %s", " or ".join(urls) or "(no network address yet)")
            if urls:
                lines = [*lines, Line(phrases.address(urls))]
                self._address_said = phrases.address(urls)
                self._prepare_late()
        self._speak(lines)

    def _apply_settings(self) -> None:
        settings = self.settings().settings
        self._engine.configure(
            timings=gesture_timings(settings),
            default_rest=settings.default_rest_seconds,
            gesture_actions=settings.gesture_actions,
            coaching=coaching_of(settings),
            choice_step=settings.choice_step_ms / 1000,
            speech_seconds=getattr(self._voice, "seconds", None),
        )
        self._voice.configure(VoiceSettings.of(settings))
        self._voice.use_natural(settings.voice_engine == "natural")
        self._prepare_scripts(settings, self._load_people(settings))

    def _prepare_scripts(self, settings: Settings, people: list[Trainee]) -> None:
        # Render every line the next workout can say now, so a press never waits for speech
        # synthesis, in the order a workout needs them (so the first press soon has its):
        # the routine of the one training first, then everyone else's.
        current = self._store.current_profile().id
        lines: list[str] = []
        lines += people_lines([p.name for p in people])
        # A routine's lines are worked out once, whoever trains it and whatever else
        # changed: a new profile or a renamed one costs no script at all. What a workout
        # as planned says is found at once; every other line it can say takes a search
        # a hundred times as long (seconds on a Pi), which runs off the worker, so that
        # neither a start nor a press waits for it (see ``_search_ahead``).
        scripts: dict[_ScriptKey, list[str]] = {}
        unsearched: dict[_ScriptKey, Routine] = {}
        for trainee in sorted(people, key=lambda p: p.id != current):
            if trainee.routine is None:
                continue
            key = (trainee.routine, *_script_settings(settings))
            if key not in scripts:
                known = self._scripts.get(key)
                if known is None and key not in self._pending:
                    known = self._remembered(key)
                if known is None:
                    known = planned_lines(
                        trainee.routine,
                        default_rest=settings.default_rest_seconds,
                        gesture_actions=settings.gesture_actions,
                    )
                if key not in self._full and key not in self._pending:
                    unsearched[key] = trainee.routine
                scripts[key] = known
                lines += scripts[key]
            lines += self._likely_offer_lines(trainee)
        # Only the scripts of routines someone trains are kept.
        self._scripts = scripts
        self._full &= scripts.keys()
        if unsearched:
            self._search_ahead(unsearched, settings)
        if self._clickers:
            lines.append(phrases.clicker_connected())
        lines += [phrases.pairing_starts(), phrases.pairing_done(), phrases.pairing_failed()]
        lines += FIXED_STEPS
        self._cache_lines = list(dict.fromkeys(lines))
        if lines:
            self._voice.prepare(self._cache_lines)
        self._late = ()  # the voice may have changed: ask again
        self._prepare_late()

    def _digest(self, key: _ScriptKey) -> str:
        assert self._memo is not None
        routine, rest, actions = key
        return script_digest(routine, rest, dict(actions), self._memo.stamp)

    def _remembered(self, key: _ScriptKey) -> list[str] | None:
        """Every line of ``key``'s routine as a search found it before, if it was kept."""
        if self._memo is None:
            return None
        lines = self._memo.get(self._digest(key))
        if lines is not None:
            self._full.add(key)
            log.info("every line ahead remembered: %d for %s", len(lines), key[0].name)
        return lines

    def _search_ahead(self, routines: dict[_ScriptKey, Routine], settings: Settings) -> None:
        """Find every line of ``routines`` on a thread of its own; the worker takes them
        from its queue (``_take_lines_ahead``)."""

        # What the file keeps besides: the scripts of every routine trained now.
        keep = {self._digest(key) for key in self._scripts} if self._memo is not None else set()

        def search() -> None:
            scripts: dict[_ScriptKey, list[str]] = {}
            try:
                scripts = self._find_lines(routines, settings)
            except Exception:
                # The planned workout's lines are rendered all the same; the others are
                # rendered the first time they are said.
                log.exception("could not find every line ahead; the planned ones are ready")
            if self._memo is not None and scripts:
                # Written here, not on the worker: a write to an SD card can take a while.
                self._memo.put({self._digest(key): lines for key, lines in scripts.items()}, keep)
            self._queue.put(_LinesAhead(scripts))

        self._pending |= routines.keys()
        thread = threading.Thread(target=search, name="spotter-lines", daemon=True)
        waiting = [t for t in self._searches if t.ident is None]
        self._searches = [t for t in self._searches if t.is_alive()] + waiting + [thread]
        if self._thread is not None:  # else the worker's start starts it
            thread.start()

    def _find_lines(
        self, routines: dict[_ScriptKey, Routine], settings: Settings
    ) -> dict[_ScriptKey, list[str]]:
        keys = list(routines)
        if self._lines_search is not None:
            try:
                found = self._lines_search(
                    [routines[key] for key in keys],
                    default_rest=settings.default_rest_seconds,
                    gesture_actions=settings.gesture_actions,
                )
                return dict(zip(keys, found, strict=True))
            except SearchFailed as err:
                log.warning("%s; searching on a thread of the daemon instead", err)
        return {
            key: routine_lines(
                routines[key],
                default_rest=settings.default_rest_seconds,
                gesture_actions=settings.gesture_actions,
            )
            for key in keys
        }

    def wait_for_lines_ahead(self, timeout: float = 60.0) -> bool:
        """True once every search for lines ahead has ended and its lines were handed to
        the voice: by the worker's own thread when it runs, else (tests on a fake clock)
        here, where what the searches' results set off is handled too."""
        deadline = time.monotonic() + timeout
        while True:
            for thread in list(self._searches):
                if thread.ident is None:  # no worker thread to have started it
                    thread.start()
                thread.join(max(0.0, deadline - time.monotonic()))
            if self._thread is None:
                self.drain()
            if not self._pending or time.monotonic() >= deadline:
                return not self._pending
            if self._thread is not None:
                time.sleep(0.02)

    def _take_lines_ahead(self, found: _LinesAhead) -> None:
        known = set(self._cache_lines)
        new = []
        self._pending -= found.scripts.keys()
        for key, lines in found.scripts.items():
            if key in self._scripts:
                self._full.add(key)
                self._scripts[key] = lines
                new += [line for line in lines if line not in known]
        log.info("every line ahead found: %d more to render", len(set(new)))
        if new:
            self._cache_lines += list(dict.fromkeys(new))
            self._voice.prepare(self._cache_lines)

    def _likely_offer_lines(self, trainee: Trainee) -> list[str]:
        """The lines of the change of dose a good workout would earn them next."""
        if trainee.routine is None or trainee.progress is None:
            return []
        proposal = likely_offer(trainee.routine, trainee.progress, self._wall_clock())
        if proposal is None:
            return []
        return offer_lines(proposal, area=trainee.routine.checkin_area)

    def _week_of(
        self, routine: Routine, profile: Profile, settings: Settings
    ) -> tuple[int, int | None]:
        """Finished sessions of ``routine`` by ``profile`` this week, and the weekly goal."""
        now = self._wall_clock()
        done = self._store.sessions_since(
            week_start(now), routine.id, profile_id=profile.id, until=now
        )
        return done, profile.weekly_goal or weekly_goal(routine, settings)

    def _load_people(self, settings: Settings) -> list[Trainee]:
        """Tell the engine who trains here, with each one's routine, week and last pain."""
        people = []
        offset = self._wall_clock() - self._clock()
        for profile in self._store.profiles():
            active = self._store.active_routine(profile.id)
            routine = active.routine if active is not None else None
            records = None
            if routine is not None and any(e.progression for e in routine.exercises):
                # Each person does the routine at their own dose; the file is where all start.
                routine = self._store.routine_at_dose(profile.id, routine.id) or routine
                # Their recent workouts, for what progression may offer: not read (or held)
                # while the owner has turned it off.
                if settings.progression:
                    records = self._store.progression_records(profile.id, routine.id)
            done, goal = (0, None) if routine is None else self._week_of(routine, profile, settings)
            last = self._store.history(1, profile_id=profile.id)
            pain, last_id = None, None
            if last and last[0].pain_before is not None and last[0].pain_after is not None:
                pain, last_id = (last[0].pain_before, last[0].pain_after), last[0].id
            finished = 0
            if routine is not None:
                finished = self._store.sessions_since(0.0, routine.id, profile_id=profile.id)
            people.append(
                Trainee(
                    profile.id,
                    profile.name,
                    routine,
                    done,
                    goal,
                    pain,
                    last_id,
                    finished,
                    progress=records,
                    wall_offset=offset,
                )
            )
        self._engine.set_people(people, self._store.current_profile().id)
        if self._clickers:
            self._engine.set_buttons(
                button_specs(self._clickers, self._store.profiles(), self._store.clicker_owners())
            )
        if self._watched:
            self._listeners.week_counted(self._store.sessions_since(week_start(self._wall_clock())))
        return people

    def _keep_scores(self, scores: list[PainScore]) -> None:
        """Pain scores go with the workout under way, or (after-scores given once it ended)
        onto the one just written, if it ended recently."""
        running = self._engine.status().state not in (State.IDLE, State.DONE)
        for score in scores:
            last = self._last_written
            if running or score.moment == "before" or last is None:
                self._pain[score.moment] = score.score
            elif takes_late_score(last[1], self._wall_clock()):
                self._store.set_pain(last[0], "after", score.score)
                # Their next start may have something to say about it.
                self._load_people(self.settings().settings)

    def _record_finished(self) -> None:
        record = self._engine.pop_finished()
        if record is None:
            return
        finished = self._wall_clock()
        written = self._store.add_history(
            HistoryEntry.of(
                record,
                finished_at=finished,
                profile_id=self._store.current_profile().id,
                pain_before=self._pain.get("before"),
                pain_after=self._pain.get("after"),
            )
        )
        self._pain = {}
        self._last_written = None if written.id is None else (written.id, finished)
        # The week's count feeds the next summary.
        people = self._load_people(self.settings().settings)
        # This workout may have brought someone's next step up within reach.
        offers = [line for p in people for line in self._likely_offer_lines(p)]
        missing = [line for line in offers if line not in self._cache_lines]
        if missing:
            self._cache_lines += missing
            self._voice.prepare(self._cache_lines)

    def _keep_dose_offers(self) -> None:
        """Keep each change of dose offered after a workout, then its answer: agreed, the
        person's dose changes from their next workout; declined, the offer is marked so;
        unanswered, it stays open for the phone page."""
        changed = False
        for offer in self._engine.pop_dose_offers():
            p = offer.proposal
            key = (offer.profile_id, offer.routine_id, p.exercise, offer.made_at)
            try:
                if offer.answer == "pending":
                    kept = self._store.suggest_dose(
                        Suggestion(
                            offer.profile_id,
                            offer.routine_id,
                            p.exercise,
                            p.direction,
                            p.from_dose,
                            p.to_dose,
                            offer.made_at,
                        )
                    )
                    if kept.id is not None:
                        self._offers[key] = kept.id
                    continue
                offer_id = self._offers.pop(key, None)
                if offer_id is None or offer.answer == "unanswered":
                    continue
                answered = self._store.answer_suggestion(
                    offer_id, offer.answer, at=self._wall_clock()
                )
                changed |= answered.answer == "accepted"
            except (DoseError, KeyError, sqlite3.Error, OSError) as err:
                log.warning("could not keep the change of dose for %s (%s)", p.exercise, err)
        if changed:
            # The new dose's lines are rendered now, before the next workout needs them.
            self._apply_settings()

    def _save_progress(self) -> None:
        snapshot = self._engine.snapshot()
        if snapshot == self._last_snapshot:
            return
        if self._write_progress(None if snapshot is None else progress.encode(snapshot)):
            self._last_snapshot = snapshot

    def _write_progress(self, encoded: dict[str, object] | None) -> bool:
        """Save the position; a full or failing card is logged once and tried again at the
        next step, and the workout goes on."""
        try:
            self._store.save_progress(encoded)
        except (sqlite3.Error, OSError) as err:
            if not self._store_warned:
                self._store_warned = True
                log.warning("cannot save the workout in progress (%s); will keep trying", err)
            return False
        self._store_warned = False
        return True
