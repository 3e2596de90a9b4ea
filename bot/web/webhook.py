"""`POST /callback`: verify LINE's signature, parse with the SDK, handle each event exactly once."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from linebot.v3.messaging.models import Message
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import Event
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.core.config import Config
from bot.core.database import Database, insert_ignoring_duplicates
from bot.core.line_client import LineApiError, LineClient
from bot.core.tables import ReceivedWebhookEvent
from bot.web.extensions import get_config, get_database, get_line_client, get_search
from handlers.context import ChatSource, HandlerContext
from handlers.registry import handle_event
from kb.search_service import KnowledgeSearch

logger = logging.getLogger(__name__)

blueprint = Blueprint("webhook", __name__)

LOCAL_MODE_MESSAGE = (
    "kmbot is running in local mode: LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set, "
    "so LINE webhooks cannot be verified. / ยังไม่ได้ตั้งค่าช่อง LINE จึงยังรับ webhook ไม่ได้"
)


@blueprint.post("/callback")
def callback() -> tuple[Response, int] | Response:
    config = get_config()
    if not config.line_configured:
        return _error(503, LOCAL_MODE_MESSAGE)
    if request.content_length is not None and request.content_length > config.max_webhook_body_bytes:
        return _error(413, "request body is larger than 1 MiB")
    body = request.stream.read(config.max_webhook_body_bytes + 1)
    if len(body) > config.max_webhook_body_bytes:
        return _error(413, "request body is larger than 1 MiB")
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _error(400, "missing X-Line-Signature header")
    try:
        body_text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _error(400, "request body is not UTF-8")
    # Verified before anything is parsed or stored.
    if not SignatureValidator(config.line_channel_secret).validate(body_text, signature):
        return _error(400, "invalid signature")
    try:
        payload = json.loads(body_text)
    except (ValueError, RecursionError):  # deeply nested arrays exhaust the parser's recursion limit
        return _error(400, "request body is not valid JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _error(400, "request body has no events list")

    services = EventServices(get_database(), config, get_line_client(), get_search(), config.public_base_url or request.host_url)
    try:
        handled = sum(1 for raw_event in payload["events"] if process_raw_event(raw_event, services))
    except SQLAlchemyError as error:
        # Each event is one transaction, rolled back whole: answering 5xx makes LINE redeliver,
        # events committed before the failure are skipped then, the others handled once.
        logger.error("webhook: database unavailable (%s); asking LINE to redeliver", type(error).__name__)
        return _error(503, "database unavailable; please redeliver")
    return jsonify({"status": "ok", "handled": handled})


@dataclass(frozen=True)
class EventServices:
    """What handling an event needs from the app, gathered once per request."""

    database: Database
    config: Config
    line: LineClient | None
    search: KnowledgeSearch
    base_url: str | None


def process_raw_event(raw_event: Any, services: EventServices) -> bool:
    """Handle one webhook event unless it was handled before; True when it was handled now."""
    event = parse_event(raw_event)
    if event is None:
        return False
    line = services.line
    replies: list[Message] | None
    with services.database.session() as session:
        first_time = insert_ignoring_duplicates(
            session,
            ReceivedWebhookEvent,
            {
                "webhook_event_id": event.webhook_event_id,
                "event_type": event.type,
                "source_type": event.source.type if event.source else None,
                "redelivery": bool(event.delivery_context.is_redelivery),
                "event_timestamp": event.timestamp,
            },
            unique_columns=["webhook_event_id"],
        ) is not None
        if not first_time:
            logger.info("event %s was handled before; ignored", event.webhook_event_id)
            return False
        context = HandlerContext(
            session=session,
            config=services.config,
            source=ChatSource.of(event),
            line=line,
            search=services.search,
            base_url=services.base_url,
            webhook_event_id=event.webhook_event_id,
        )
        context.note_participants()
        replies = handle_event(event, context)
        if replies is None:
            logger.info("no handler for event type %r; acknowledged", event.type)
    # Replies go out only after the event's changes are committed.
    reply_token = getattr(event, "reply_token", None)
    if replies and reply_token and line is not None:
        try:
            line.reply(reply_token, replies[:5])
        except LineApiError as error:
            logger.error("reply failed for event %s: %s", event.webhook_event_id, error)
    return True


# LINE's ids are 26 (event) and 33 (user, group, room) characters of letters and digits;
# the columns that keep them hold 64. Anything else did not come from LINE.
_LINE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_ID_FIELDS = ("userId", "groupId", "roomId")


def parse_event(raw_event: Any) -> Event | None:
    """The SDK's model of one event, or None for an event that is not a well-formed LINE event."""
    if not isinstance(raw_event, dict) or not isinstance(raw_event.get("webhookEventId"), str):
        logger.warning("event without a webhookEventId skipped")
        return None
    if not _has_line_ids(raw_event):
        logger.warning("event with malformed ids skipped")
        return None
    try:
        return Event.from_dict(_storable(raw_event))
    except (ValidationError, ValueError, TypeError, KeyError, AttributeError):
        logger.warning(
            "event %s of type %r could not be read; skipped",
            raw_event.get("webhookEventId"), str(raw_event.get("type"))[:40],
        )
        return None


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"status": "error", "message": message}), status


def _has_line_ids(raw_event: dict[str, Any]) -> bool:
    source = raw_event.get("source")
    ids = [raw_event["webhookEventId"]]
    if isinstance(source, dict):
        ids += [source[field] for field in _SOURCE_ID_FIELDS if source.get(field) is not None]
    return all(isinstance(value, str) and _LINE_ID.fullmatch(value) for value in ids)


def _storable(value: Any) -> Any:
    """The event with every string made storable in any database.

    JSON may carry NUL characters and lone surrogates; PostgreSQL refuses the first and no
    UTF-8 encoder takes the second. Neither means anything in a question, so NUL goes and a
    lone surrogate becomes U+FFFD, and the event is handled like any other.
    """
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # A valid pair written as two escapes survives the round trip; a lone half does not.
            value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, dict):
        return {key: _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value
