"""Which clock process may send reminders: a renewable lease row in ``scheduler_lease``.

The holder renews the lease every 10 s for 40 s ahead; when it stops (crash, deploy), the
lease lapses and a standby, trying every 10 s, takes over within 50 s. Taking or renewing is one
conditional UPDATE, which SQLite and PostgreSQL both apply atomically, so two clocks never
both believe they hold it. The lease only avoids doing the work twice: the reminder rows'
unique key is what guarantees a reminder is delivered once.

``KMBOT_LEASE_SECONDS`` shortens (or lengthens) the lease for failover drills and tests; the
renewal then runs at a quarter of it. Production keeps the default.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any, Mapping

from sqlalchemy import or_, select, update

from bot.core.calendar import to_bangkok
from bot.core.database import Database, insert_ignoring_duplicates
from scheduler.tables import SchedulerLease

LEASE_NAME = "reminders"
# Takeover takes at most the lease plus one renewal interval: 50 s, inside the minute an
# office expects, with room for a slow database round trip.
LEASE_DURATION = timedelta(seconds=40)
RENEW_EVERY = timedelta(seconds=10)
LEASE_SECONDS_VARIABLE = "KMBOT_LEASE_SECONDS"
# Below this the renewal (a quarter of the lease) would race the database round trip.
MINIMUM_LEASE_SECONDS = 1.5


def lease_timing(environ: Mapping[str, str] | None = None) -> tuple[timedelta, timedelta]:
    """(lease duration, renew every): the defaults, or ``KMBOT_LEASE_SECONDS`` and a quarter of it."""
    environ = os.environ if environ is None else environ
    text = (environ.get(LEASE_SECONDS_VARIABLE) or "").strip()
    if not text:
        return LEASE_DURATION, RENEW_EVERY
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{LEASE_SECONDS_VARIABLE} must be a number of seconds, got {text!r}") from None
    if seconds < MINIMUM_LEASE_SECONDS:
        raise ValueError(f"{LEASE_SECONDS_VARIABLE} must be at least {MINIMUM_LEASE_SECONDS} seconds, got {text!r}")
    # Four renewals per lease: a lost renewal or two (a slow query) do not lose the lease.
    return timedelta(seconds=seconds), timedelta(seconds=seconds / 4)


def new_holder_id() -> str:
    """Names the process in the lease row, so an operator can tell which clock holds it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(
    database: Database,
    holder: str,
    now: datetime,
    *,
    duration: timedelta = LEASE_DURATION,
    name: str = LEASE_NAME,
) -> bool:
    """Take the lease if it is free or lapsed, or renew it if ``holder`` has it; True when held."""
    now = to_bangkok(now)
    values = {"holder": holder, "expires_at": now + duration, "heartbeat_at": now}
    with database.session() as session:
        insert_ignoring_duplicates(session, SchedulerLease, {"name": name, **values}, unique_columns=["name"])
        changed = session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name, or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now))
            .values(**values)
        )
        return changed.rowcount == 1


def release_lease(database: Database, holder: str, now: datetime, *, name: str = LEASE_NAME) -> None:
    """Let another clock take over at once (a clean shutdown need not wait for the lapse)."""
    now = to_bangkok(now)
    with database.session() as session:
        session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            .values(expires_at=now)
        )


def lease_status(database: Database, *, name: str = LEASE_NAME) -> dict[str, Any] | None:
    """The lease row for health checks: who holds it, until when, and the last heartbeat."""
    with database.session() as session:
        lease = session.scalars(select(SchedulerLease).where(SchedulerLease.name == name)).one_or_none()
        if lease is None:
            return None
        return {
            "holder": lease.holder,
            "expires_at": to_bangkok(lease.expires_at).isoformat(),
            "heartbeat_at": to_bangkok(lease.heartbeat_at).isoformat(),
        }
