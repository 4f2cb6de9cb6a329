"""The port over a Unix socket: the daemon answers, the page's process asks.

One call is one line of JSON each way: ``{"call": name, "args": {...}}`` and
``{"ok": value}`` or ``{"error": text}``. The daemon gives every connection a thread of
its own (a live page's long wait holds one, not the others) and caps both the number of
connections and the size of a call, so nothing the page's process sends can hold the
daemon's memory. The socket lives in a directory only Spotter's user can enter: whoever
reaches it can press the button.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from device.control import ClickerInfo, EffectiveSettings, MustWait, PinAllowance, SessionControl
from device.events import Action, Gesture, Status
from device.service import port_codec as codec
from routines.changes import Data
from routines.model import Routine
from routines.store import Store

log = logging.getLogger(__name__)

# A routine at its caps is far below this; anything longer is not a call of ours.
MAX_CALL_BYTES = 1024 * 1024
# The page's threads, its live views and some to spare.
MAX_CONNECTIONS = 16
# The longest wait a live page may ask for, so a stuck page cannot park threads for ever.
MAX_WAIT_SECONDS = 60.0
SOCKET_NAME = "port.sock"
# A PIN's try waits this long for the daemon, then is refused: never judged uncounted.
PIN_CALL_SECONDS = 5.0


class PortGone(ConnectionError):
    """The daemon could not be reached, or hung up mid-call."""


class PortRefused(RuntimeError):
    """The daemon understood the call and refused it (a bad argument)."""


def _store_handlers(store: Store) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """What the page's process asks of the store the daemon keeps."""

    def changed(args: dict[str, Any]) -> None:
        kinds = args.get("kinds")
        if not isinstance(kinds, list):
            raise codec.CodecError("kinds: must be a list")
        try:
            store.noticed(frozenset(Data(str(k)) for k in kinds))
        except ValueError as err:
            raise codec.CodecError(f"kinds: {err}") from err

    def replace(args: dict[str, Any]) -> None:
        here = store.path()
        staged = Path(codec.text(args.get("staged"), "staged"))
        keep = Path(codec.text(args.get("keep_previous"), "keep_previous"))
        # Only a file staged beside the store, and only its usual keep-name: the page's
        # process names files, it does not get to point the daemon elsewhere.
        if staged.parent != here.parent or staged.is_symlink() or not staged.is_file():
            raise codec.CodecError("staged: must be a file beside the store")
        if keep.parent != here.parent or not keep.name.startswith(here.name + "."):
            raise codec.CodecError("keep_previous: must be the store's own name with a suffix")
        store.replace_file(staged, keep_previous=keep)

    return {"changed": changed, "replace_store": replace}


def _pin_handlers(pins: PinAllowance) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """The allowance of wrong PINs the daemon keeps for every page it starts."""

    def start(args: dict[str, Any]) -> dict[str, int]:
        try:
            return {"ticket": pins.start(codec.browser_mark(args.get("known")))}
        except MustWait as wait:
            return {"wait": wait.seconds}

    return {
        "pin_start": start,
        "pin_right": lambda a: pins.right(codec.ticket(a.get("ticket"))),
        "pin_retry_after": lambda a: pins.retry_after(codec.browser_mark(a.get("known"))),
    }


def _handlers(control: SessionControl) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def wait(args: dict[str, Any]) -> Any:
        timeout = min(MAX_WAIT_SECONDS, max(0.0, codec.number(args.get("timeout"), "timeout")))
        version, status = control.wait_for_change(codec.whole(args.get("seen"), "seen"), timeout)
        return [version, codec.status_to_json(status)]

    return {
        "status": lambda a: codec.status_to_json(control.status()),
        "wait_for_change": wait,
        "act": lambda a: control.act(codec.action_from_json(a.get("action"))),
        "gesture": lambda a: control.gesture(codec.gesture_from_json(a.get("gesture"))),
        "late_score_since": lambda a: control.late_score_since(codec.number(a.get("now"), "now")),
        "settings": lambda a: codec.settings_to_json(control.settings()),
        "preview": lambda a: control.preview(codec.routine_from_json(a.get("routine"))),
        "answer": lambda a: control.answer(
            codec.text(a.get("question"), "question"), codec.whole(a.get("value"), "value")
        ),
        "test_voice": lambda a: control.test_voice(codec.text(a.get("text"), "text")),
        "voices": lambda a: [list(v) for v in control.voices()],
        "pair_clicker": lambda a: control.pair_clicker(),
        "clickers": lambda a: codec.clickers_to_json(control.clickers()),
    }


def private_socket_path(runtime_dir: str | None = None) -> Path:
    """A fresh socket path in a directory of mode 0700 (systemd's RuntimeDirectory= when
    the unit gives one, else a new temporary directory)."""
    import tempfile

    base = runtime_dir or os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0] or None
    directory = Path(tempfile.mkdtemp(prefix="spotter-port-", dir=base))
    directory.chmod(0o700)
    return directory / SOCKET_NAME


