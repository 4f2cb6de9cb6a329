"""The page's HTTP server: waitress, set up so that no client can fill the disk or the
connection table.

- A body bigger than the app accepts is refused from its ``Content-Length`` alone, before
  any of it is read (a chunked body is cut off at the same size), and no body is ever
  spooled to a temporary file. Only a backup to restore may be big (16 MiB), and only
  ``UPLOADS_AT_ONCE`` of those are received at a time, so uploads cannot fill the memory.
- Idle connections are closed after ``IDLE_TIMEOUT``; a request still arriving after
  ``REQUEST_TIMEOUT`` (a client sending its headers a byte at a time) is dropped.
- One address may hold ``PER_ADDRESS`` connections; the whole server ``CONNECTIONS``,
  enough that the status answers while hundreds sit idle.
- A client that does not read its answers (pipelining requests and never reading) holds
  a worker thread only while the answer moves: at most ``SLOW_READERS`` threads wait on
  such clients, each for ``STALLED_SECONDS`` without progress, and one more is given
  ``OVER_SECONDS`` in all; then the connection is dropped. A thread is always left for
  the status and the page.
- Refusals are logged once a minute per kind, and waitress's "queue depth" warning, which
  it gives for every request under load, at most once a minute.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import weakref
from typing import Any, cast

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import RequestEntityTooLarge

from routines.backup import MAX_BACKUP_BYTES
from web_config import MAX_BODY_BYTES
from web_config.refusals import OncePerPeriod, RefusalLog

CONNECTIONS = 400
PER_ADDRESS = 32
IDLE_TIMEOUT = 30
REQUEST_TIMEOUT = 20.0
# One core's worth of Python serves the page (the GIL), so more threads would only add
# switching; the page polls, so no thread is held by a waiting client.
THREADS = 3
# Worker threads that may wait for a client to read its answer; the rest serve the others.
SLOW_READERS = THREADS - 1
# How long an answer may wait without the client taking any of it; and how long in all
# one may wait while SLOW_READERS others already do.
STALLED_SECONDS = 20.0
OVER_SECONDS = 1.0
# How often a waiting answer looks at whether its client took some.
_WAIT_TICK = 0.25
_CLOSE_GRACE = 5.0
# The only requests that may carry a backup; a form adds its own few bytes.
UPLOAD_PATHS = frozenset({"/api/restore", "/settings/restore"})
UPLOAD_BODY_BYTES = MAX_BACKUP_BYTES + 64 * 1024
UPLOADS_AT_ONCE = 1

# One line of our own for what waitress refuses before the app sees a request.
_TOO_BIG = f"That was too big: Spotter accepts at most {MAX_BODY_BYTES // 1024} KB at a time."
_BAD = "The request could not be understood."
_MESSAGES = {
    431: "The request's headers were too big.",
    500: "Something went wrong inside Spotter. The workout itself is not affected.",
}


def server_settings(
    threads: int = THREADS,
    idle_timeout: int = IDLE_TIMEOUT,
    request_timeout: float = REQUEST_TIMEOUT,
) -> dict[str, Any]:
    """waitress's settings for the page."""
    return {
        "threads": threads,
        "ident": "Spotter",
        # waitress refuses a body when its size reaches this, so the app's own limit fits.
        "max_request_body_size": MAX_BODY_BYTES + 1,
        "max_request_header_size": 16 * 1024,
        # Bodies stay in memory (at most the limit each) rather than in temporary files.
        "inbuf_overflow": MAX_BODY_BYTES + 64 * 1024,
        # Answers too: past 256 KB they go to a temporary file, and past 512 KB not yet sent
        # the view waits for the client, so a slow reader cannot make the daemon hold a
        # long answer (the routine list) in memory.
        "outbuf_overflow": 256 * 1024,
        "outbuf_high_watermark": 512 * 1024,
        # Requests are read one at a time per connection (what one recv holds at most, a
        # few KB, may be queued): a pipelining client cannot make the daemon queue more.
        "channel_request_lookahead": 0,
        "connection_limit": CONNECTIONS,
        "channel_timeout": idle_timeout,
        # Often enough to hold both timeouts to within half their length.
        "cleanup_interval": max(1, int(min(5, idle_timeout / 2, request_timeout / 2))),
        # select() cannot watch more than 1,024 descriptors; poll() has no such limit.
        "asyncore_use_poll": True,
    }


class _UploadSettings:
    """waitress's settings for one request that may carry a backup."""

    def __init__(self, adj: Any) -> None:
        self._adj = adj
        self.max_request_body_size = UPLOAD_BODY_BYTES + 1
        self.inbuf_overflow = UPLOAD_BODY_BYTES + 64 * 1024

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adj, name)


def _is_upload(header_plus: bytes) -> bool:
    first = header_plus.split(b"\r\n", 1)[0].split(b" ")
    if len(first) < 2 or first[0] != b"POST":
        return False
    return first[1].split(b"?", 1)[0].decode("latin-1") in UPLOAD_PATHS


class _Parser(HTTPRequestParser):
    """waitress's parser, with the bigger limit for a backup upload while a slot is free."""

    def __init__(self, adj: Any, uploads: weakref.WeakSet[_Parser]) -> None:
        super().__init__(adj)
        self._uploads = uploads

    def parse_header(self, header_plus: bytes) -> None:
        # The body's buffer is made inside waitress's parse_header: decide before it.
        if _is_upload(header_plus):
            receiving = sum(1 for p in self._uploads if not p.completed)
            if receiving < UPLOADS_AT_ONCE:
                self.adj = cast(Any, _UploadSettings(self.adj))
                self._uploads.add(self)
        super().parse_header(header_plus)


