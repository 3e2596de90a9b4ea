"""The way into the handlers: one LINE event, handled once, in one transaction of its own.

`bot.web.webhook` checks LINE's signature, parses each event with the SDK and hands it to
`handle_line_event`, which

1. records the sender and the group or room (`HandlerContext.note_participants`); the sender's
   row stays locked until the commit, so one person's events take turns in every process;
2. claims the event: its id goes into `received_webhook_events` unless it is there already (a
   redelivery, or a copy another process is handling), and the same statement reads the
   sender's recent counts for the rate limits (`handlers.rate_limit`);
3. refuses a flood, or runs the handler of the event's type (`handlers.registry`);
4. commits, then runs the work that had to wait for the commit (calls to LINE), outside any
   transaction;
5. returns the replies, which the web layer sends.

The chat simulator's events come through `handle_simulated_event`: the same handlers, with no
claim, no rate limit and no LINE client.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from linebot.v3.messaging.models import Message
from linebot.v3.webhooks import Event

from bot.core.calendar import BANGKOK, now
from bot.core.config import Config
from bot.core.database import Database, insert_ignoring_duplicates, upsert_statement
from bot.core.line_client import LineClient
from bot.core.tables import ReceivedWebhookEvent
from handlers.context import ChatSource, HandlerContext
from handlers.rate_limit import check_event_rate, recent_activity, recent_activity_counts
from handlers.registry import handle_event
from kb.search_service import KnowledgeSearch

logger = logging.getLogger(__name__)

# What a person sends; joins, follows and the like are LINE's and never refused.
RATE_LIMITED_EVENTS = frozenset({"message", "postback"})


class AppServices(Protocol):
    """What the app lends the handlers for an event (`bot.web.webhook.EventServices`)."""

    @property
    def database(self) -> Database: ...

    @property
    def config(self) -> Config: ...

    @property
    def line(self) -> LineClient | None: ...

    @property
    def search(self) -> KnowledgeSearch: ...

    @property
    def base_url(self) -> str | None: ...


def handle_line_event(event: Event, services: AppServices) -> list[Message] | None:
    """Handle one LINE event unless it was handled before; the replies to send (maybe none), or
    None for an event handled before.

    Whatever the transaction raises is raised, its changes rolled back: the caller tells a
    database out of reach (LINE should redeliver) from an event that can never be handled."""
    with services.database.session() as session:
        context = HandlerContext(
            session=session,
            config=services.config,
            source=ChatSource.of(event),
            line=services.line,
            search=services.search,
            base_url=services.base_url,
            webhook_event_id=event.webhook_event_id,
            database=services.database,
            event_time=event_time(event),
        )
        context.note_participants()
        if not _claim(event, context):
            logger.info("event %s was handled before; ignored", event.webhook_event_id)
            session.rollback()  # the sender is not marked seen by a copy
            return None
        # One person's flood of commands or buttons is refused before any of it is handled.
        replies = check_event_rate(context) if event.type in RATE_LIMITED_EVENTS else None
        if replies is None:
            replies = handle_event(event, context)
        if replies is None:
            logger.info("no handler for event type %r; acknowledged", event.type)
            replies = []
    # Committed: what waited for it (calls to LINE) runs outside any transaction, so a slow
    # LINE holds no lock (and on SQLite not the writers' turn).
    context.run_after_commit()
    return replies


def handle_simulated_event(event: Event, services: AppServices, kind: str) -> list[Message]:
    """An event from the chat simulator (`bot.web.simulator`), from the `web` or `admin` page.

    The same handlers in one transaction, with the simulator as the source (the reach log keeps
    it apart) and no LINE client, so nothing reaches a real LINE chat."""
    with services.database.session() as session:
        context = HandlerContext(
            session=session,
            config=services.config,
            source=ChatSource(kind, user_id=getattr(event.source, "user_id", None)),
            line=None,
            search=services.search,
            base_url=services.base_url,
            webhook_event_id=event.webhook_event_id,
            event_time=now(),
        )
        context.note_participants()
        return handle_event(event, context) or []


def record_failed_event(database: Database, event: Event, failure: str) -> bool:
    """Keep a failed event's id with the name of its error, in a transaction of its own, so it
    is acknowledged now and skipped if LINE delivers it again; False when it was kept before."""
    with database.session() as session:
        kept = insert_ignoring_duplicates(
            session, ReceivedWebhookEvent, received_row(event, failure), unique_columns=["webhook_event_id"],
        )
    return kept is not None


def _claim(event: Event, context: HandlerContext) -> bool:
    """Insert the event's id unless it is there; False when it is (handled before, or being
    handled by another process now). For what a person sends, the same statement reads their
    counts for the rate limits: their row is locked by now, so the counts are exact."""
    user = context.user
    counts = recent_activity_counts(context, user.id) if user is not None and event.type in RATE_LIMITED_EVENTS else []
    statement = (
        upsert_statement(context.session, ReceivedWebhookEvent)
        .values(received_row(event))
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(ReceivedWebhookEvent.webhook_event_id, *counts)
    )
    claimed = context.session.execute(statement).first()
    if claimed is None:
        return False
    if counts:
        context.recent_activity = recent_activity(context, claimed[1:])
    return True


def received_row(event: Event, failure: str | None = None) -> dict[str, Any]:
    """The event's row in `received_webhook_events`: the delivery log that makes redelivery safe."""
    row = {
        "webhook_event_id": event.webhook_event_id,
        "event_type": str(event.type)[:40],
        "source_type": str(event.source.type)[:8] if event.source else None,
        "redelivery": bool(event.delivery_context.is_redelivery),
        "event_timestamp": _bigint_or_none(event.timestamp),
    }
    if failure is not None:
        row["failure"] = failure[:120]
    return row


def event_time(event: Event) -> datetime | None:
    """When the event happened, from its own timestamp (the handler context judges whether to trust it)."""
    timestamp = _bigint_or_none(event.timestamp)
    if timestamp is None:
        return None
    try:
        return datetime.fromtimestamp(timestamp / 1000, BANGKOK)
    except (OverflowError, ValueError, OSError):  # a timestamp no calendar holds
        return None


# The range of a signed 64-bit column (BIGINT on PostgreSQL, INTEGER on SQLite).
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1


def _bigint_or_none(value: Any) -> int | None:
    """A timestamp LINE could have sent (milliseconds since 1970), or None for one no column holds."""
    if isinstance(value, int) and not isinstance(value, bool) and BIGINT_MIN <= value <= BIGINT_MAX:
        return value
    return None
