"""`GET /healthz`: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from bot.extensions import get_config, get_database

logger = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    mode = "line" if get_config().line_configured else "local"
    try:
        get_database().ping()
    except SQLAlchemyError as error:
        logger.error("health check: database unavailable (%s)", type(error).__name__)
        return jsonify({"status": "error", "database": "unavailable", "mode": mode}), 503
    body: dict[str, object] = {"status": "ok", "database": "ok", "mode": mode}
    clock = _reminder_clock_heartbeat()
    if clock is not None:
        body["scheduler"] = clock
    return jsonify(body), 200


def _reminder_clock_heartbeat() -> dict[str, object] | None:
    """When a reminder clock has ever run: its last heartbeat and whether its lease is live."""
    from datetime import datetime

    from scheduler.clock import now
    from scheduler.lease import lease_status

    try:
        lease = lease_status(get_database())
    except SQLAlchemyError:
        return None
    if lease is None:
        return None
    # The holder (host and process id) stays out of a public endpoint.
    return {"heartbeat_at": lease["heartbeat_at"], "active": datetime.fromisoformat(lease["expires_at"]) > now()}
