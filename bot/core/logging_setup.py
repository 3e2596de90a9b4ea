"""Process logging: plain lines for a terminal, one JSON object per line for a log collector.

`KMBOT_LOG_FORMAT=json` switches to JSON; `KMBOT_LOG_LEVEL` sets the level. Whatever the
format, the LINE channel secret and access token are masked if any message ever carries them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping

from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SECRET_ENVIRONMENT_VARIABLES = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "KMBOT_ADMIN_PASSWORD", "KMBOT_SECRET_KEY")
MASK = "[redacted]"
# Loggers that say too much at INFO for an office's log: each scheduler run, each migration step.
QUIET_LOGGERS = ("alembic", "apscheduler", "bm25s")


class SecretMask(logging.Filter):
    """Replaces known secrets in a record's message and arguments before any handler sees them."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Short values would mask ordinary words; real secrets and tokens are long.
        self.secrets = tuple(sorted({secret for secret in secrets if secret and len(secret) >= 8}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, MASK)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def log_format_from(environ: Mapping[str, str]) -> str:
    log_format = (environ.get("KMBOT_LOG_FORMAT") or "text").strip().lower()
    if log_format not in LOG_FORMATS:
        raise ValueError(f"KMBOT_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    return log_format


def configure_logging(level: str, environ: Mapping[str, str]) -> None:
    """Send the process's logs to stderr in the configured format, secrets masked."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format_from(environ) == "json":
        # "time" is ISO 8601 in UTC with microseconds, as log collectors sort by it.
        handler.setFormatter(JsonFormatter(
            "{levelname}{name}{message}", style="{", timestamp="time", json_ensure_ascii=False,
            rename_fields={"levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(SecretMask(environ.get(name, "") for name in SECRET_ENVIRONMENT_VARIABLES))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
