"""`POST /callback`: verify LINE's signature, parse each event with the SDK, hand it to the
handlers (`handlers.dispatch`), record what failed, and send the replies after the commit.

Registered on the app on first use (`bot.web.extensions.load_event_stack`): this module brings
the LINE SDK's models and every handler, which /healthz and the pages do not need."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify, request
from linebot.v3.messaging.models import Message, TextMessage
from linebot.v3.webhook import SignatureValidator
from linebot.v3.webhooks import Event
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.core.calendar import now
from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineApiError, LineClient
from bot.core.tables import InteractionEvent
from bot.web.extensions import get_config, get_database, get_line_client, get_search
from handlers.dispatch import handle_line_event, record_failed_event
from kb.search_service import KnowledgeSearch

logger = logging.getLogger(__name__)

LOCAL_MODE_MESSAGE = (
    "kmbot is running in local mode: LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set, "
    "so LINE webhooks cannot be verified. / ยังไม่ได้ตั้งค่าช่อง LINE จึงยังรับ webhook ไม่ได้"
)


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
    outcomes = {HANDLED: 0, FAILED: 0}
    try:
        for raw_event in payload["events"]:
            outcome = process_raw_event(raw_event, services)
            if outcome in outcomes:
                outcomes[outcome] += 1
    except SQLAlchemyError as error:
        # Only a temporary failure (the database unreachable, a lost connection) gets here. Each
        # event is one transaction, rolled back whole: answering 5xx makes LINE redeliver, events
        # committed before the failure are skipped then, the others handled once.
        logger.error("webhook: database unavailable (%s); asking LINE to redeliver", type(error).__name__)
        return _error(503, "database unavailable; please redeliver")
    return jsonify({"status": "ok", "handled": outcomes[HANDLED], "failed": outcomes[FAILED]})


@dataclass(frozen=True)
class EventServices:
    """What handling an event needs from the app, gathered once per request."""

    database: Database
    config: Config
    line: LineClient | None
    search: KnowledgeSearch
    base_url: str | None


# What became of one event in a delivery.
HANDLED = "handled"      # handled now, its changes committed
SKIPPED = "skipped"      # not a LINE event, or handled before (a redelivery)
FAILED = "failed"        # failed for good: recorded with its error and acknowledged

# Errors that say the database is out of reach for now, not that the event is bad: the delivery is
# answered 503 so that LINE sends it again. Anything else an event raises (a value no column can
# hold, a number too large, nesting too deep, a bug) would fail the same way on every redelivery.
TEMPORARY_DATABASE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)

SORRY = (
    "ขออภัยค่ะ น้องบอทอ่านข้อความนี้ไม่สำเร็จ (อาจมีตัวเลขหรือข้อมูลที่ยาวเกินไป) "
    "ลองพิมพ์ใหม่อีกครั้ง หรือพิมพ์ /help เพื่อดูวิธีใช้นะคะ"
)


def is_temporary(error: BaseException) -> bool:
    """Whether `error` means the database could not be reached (worth a redelivery)."""
    if isinstance(error, TEMPORARY_DATABASE_ERRORS):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def process_raw_event(raw_event: Any, services: EventServices) -> str:
    """Handle one webhook event unless it was handled before: HANDLED, SKIPPED or FAILED.

    The event is its own transaction (`handlers.dispatch.handle_line_event`): a failure rolls back
    its changes only. A temporary database failure is raised (the caller answers 503); any other
    error is recorded with the event, which is acknowledged, so one impossible event does not keep
    the others of its delivery waiting. Replies go out after the commit.
    """
    event = parse_event(raw_event)
    if event is None:
        return SKIPPED
    if getattr(getattr(event, "mode", None), "value", None) == "standby":
        # Another channel is active for this chat (LINE's module mode); it answers, not kmbot.
        logger.info("event %s arrived in standby mode; not handled", event.webhook_event_id)
        return SKIPPED
    try:
        replies = handle_line_event(event, services)
    except Exception as error:  # noqa: BLE001 - sorted into temporary (raised) and permanent (recorded)
        if is_temporary(error):
            raise
        return _record_failure(event, error, services)
    if replies is None:
        return SKIPPED
    if not _reply(event, services.line, replies):
        _mark_answers_undelivered(event, services.database)
    return HANDLED


def _record_failure(event: Event, error: Exception, services: EventServices) -> str:
    """Keep the failed event's id and error, so it is acknowledged now and skipped if redelivered."""
    name = type(error).__name__
    logger.error("event %s failed for good (%s); recorded and acknowledged", event.webhook_event_id, name,
                 exc_info=not isinstance(error, (SQLAlchemyError, OverflowError, RecursionError)))
    try:
        first_time = record_failed_event(services.database, event, name)
    except Exception as second:  # noqa: BLE001
        if is_temporary(second):
            raise
        logger.error("event %s: its failure could not be recorded either (%s)", event.webhook_event_id, type(second).__name__)
        return FAILED
    if first_time:
        _reply(event, services.line, [TextMessage(text=SORRY)])
    return FAILED


