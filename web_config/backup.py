"""Backups from the page and the API: download one, restore one.

With a PIN set, both need it: a backup holds every member's history (``guard``).
A download is served from a kept copy (``backup_copies``: at most one new copy a minute).
A restore is a change (the PIN, when set) and is checked completely before anything is
replaced; a refused file leaves everything as it was. A workout under way when the data
is replaced is ended and not recorded: it belonged to the data that is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wsgi import wrap_file

from device.events import State
from routines.backup import (
    MAX_BACKUP_BYTES,
    BackupError,
    StorageFull,
    restore_backup,
    writing_to,
)
from web_config.auth import current_pin_hash, is_authorised
from web_config.backup_copies import BackupCopies, TooSoon
from web_config.context import control, link, store
from web_config.errors import ApiError

log = logging.getLogger(__name__)

bp = Blueprint("backup", __name__)

# A backup is bigger than anything else sent to the page; a form adds its own few bytes.
UPLOAD_LIMITS = {
    "backup.api_restore": MAX_BACKUP_BYTES + 64 * 1024,
    "backup.form_restore": MAX_BACKUP_BYTES + 64 * 1024,
}
# The raw file, not JSON, is the body of POST /api/restore.
RAW_BODY_ENDPOINTS = frozenset({"backup.api_restore"})
MEDIA_TYPE = "application/vnd.sqlite3"
COPY_CHUNK = 256 * 1024


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    # Beside the store: the same file system, and never world-readable.
    fd, name = tempfile.mkstemp(prefix=".upload-", dir=store().path().parent)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _file_name() -> str:
    day = time.strftime("%Y-%m-%d", time.localtime(link().clock()))
    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())
    return f"spotter-{host}-{day}.sqlite3"


def _copies() -> BackupCopies:
    copies = current_app.extensions.get("spotter-backup-copies")
    if copies is None:
        # The page's clock, as the press limit's: a test moves it.
        copies = BackupCopies(store(), clock=link().clock)
        current_app.extensions["spotter-backup-copies"] = copies
    assert isinstance(copies, BackupCopies)
    return copies


@bp.route("/api/backup")
def download() -> Response:
    """A consistent copy of routines, settings, history (and profiles); the PIN hash only
    for a request that may change things."""
    with_pin = bool(current_pin_hash()) and is_authorised()
    try:
        body = _copies().open(with_pin=with_pin)
    except TooSoon as err:
        raise ApiError(
            429,
            f"No backup now: {err.reason}. Try again in {err.retry_after} s.",
            headers={"Retry-After": str(err.retry_after)},
        ) from None
    except StorageFull as err:
        raise ApiError(507, f"No backup: {err.strerror}.") from None
    size = os.fstat(body.fileno()).st_size
    response = Response(
        wrap_file(request.environ, body, COPY_CHUNK), mimetype=MEDIA_TYPE, direct_passthrough=True
    )
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Disposition"] = f'attachment; filename="{_file_name()}"'
    response.headers["Cache-Control"] = "no-store"
    return response


WORKOUT_ENDED = (
    "The workout that was under way was ended and not recorded: it belonged to the data "
    "the restore replaced."
)


def _restore_from(stream: IO[bytes]) -> bool:
    """Check and restore the file read from ``stream``; ``BackupError`` says why not (nothing
    changed then). Copied in chunks: a 16 MiB backup is never held twice in memory. True
    when a workout was under way (the daemon ends it: it belongs to the replaced data)."""
    with writing_to(store().path().parent), _scratch() as path:
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(COPY_CHUNK):
                size += len(chunk)
                if size > MAX_BACKUP_BYTES:
                    raise BackupError(
                        f"the file is larger than a backup: at most {MAX_BACKUP_BYTES} bytes"
                    )
                out.write(chunk)
        running = control().status().state not in (State.IDLE, State.DONE)
        restore_backup(store(), path)
    log.warning("the data was restored from a backup sent to the web page")
    if running:
        log.warning("a workout was under way: it is ended and not recorded")
    return running


@bp.route("/api/restore", methods=["POST"])
def api_restore() -> tuple[Response, int]:
    """Replace the data with the backup in the body (the file as downloaded)."""
    if (request.content_length or 0) > MAX_BACKUP_BYTES:
        raise ApiError(
            422,
            f"Not restored: the file is {request.content_length} bytes, and a backup is at most "
            f"{MAX_BACKUP_BYTES}. Nothing was changed.",
        )
    try:
        ended = _restore_from(request.stream)
    except BackupError as err:
        raise ApiError(422, f"Not restored: {err}. Nothing was changed.") from None
    except StorageFull as err:
        raise ApiError(507, f"Not restored: {err.strerror}. Nothing was changed.") from None
    answer: dict[str, object] = {
        "restored": True,
        "previous": store().path().name + ".previous",
        "workout_ended": ended,
    }
    if ended:
        answer["message"] = WORKOUT_ENDED
    return jsonify(answer), 200


@bp.route("/settings/restore", methods=["POST"])
def form_restore() -> ResponseReturnValue:
    """The Settings page's restore form (a file field named ``backup``)."""
    upload = request.files.get("backup")
    if upload is None or not upload.filename:
        flash("Choose a backup file first.", "error")
        return redirect(url_for("settings.page"))
    try:
        ended = _restore_from(upload.stream)
    except BackupError as err:
        flash(f"Not restored: {err}. Nothing was changed.", "error")
        return redirect(url_for("settings.page"))
    except StorageFull as err:
        flash(f"Not restored: {err.strerror}. Nothing was changed.", "error")
        return redirect(url_for("settings.page"))
    flash("Restored. The data it replaced is kept on the device beside the new one.", "ok")
    if ended:
        flash(WORKOUT_ENDED, "ok")
    return redirect(url_for("settings.page"))
