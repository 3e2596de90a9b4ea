"""How long the webhook's delivery log is kept.

`received_webhook_events` exists to make each LINE event count once: LINE redelivers an event
it got no 200 for within its retry window (minutes to hours), and an event over a week old is
not trusted to be one (`handlers.context.MAX_EVENT_AGE`). Past that a row does nothing but grow
the table and its unique index on every message, so rows older than `RECEIVED_EVENTS_KEPT` are
deleted, daily by the reminder clock and on demand by `kmbot db sweep`. What happened is kept in
the reach log (`interaction_events`), which the sweep never touches.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.core.database import Database
from bot.core.tables import ReceivedWebhookEvent

RECEIVED_EVENTS_KEPT = timedelta(days=14)
# Deleted in batches, each its own short transaction: a first sweep of a year's log never holds
# the table (or on SQLite the one writer's turn) for long.
SWEEP_BATCH = 5000


def sweep_received_events(database: Database, now: datetime, kept: timedelta = RECEIVED_EVENTS_KEPT) -> int:
    """Delete delivery rows received before `now - kept`; returns how many went."""
    cutoff = now - kept
    removed = 0
    while True:
        with database.session() as session:
            ids = list(session.scalars(
                select(ReceivedWebhookEvent.id).where(ReceivedWebhookEvent.received_at < cutoff).limit(SWEEP_BATCH)
            ))
            if ids:
                session.execute(delete(ReceivedWebhookEvent).where(ReceivedWebhookEvent.id.in_(ids)))
        removed += len(ids)
        if len(ids) < SWEEP_BATCH:
            return removed
