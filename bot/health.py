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
    return jsonify({"status": "ok", "database": "ok", "mode": mode}), 200