class PortServer:
    """Answers the port's calls for ``control`` on a Unix socket at ``path``, and for
    ``store`` and ``pins`` when given."""

    def __init__(
        self,
        control: SessionControl,
        path: Path,
        store: Store | None = None,
        pins: PinAllowance | None = None,
    ) -> None:
        self.path = path
        self._handlers = _handlers(control)
        if store is not None:
            self._handlers.update(_store_handlers(store))
        if pins is not None:
            self._handlers.update(_pin_handlers(pins))
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old_mask = os.umask(0o077)
        try:
            self._sock.bind(str(path))
        finally:
            os.umask(old_mask)
        self._sock.listen(MAX_CONNECTIONS)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="spotter-port", daemon=True)

    def start(self) -> PortServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2.0)
        with contextlib.suppress(OSError):
            self.path.unlink()
            self.path.parent.rmdir()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if not self._slots.acquire(blocking=False):
                log.warning("the page's process opened too many connections; one refused")
                conn.close()
                continue
            with self._lock:
                self._open.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="spotter-port-call", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rb") as reader:
                while True:
                    line = reader.readline(MAX_CALL_BYTES + 1)
                    if not line:
                        return
                    if len(line) > MAX_CALL_BYTES or not line.endswith(b"\n"):
                        conn.sendall(_reply({"error": "call too long"}))
                        return
                    conn.sendall(_reply(self._answer(line)))
        except OSError:
            return
        finally:
            with self._lock:
                self._open.discard(conn)
            self._slots.release()

    def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            message = json.loads(line)
            name = message["call"]
            args = message.get("args", {})
            handler = self._handlers[name]
            if not isinstance(args, dict):
                raise codec.CodecError("args: must be an object")
        except (ValueError, KeyError, TypeError) as err:
            return {"error": f"not a call: {err}"}
        try:
            return {"ok": handler(args)}
        except codec.CodecError as err:
            return {"error": str(err)}
        except Exception:
            log.exception("the port's call %s failed", name)
            return {"error": f"{name} failed inside Spotter"}


def _reply(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


class PortClient:
    """``SessionControl`` for the page's process: each call goes to the daemon.

    Each calling thread keeps a connection of its own, made again after a failure, so a
    restarted daemon is reached at the next call."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self._path = path
        self._timeout = timeout
        self._local = threading.local()
        self.pins = _PortPins(self)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn[0].close()
            self._local.conn = None

    @contextlib.contextmanager
    def _connection(self, timeout: float) -> Iterator[tuple[socket.socket, Any]]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            try:
                sock.settimeout(self._timeout)
                sock.connect(str(self._path))
            except OSError as err:
                sock.close()
                raise PortGone(f"Spotter's daemon cannot be reached: {err.strerror}") from err
            conn = (sock, sock.makefile("rb"))
            self._local.conn = conn
        try:
            conn[0].settimeout(timeout)
            yield conn
        except (OSError, ValueError) as err:
            self.close()
            raise PortGone(f"Spotter's daemon hung up: {err}") from err

    def _call(self, name: str, *, within: float | None = None, **args: Any) -> Any:
        line = json.dumps({"call": name, "args": args}, separators=(",", ":")).encode() + b"\n"
        with self._connection(self._timeout if within is None else within) as (sock, reader):
            sock.sendall(line)
            answer = reader.readline()
            if not answer:
                raise OSError("no answer")
            reply = json.loads(answer)
        if "error" in reply:
            raise PortRefused(str(reply["error"]))
        return reply.get("ok")

    # -- SessionControl ---------------------------------------------------------------------

    def status(self) -> Status:
        return codec.status_from_json(self._call("status"))

    def wait_for_change(self, seen: int, timeout: float) -> tuple[int, Status]:
        version, status = self._call(
            "wait_for_change", within=timeout + self._timeout, seen=seen, timeout=timeout
        )
        return int(version), codec.status_from_json(status)

    def act(self, action: Action) -> None:
        self._call("act", action=str(action))

    def gesture(self, gesture: Gesture) -> None:
        self._call("gesture", gesture=str(gesture))

    def late_score_since(self, now: float) -> float:
        return float(self._call("late_score_since", now=now))

    def settings(self) -> EffectiveSettings:
        return codec.settings_from_json(self._call("settings"))

    def preview(self, routine: Routine) -> list[str]:
        return [str(line) for line in self._call("preview", routine=codec.routine_to_json(routine))]

    def answer(self, question: str, value: int) -> None:
        self._call("answer", question=question, value=value)

    def test_voice(self, text: str) -> None:
        self._call("test_voice", text=text)

    def voices(self) -> list[tuple[str, str]]:
        return [(str(v[0]), str(v[1])) for v in self._call("voices")]

    def pair_clicker(self) -> None:
        self._call("pair_clicker")

    def clickers(self) -> list[ClickerInfo]:
        return codec.clickers_from_json(self._call("clickers"))

    # -- the store the daemon keeps (routines.database.Keeper) --------------------------------

    def changed(self, kinds: frozenset[Data]) -> None:
        """Tell the daemon which kinds of data this process has just committed."""
        self._call("changed", kinds=sorted(str(k) for k in kinds))

    def replace_store(self, staged: Path, keep_previous: Path) -> None:
        # A restore copies and checks a file of up to 16 MiB first: give it time.
        self._call(
            "replace_store", within=120.0, staged=str(staged), keep_previous=str(keep_previous)
        )


class _PortPins:
    """``PinAllowance`` for the page's process: the daemon keeps the count, so a page
    started again continues where the last one was. A daemon that does not answer in
    ``PIN_CALL_SECONDS`` raises ``PortGone``, and the page judges no PIN."""

    def __init__(self, client: PortClient) -> None:
        self._client = client

    def start(self, known: str | None = None) -> int:
        answer = self._client._call("pin_start", within=PIN_CALL_SECONDS, known=known)
        if not isinstance(answer, dict):
            raise PortRefused("pin_start: not an answer")
        if "wait" in answer:
            raise MustWait(codec.whole(answer["wait"], "wait"))
        return codec.ticket(answer.get("ticket"))

    def right(self, ticket: int) -> None:
        self._client._call("pin_right", within=PIN_CALL_SECONDS, ticket=ticket)

    def retry_after(self, known: str | None = None) -> int:
        return codec.whole(
            self._client._call("pin_retry_after", within=PIN_CALL_SECONDS, known=known), "wait"
        )
