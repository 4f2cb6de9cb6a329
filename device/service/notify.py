"""Tells systemd how Spotter is doing: the sd_notify protocol, spoken directly.

Each message is one datagram of ``KEY=value`` lines sent to the socket named by
``$NOTIFY_SOCKET`` (a path, or an abstract name written with a leading ``@``).
Without that variable (a run by hand, a test) every call does nothing. A failed
send is logged once and never raised: the service manager's troubles must not
take the button away from the user.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from device.events import Status

log = logging.getLogger(__name__)

# Sent once the button's pin is set up, before the rest has loaded: from here on a press
# is kept and answered once Spotter is up.
BUTTON_LIVE = "Starting: presses are kept"
# A reader that has stopped reading fills the socket's queue (ten datagrams by default),
# and a blocking send would then hold the worker, and a stop, for ever: give up instead.
SEND_TIMEOUT = 0.5


class Notifier:
    """One process's line to systemd; safe to use from any thread."""

    def __init__(self, env: Mapping[str, str] | None = None, *, pid: int | None = None) -> None:
        env = os.environ if env is None else env
        self._pid = os.getpid() if pid is None else pid
        self._address = _address(env.get("NOTIFY_SOCKET", ""))
        self._watchdog_usec = _watchdog_usec(env, self._pid)
        self._socket: socket.socket | None = None
        # Re-entrant: a SIGTERM handler may call stopping() while the same thread is sending.
        self._lock = threading.RLock()
        self._warned = False

    @property
    def enabled(self) -> bool:
        """True when systemd is listening (``$NOTIFY_SOCKET`` names a usable socket)."""
        return self._address is not None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` fields in one datagram; True if systemd got it."""
        if self._address is None:
            return False
        message = "\n".join(fields).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.socket(
                        socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                    )
                    self._socket.settimeout(SEND_TIMEOUT)
                self._socket.sendto(message, self._address)
            except OSError as err:
                if not self._warned:
                    self._warned = True
                    log.warning("cannot tell systemd %s: %s", fields[0] if fields else "", err)
                return False
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up is over: the button, the voice and the web page are up."""
        return self.send("READY=1", *([f"STATUS={_one_line(status)}"] if status else []))

    def status(self, text: str) -> bool:
        """A one-line description of what Spotter is doing (``systemctl status`` shows it)."""
        return self.send(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        """Proof of life; send it from the loop that runs the engine, at ``watchdog_interval``."""
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        """Shutdown has begun (after SIGTERM)."""
        return self.send("STOPPING=1")

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for ``seconds`` more to finish starting or stopping (a slow first start)."""
        return self.send(f"EXTEND_TIMEOUT_USEC={max(0, round(seconds * 1_000_000))}")

    def watchdog_interval(self) -> float | None:
        """How often to send ``watchdog()``, in seconds: half of ``WatchdogSec=``, as systemd
        advises; None when the watchdog is off or meant for another process."""
        if self._watchdog_usec is None:
            return None
        return self._watchdog_usec / 2_000_000

    def close(self) -> None:
        """Release the socket; later sends open a new one."""
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None


def _address(value: str) -> str | bytes | None:
    if value.startswith("@"):
        # An abstract socket: Linux spells it with a leading NUL byte.
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    if value:
        log.debug("ignoring NOTIFY_SOCKET=%r: not a path or an abstract name", value)
    return None


def _watchdog_usec(env: Mapping[str, str], pid: int) -> int | None:
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    watchdog_pid = env.get("WATCHDOG_PID", "")
    # systemd names the process it watches; a child that inherited the variables is not it.
    if watchdog_pid and watchdog_pid != str(pid):
        return None
    return usec


def _one_line(text: str) -> str:
    return " ".join(text.split())


VOICE_PROBLEM = "; voice "


def describe_status(status: Status, voice_problem: str | None = None) -> str:
    """What Spotter is doing, in one short line for ``STATUS=`` (``systemctl status``),
    and what is wrong with the voice, if anything."""
    text = _describe(status)
    return text if voice_problem is None else f"{text}{VOICE_PROBLEM}{voice_problem}"


def _describe(status: Status) -> str:
    # Loaded here: the button's STATUS comes before the engine's modules are imported.
    from device.events import State

    if status.state == State.IDLE:
        return f"Idle, ready to start {status.routine_name}" if status.routine_name else "Idle"
    if status.state == State.DONE:
        return f"Finished {status.routine_name}" if status.routine_name else "Finished"
    parts = [status.exercise_name or status.routine_name or "Workout"]
    if status.set is not None and status.sets is not None:
        parts.append(f"set {status.set} of {status.sets}")
    if status.side:
        parts.append(f"{status.side} side")
    if status.rep is not None and status.reps is not None and status.state == State.SET:
        parts.append(f"rep {status.rep} of {status.reps}")
    if status.remaining_seconds is not None and status.state in (State.HOLD, State.REST):
        parts.append(f"{status.remaining_seconds} s left")
    doing = {
        State.INTRO: "Starting",
        State.SET: "Working",
        State.HOLD: "Holding",
        State.REST: "Resting",
        State.PAUSED: "Paused",
    }[status.state]
    return f"{doing}: " + ", ".join(parts)


_default: Notifier | None = None
_default_lock = threading.Lock()


def default_notifier() -> Notifier:
    """The process-wide notifier, made from ``os.environ`` on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Notifier()
        return _default


def ready(status: str | None = None) -> bool:
    """``Notifier.ready`` on the process-wide notifier."""
    return default_notifier().ready(status)


def status(text: str) -> bool:
    """``Notifier.status`` on the process-wide notifier."""
    return default_notifier().status(text)


def watchdog() -> bool:
    """``Notifier.watchdog`` on the process-wide notifier."""
    return default_notifier().watchdog()


def stopping() -> bool:
    """``Notifier.stopping`` on the process-wide notifier."""
    return default_notifier().stopping()


def watchdog_interval() -> float | None:
    """``Notifier.watchdog_interval`` on the process-wide notifier."""
    return default_notifier().watchdog_interval()
