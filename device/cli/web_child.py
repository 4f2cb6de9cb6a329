"""The phone page's own process, started and watched over by the daemon.

It serves the page over the store the daemon keeps (opened beside it) and reaches the
daemon only through the port on a Unix socket. Its own process means its own interpreter
lock and its own memory: a page under load cannot slow the button, and a page that runs
out of memory is started again while the workout goes on.

It writes one line to its standard output once it is serving, ``PORT <number>``, and
exits with ``CANNOT_BIND`` if the address is taken (starting it again would not help).
Its standard input is a pipe the daemon holds open: when it closes, however the daemon
ended (a kill -9 too), the page ends with it rather than hold the port.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import threading
from pathlib import Path

log = logging.getLogger("device.web")

CANNOT_BIND = 3
CANNOT_OPEN = 4
# Below the daemon: the button's thread wins the CPU whenever both want it.
NICENESS = 5
# Should the service run out of memory, the kernel ends this process before the daemon
# (any process may raise its own score): the page is started again, the button never stops.
OOM_SCORE_ADJ = 500
RESTARTING = "Spotter is starting again. Try once more in a few seconds."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spotter-web", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    _end_with_the_daemon()

    from device.cli.journal import configure_logging

    configure_logging(logging.getLevelName(args.log_level.upper()))
    with contextlib.suppress(OSError):  # a process may be denied this; the page still works
        os.nice(NICENESS)
    with contextlib.suppress(OSError):
        Path("/proc/self/oom_score_adj").write_text(f"{OOM_SCORE_ADJ}\n")

    from device.service.port_socket import PortClient, PortGone
    from routines.database import StoreVersionError
    from routines.store import Store

    client = PortClient(args.socket)
    try:
        store = Store.open_beside(args.data_dir, client)
    except (OSError, StoreVersionError) as err:
        log.error("the web page cannot open the data in %s: %s", args.data_dir, err)
        return CANNOT_OPEN
    # What this process writes, the daemon is told at once (by kind, so it re-reads only
    # that); what the daemon writes, this process reads from the file as it is.
    store.subscribe(client.changed)

    from flask import Response, jsonify, request

    from web_config import create_app
    from web_config.server import make_server

    # The allowance of wrong PINs is the daemon's: this process may die and start again.
    app = create_app(store=store, control=client, pins=client.pins)

    def restarting(err: PortGone) -> tuple[Response | str, int]:
        log.warning("the daemon did not answer: %s", err)
        if request.path.startswith("/api/"):
            return jsonify(error=RESTARTING), 503
        return RESTARTING, 503

    app.register_error_handler(PortGone, restarting)
    try:
        server = make_server(app, args.host, args.port)
    except OSError as err:
        log.error(
            "cannot serve the web page on %s:%d: %s (choose another with --port, or use --no-web)",
            args.host,
            args.port,
            err.strerror,
        )
        return CANNOT_BIND
    print(f"PORT {int(server.effective_port)}", flush=True)
    server.run()
    return 0


def _end_with_the_daemon() -> None:
    def watch() -> None:
        # The descriptor, not sys.stdin: a thread blocked in a buffered read holds its lock,
        # which the interpreter's own exit would then wait for.
        while os.read(0, 4096):
            pass
        os._exit(0)  # the daemon is gone: nothing here is worth finishing

    threading.Thread(target=watch, name="spotter-web-parent", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