class _RefusalAnswer(ErrorTask):
    """waitress's own error answers, in Spotter's words (JSON under ``/api/``)."""

    def execute(self) -> None:
        request: Any = self.request
        error: Any = request.error
        too_big = isinstance(error, RequestEntityTooLarge)
        server: Any = self.channel.server
        server.refusals.refused(
            "body too large" if too_big else f"malformed request ({error.code})",
            str(self.channel.addr[0]),
        )
        message = _TOO_BIG if too_big else _MESSAGES.get(error.code, _BAD)
        path = getattr(request, "path", None) or ""
        if path.startswith("/api/"):
            body = json.dumps({"error": message, "fields": {}}).encode()
            kind = "application/json"
        else:
            body = (message + "\n").encode()
            kind = "text/plain; charset=utf-8"
        self.status = f"{error.code} {error.reason}"
        headers: Any = self.response_headers
        headers.append(("Content-Type", kind))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _RefusalAnswer
    request_started: float | None = None

    def __init__(
        self, server: SpotterServer, sock: Any, addr: Any, adj: Any, map: Any = None
    ) -> None:
        super().__init__(server, sock, addr, adj, map)
        uploads = server.uploads
        self.parser_class = cast(Any, lambda adj: _Parser(adj, uploads))
        host = addr[0]
        channels: Any = server.active_channels
        mine = sum(1 for c in channels.values() if c.addr[0] == host)
        if mine > PER_ADDRESS:
            server.refusals.refused("too many connections from one address", str(host))
            self.will_close = True

    def _flush_outbufs_below_high_watermark(self) -> None:
        """Wait (in a worker thread) until the client has taken enough of its answers, as
        waitress does, but never for ever: see the module's note on slow readers."""
        high = self.adj.outbuf_high_watermark
        if self.total_outbufs_len <= high:
            return
        server: Any = self.server
        with server.waiting_lock:
            patient = server.waiting < SLOW_READERS
            server.waiting += 1
        try:
            with self.outbuf_lock:
                inner: Any = self  # waitress's own, which its type stubs leave out
                inner._flush_exception(inner._flush_some, do_close=False)
                now = time.monotonic()
                deadline = now + (STALLED_SECONDS if patient else OVER_SECONDS)
                left = self.total_outbufs_len
                while self.connected and self.total_outbufs_len > high:
                    server.pull_trigger()
                    self.outbuf_lock.wait(_WAIT_TICK)
                    now = time.monotonic()
                    if patient and self.total_outbufs_len < left:
                        left = self.total_outbufs_len
                        deadline = now + STALLED_SECONDS
                    elif now >= deadline + _CLOSE_GRACE:
                        return  # the main loop has not closed it: stop waiting anyway
                    elif now >= deadline and not self.will_close:
                        server.refusals.refused("answer not read", str(self.addr[0]))
                        self.will_close = True
                        # Closed by the main loop (which owns the socket), never writable
                        # again here; closing wakes this wait and the task ends.
                        server.trigger.pull_trigger(self._drop)
        finally:
            with server.waiting_lock:
                server.waiting -= 1

    def _drop(self) -> None:
        server: Any = self.server
        inner: Any = self
        if server.active_channels.get(inner._fileno) is self:
            self.handle_close()

    def received(self, data: bytes) -> bool:
        if self.request is None and self.request_started is None and data:
            self.request_started = time.monotonic()
        result: bool = super().received(data)
        if self.request is None:
            self.request_started = None
        return result


class SpotterServer(TcpWSGIServer):
    """waitress's TCP server with the care above."""

    channel_class = _Channel
    effective_port: int

    def __init__(
        self,
        app: Any,
        *,
        host: str,
        port: int,
        threads: int = THREADS,
        idle_timeout: int = IDLE_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.refusals = RefusalLog()
        self.uploads: weakref.WeakSet[_Parser] = weakref.WeakSet()
        self.request_timeout = request_timeout
        # Worker threads now waiting for a client to take its answer.
        self.waiting = 0
        self.waiting_lock = threading.Lock()
        super().__init__(
            app, host=host, port=port, **server_settings(threads, idle_timeout, request_timeout)
        )

    def stop(self) -> None:
        """Stop accepting, drop every connection and end the worker threads."""
        self.close()
        socket_map: Any = cast(Any, self)._map
        for channel in list(socket_map.values()):
            channel.close()
        self.task_dispatcher.shutdown(timeout=5)

    def maintenance(self, now: Any) -> None:
        super().maintenance(now)
        cutoff = time.monotonic() - self.request_timeout
        channels: Any = self.active_channels
        for channel in list(channels.values()):
            started = getattr(channel, "request_started", None)
            if started is not None and started < cutoff and not channel.requests:
                self.refusals.refused("request too slow", str(channel.addr[0]))
                channel.will_close = True


def quiet_queue_warnings() -> None:
    """Let waitress say "Task queue depth is N" once a minute, not for every request."""
    queue_log = logging.getLogger("waitress.queue")
    if not any(isinstance(f, OncePerPeriod) for f in queue_log.filters):
        queue_log.addFilter(OncePerPeriod())


def make_server(app: Any, host: str, port: int, **options: Any) -> SpotterServer:
    """The page's server, bound and accepting; run it with ``.run()``, stop with ``.close()``.
    ``options`` are ``SpotterServer``'s (tests shorten the timeouts)."""
    quiet_queue_warnings()
    return SpotterServer(app, host=host, port=port, **options)
