"""Commands for the owner of a device: backups, restores, the PIN, the Avahi file."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from device.service.errors import CommandError
from routines.store import Store, StoreBusy, StoreVersionError

log = logging.getLogger("spotter.owner")

AddOptions = Callable[[argparse.ArgumentParser], None]


def _open_store(args: argparse.Namespace) -> Store:
    from device.service.config import config_from_args

    data_dir = config_from_args(args).data_dir
    try:
        return Store.open(data_dir)
    except OSError as err:
        raise CommandError(f"cannot open the data directory {data_dir}: {err.strerror}") from err


def audit(message: str) -> None:
    """Log ``message`` where the owner will find it later: the system log (the journal on a
    Pi), as well as the terminal."""
    log.warning("%s", message)
    if not Path("/dev/log").exists():
        return
    try:
        import logging.handlers

        handler = logging.handlers.SysLogHandler("/dev/log")
    except OSError:
        return
    handler.ident = "spotter: "
    try:
        handler.emit(logging.LogRecord(log.name, logging.WARNING, "", 0, message, None, None))
    finally:
        handler.close()


def cmd_backup(args: argparse.Namespace) -> int:
    from routines.backup import write_backup

    destination = Path(args.file)
    with _open_store(args) as store:
        try:
            write_backup(store, destination, with_pin=not args.without_pin)
        except OSError as err:
            raise CommandError(f"cannot write {destination}: {err.strerror}") from err
    print(f"backed up routines, settings and history to {destination}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from routines.backup import PREVIOUS_SUFFIX, BackupError, StorageFull, restore_backup

    upload = Path(args.file)
    if not upload.is_file():
        raise CommandError(f"{upload} is not a file")
    try:
        opened = _open_store(args)
    except StoreVersionError:
        # Going back to this release after a newer one upgraded the data: this release
        # cannot open that data, so it is set aside whole rather than merged into.
        return _restore_over_newer(args, upload)
    with opened as store:
        try:
            store.claim_alone()
        except StoreBusy:
            raise CommandError(
                "Spotter is running and using its data: stop it first (sudo systemctl stop "
                "spotter), restore, then start it again; or restore on the web page's Settings"
            ) from None
        try:
            restore_backup(store, upload)
        except (BackupError, StorageFull) as err:
            raise CommandError(f"nothing was changed: {err}") from None
        previous = store.path().with_name(store.path().name + PREVIOUS_SUFFIX)
    audit(f"the data was restored from {upload.resolve()} (uid {os.getuid()})")
    print(f"restored from {upload}; the data it replaced is kept as {previous}")
    return 0


def _restore_over_newer(args: argparse.Namespace, upload: Path) -> int:
    from device.service.config import config_from_args
    from routines.backup import BackupError, StorageFull, stage_restore
    from routines.store import DB_NAME

    db = config_from_args(args).data_dir / DB_NAME
    staged = db.with_name(db.name + ".restoring")
    staged.unlink(missing_ok=True)
    os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        # Copied through this release's checks before anything moves; the newer data's
        # secrets stay with it (this device makes new ones).
        stage_restore(upload, staged, secrets=[], pin_hash="")
    except (BackupError, StorageFull) as err:
        staged.unlink(missing_ok=True)
        raise CommandError(f"nothing was changed: {err}") from None
    finally:
        for suffix in ("-wal", "-shm", "-journal"):
            staged.with_name(staged.name + suffix).unlink(missing_ok=True)
    aside = db.with_name(db.name + ".newer")
    for suffix in ("-wal", "-shm"):  # the newer data's journal belongs with it
        journal = db.with_name(db.name + suffix)
        if journal.exists():
            journal.replace(aside.with_name(aside.name + suffix))
    db.replace(aside)
    staged.replace(db)
    audit(f"the data was restored from {upload.resolve()} (uid {os.getuid()})")
    print(f"restored from {upload}; the newer version's data is kept as {aside}")
    return 0


def cmd_pin_reset(args: argparse.Namespace) -> int:
    with _open_store(args) as store:
        if not store.settings().pin_hash:
            print("no PIN is set: the web page is open to the local network")
            return 0
        store.update_settings({"pin_hash": ""})
    audit(f"the web PIN was cleared from the command line (uid {os.getuid()})")
    print("the PIN is cleared: set a new one on the web page's Settings")
    return 0


def cmd_avahi_service(args: argparse.Namespace) -> int:
    from device.service.config import config_from_args
    from device.service.mdns import service_file

    config = config_from_args(args)
    print(service_file(config.name, config.web_port), end="")
    return 0


def add_commands(
    sub: Any,  # argparse's subparsers action, of main's parser class
    data_options: AddOptions,
    parser_class: type[argparse.ArgumentParser],
) -> None:
    """``backup``, ``restore``, ``pin reset`` and ``avahi-service`` on the ``spotter`` parser."""
    backup = sub.add_parser(
        "backup", help="write a backup of the routines, settings and history to FILE"
    )
    data_options(backup)
    backup.add_argument("file", metavar="FILE")
    backup.add_argument(
        "--without-pin", action="store_true", help="leave the web PIN out of the backup"
    )
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="replace the routines, settings and history with a backup (Spotter stopped)"
    )
    data_options(restore)
    restore.add_argument("file", metavar="FILE")
    restore.set_defaults(func=cmd_restore)

    pin = sub.add_parser("pin", help="the web page's PIN")
    psub = pin.add_subparsers(dest="pin_command", metavar="ACTION", parser_class=parser_class)
    psub.required = True
    reset = psub.add_parser("reset", help="clear the PIN (logged), when it is forgotten")
    data_options(reset)
    reset.set_defaults(func=cmd_pin_reset)

    avahi = sub.add_parser(
        "avahi-service", help="print the Avahi service file that announces the web page"
    )
    data_options(avahi)
    avahi.set_defaults(func=cmd_avahi_service)
