"""`GET /healthz`: 200 when the database answers, 503 when it does not.

On the web processes of a deployment with a separate clock process (``KMBOT_EXPECT_CLOCK=1``)
it also answers 503 when no reminder clock has sent a heartbeat for a while: reminders that
silently stop going out are the failure an operator would otherwise notice last.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from bot.web.extensions import get_config, get_database

logger = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)

# The holder renews every 10 s; two minutes without a heartbeat is no hiccup but a dead clock
# (and leaves room for some clock skew between the clock's host and the web's).
HEARTBEAT_MAX_AGE = timedelta(minutes=2)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    config = get_config()
    mode = "line" if config.line_configured else "local"
    try:
        get_database().ping()
    except SQLAlchemyError as error:
        logger.error("health check: database unavailable (%s)", type(error).__name__)
        return jsonify({"status": "error", "database": "unavailable", "mode": mode}), 503
    body: dict[str, object] = {"status": "ok", "database": "ok", "mode": mode}
    clock = _reminder_clock_heartbeat()
    if clock is not None:
        body["scheduler"] = clock
    if config.expect_clock:
        problem = _clock_problem(clock)
        if problem is not None:
            logger.error("health check: %s", problem)
            return jsonify({**body, "status": "error", "reason": problem}), 503
    return jsonify(body), 200


def _clock_problem(clock: dict[str, object] | None) -> str | None:
    """Why the expected reminder clock looks dead, or None when its heartbeat is recent."""
    from bot.core.calendar import now

    if clock is None:
        return "reminder clock expected (KMBOT_EXPECT_CLOCK) but none has ever run: start the clock process"
    age = now() - datetime.fromisoformat(str(clock["heartbeat_at"]))
    if age > HEARTBEAT_MAX_AGE:
        return (
            f"reminder clock heartbeat is {int(age.total_seconds())} s old "
            f"(more than {int(HEARTBEAT_MAX_AGE.total_seconds())} s): the clock process is down"
        )
    return None


def _reminder_clock_heartbeat() -> dict[str, object] | None:
    """When a reminder clock has ever run: its last heartbeat and whether its lease is live."""
    from bot.core.calendar import now
    from scheduler.lease import lease_status

    try:
        lease = lease_status(get_database())
    except SQLAlchemyError:
        return None
    if lease is None:
        return None
    # The holder (host and process id) stays out of a public endpoint.
    return {"heartbeat_at": lease["heartbeat_at"], "active": datetime.fromisoformat(lease["expires_at"]) > now()}
