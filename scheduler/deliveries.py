"""What the reminder and knowledge pushes share about a claimed delivery row: the claim, its
outcome, why a push failed, and the group's size at send time."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update

from bot.core.database import Base, Database
from bot.core.line_client import LineApiError, LineClient

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 300  # the delivery tables' `error` column


@dataclass(frozen=True)
class Claim:
    """The right to push one delivery row, held while `attempts` on the row is unchanged."""

    row_id: int
    attempts: int


def mark_claim(database: Database, model: type[Base], claim: Claim, *, state: str, error: str | None) -> None:
    """Record the outcome of a claimed push, unless another process has taken the row over since."""
    with database.session() as session:
        session.execute(
            update(model)
            .where(model.id == claim.row_id, model.attempts == claim.attempts)  # type: ignore[attr-defined]
            .values(state=state, error=error)
        )


def push_failure_reason(error: Exception, what: str) -> str:
    """LINE's answer for a refused push; the exception's type (logged with its traceback) otherwise."""
    if isinstance(error, LineApiError):
        return str(error)[:MAX_ERROR_CHARS]
    logger.exception("%s could not be pushed", what)
    return type(error).__name__


def member_count_now(line_client: LineClient, line_group_id: str, kind: str) -> int | None:
    """The group's size as LINE reports it now; None when LINE cannot say."""
    try:
        return line_client.member_count(line_group_id, kind)
    except (LineApiError, ValueError, KeyError):
        logger.warning("member count of a group unavailable; using the last known value")
        return None
