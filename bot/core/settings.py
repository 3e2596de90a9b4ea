"""The secretary's stored settings: reading and saving them, and the Config every part reads.

`LiveConfig` is what the web app and the clock hold instead of a fixed Config: it reads the
`settings` table at most once per `max_age` seconds, so a change saved in /admin reaches the
webhook, the handlers and the next clock tick without a restart, while a busy webhook still
costs one small query per few seconds at most.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.core.calendar import now
from bot.core.config import SETTINGS_BY_FIELD, Config, parse_setting, with_stored_settings
from bot.core.database import Database
from bot.core.tables import Setting

logger = logging.getLogger(__name__)

# A change in /admin is seen by every process within this many seconds.
SETTINGS_MAX_AGE_SECONDS = 5.0


def read_stored_settings(session: Session) -> dict[str, str]:
    """Every stored setting as the text it was saved with."""
    return {row.key: row.value for row in session.scalars(select(Setting))}


def store_settings(session: Session, values: Mapping[str, str | None]) -> None:
    """Save settings (field name → text); None or blank text removes one (back to the default).

    Each text is checked with the same parser that later reads it, so nothing unreadable is kept.
    """
    for field_name, text in values.items():
        if field_name not in SETTINGS_BY_FIELD:
            raise KeyError(field_name)
        row = session.get(Setting, field_name)
        if text is None or not text.strip():
            if row is not None:
                session.delete(row)
            continue
        parse_setting(field_name, text)
        if row is None:
            session.add(Setting(key=field_name, value=text.strip(), updated_at=now()))
        elif row.value != text.strip():
            row.value, row.updated_at = text.strip(), now()
    session.flush()


class LiveConfig:
    """The environment's Config with the stored settings under it, re-read every few seconds."""

    def __init__(self, base: Config, database: Database, *, max_age: float = SETTINGS_MAX_AGE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.base = base
        self._database = database
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._stored: dict[str, str] | None = None
        self._config = base
        self._read_at = float("-inf")

    def current(self) -> Config:
        """The Config as of at most `max_age` seconds ago; the environment's alone when the
        database cannot be read (not migrated yet, or away)."""
        if self._clock() - self._read_at < self._max_age:
            return self._config
        with self._lock:
            if self._clock() - self._read_at >= self._max_age:
                self._reload()
        return self._config

    def invalidate(self) -> None:
        """Read the table again on the next `current()` (after the settings page saved)."""
        self._read_at = float("-inf")
        self._stored = None

    def _reload(self) -> None:
        try:
            with self._database.session() as session:
                stored = read_stored_settings(session)
        except SQLAlchemyError as error:
            logger.debug("stored settings not read (%s); the environment's settings apply", type(error).__name__)
            stored = {}
        if stored != self._stored:
            self._config = with_stored_settings(self.base, stored)
            self._stored = stored
        self._read_at = self._clock()
