"""The device's settings as changed from their defaults."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from routines.changes import Data
from routines.database import Database
from routines.errors import SettingsError
from routines.settings import Settings, parse_settings_changes

log = logging.getLogger(__name__)


class SettingsRepository:
    """Reads and writes the ``settings`` table: one JSON value per key left off its default."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self) -> Settings:
        """The current settings (defaults for anything never changed or unreadable)."""
        with self._db.lock:
            rows = self._db.conn.execute("SELECT key, value FROM settings").fetchall()
            saved: dict[str, object] = {}
            for row in rows:
                try:
                    saved[str(row["key"])] = json.loads(row["value"])
                except (TypeError, ValueError):
                    self._db.skip(f"setting {row['key']!r}", "its value is not JSON")
        try:
            return parse_settings_changes(saved, Settings())
        except SettingsError as err:
            # A later Spotter narrowed a rule, or the row was damaged: fall back for those keys.
            log.warning("ignoring stored settings that are no longer valid: %s", err)
            kept = {k: v for k, v in saved.items() if not _names_key(err, k)}
            try:
                return parse_settings_changes(kept, Settings())
            except SettingsError:
                return Settings()

    def update(self, changes: Mapping[str, object]) -> Settings:
        """Apply and keep a change; ``SettingsError`` leaves the store untouched."""
        with self._db.transaction(Data.SETTINGS) as conn:
            updated = parse_settings_changes(changes, self.get())
            defaults = Settings().to_dict()
            conn.execute("DELETE FROM settings")
            # Values left at their default are not stored, so they follow future defaults.
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?)",
                [
                    (key, json.dumps(value))
                    for key, value in updated.to_dict().items()
                    if value != defaults[key]
                ],
            )
            return updated


def _names_key(err: SettingsError, key: str) -> bool:
    return any(field == key or field.startswith(key + ".") for field in err.errors)