# A reply token expires: LINE refuses a reply to an event older than this (a redelivery can
# arrive much later than the event). Past it the event is handled and logged, not answered.
REPLY_TOKEN_LIFETIME_SECONDS = 20 * 60


def _reply(event: Event, line: LineClient | None, replies: list[Message] | None) -> bool:
    """Send the replies; False when LINE refused them (or their token had expired)."""
    reply_token = getattr(event, "reply_token", None)
    if replies and reply_token and line is not None and _reply_token_expired(event):
        logger.info("event %s is too old to reply to (its reply token has expired); handled without a reply",
                    event.webhook_event_id)
        return False
    if replies and reply_token and line is not None:
        _quote_the_message(event, replies)
        try:
            line.reply(reply_token, replies[:5])
        except LineApiError as error:
            logger.error("reply failed for event %s: %s", event.webhook_event_id, error)
            return False
    return True


def _mark_answers_undelivered(event: Event, database: Database) -> None:
    """An answer staff never received is not an answer: its log row becomes `answer_undelivered`,
    so the reach report's answered count and answer rate leave it out (the question still counts)."""
    try:
        with database.session() as session:
            session.execute(
                update(InteractionEvent)
                .where(InteractionEvent.webhook_event_id == event.webhook_event_id, InteractionEvent.kind == "answer")
                .values(kind="answer_undelivered")
            )
    except SQLAlchemyError:
        logger.exception("event %s: its undelivered answer could not be marked", event.webhook_event_id)


def _quote_the_message(event: Event, replies: list[Message]) -> None:
    """In a group or room, a text reply quotes the message it answers, so the group sees which
    question it belongs to (LINE's quoteToken)."""
    source = getattr(event, "source", None)
    quote_token = getattr(getattr(event, "message", None), "quote_token", None)
    if quote_token and source is not None and str(source.type) in ("group", "room"):
        first = replies[0]
        if isinstance(first, TextMessage) and not first.quote_token:
            first.quote_token = quote_token


def _reply_token_expired(event: Event) -> bool:
    timestamp = event.timestamp
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        return False
    try:
        return now().timestamp() - timestamp / 1000 > REPLY_TOKEN_LIFETIME_SECONDS
    except OverflowError:  # no clock reaches it: not a time LINE sent
        return False


# LINE's ids are 26 (event) and 33 (user, group, room) characters of letters and digits;
# the columns that keep them hold 64. Anything else did not come from LINE.
_LINE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_ID_FIELDS = ("userId", "groupId", "roomId")


# LINE's events are a few levels deep (message > mention > mentionees > item); parsing recurses,
# so an event nested hundreds deep could exhaust the stack. Far more than LINE uses is allowed.
MAX_EVENT_DEPTH = 32


def parse_event(raw_event: Any) -> Event | None:
    """The SDK's model of one event, or None for an event that is not a well-formed LINE event."""
    if not isinstance(raw_event, dict) or not isinstance(raw_event.get("webhookEventId"), str):
        logger.warning("event without a webhookEventId skipped")
        return None
    if not _has_line_ids(raw_event):
        logger.warning("event with malformed ids skipped")
        return None
    if _depth(raw_event) > MAX_EVENT_DEPTH:
        logger.warning("event nested more than %d levels deep skipped", MAX_EVENT_DEPTH)
        return None
    try:
        return Event.from_dict(_storable(raw_event))
    except (ValidationError, ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        logger.warning(
            "event %s of type %r could not be read; skipped",
            raw_event.get("webhookEventId"), str(raw_event.get("type"))[:40],
        )
        return None


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_EVENT_DEPTH:
            return deepest
        pending.extend((child, level + 1) for child in children)
    return deepest


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
