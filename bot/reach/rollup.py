"""What the reach report counts in one Bangkok month, counted live or kept for closed months.

The report needs, per month: events, recipients and values per kind and channel; the people
behind the reach kinds, per channel; deliveries per kind, article and channel; and feedback per
article and channel. `count_month` reads them from the log in two passes over the month's entries
of the covering index, 70–130 ms a month on SQLite over a million events (docs/reach.md, Speed),
so a month that is over is counted once and its counts are kept in `reach_month_rollups`; the
report reads them back and counts only the open months.

A month is closed `CLOSED_AFTER` its end, by the database's clock: LINE events are stamped with
their own timestamp when it is at most 7 days old (`handlers.context.MAX_EVENT_AGE`), so no
product write reaches a closed month. Anything else that writes there (a hand-made correction,
an import, a foreign key setting `user_id` to NULL) is seen by the log's triggers (migration
0014_reach_rollup), which empty the month's row; it is counted again on next use. A report that
counts a month holds its row until it commits, and the triggers wait for it (or it for them), so
kept counts are always what the live queries give.

People are kept exactly, not as a count: a month's people per channel are a bitmap of their row
ids, so people across the months, across channels, or of the evidence channels only are unions
of bitmaps, as the live `count(DISTINCT user_id)` would give. 400 people take 50 bytes a
channel; 10,000 people with ids up to 20,000 at most 2.5 kB before compression.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import Select, and_, column, func, select, text, update
from sqlalchemy.orm import Session

from bot.core.calendar import BANGKOK
from bot.core.database import upsert_statement
from bot.core.tables import InteractionEvent, ReachMonthRollup
from bot.reach.figures import DELIVERY_KINDS, REACH_KINDS, COUNTED_KINDS

Month = tuple[int, int]

# Kinds counted per channel: the counted kinds and the other signs of a person reached.
BY_CHANNEL_KINDS: tuple[str, ...] = (*COUNTED_KINDS, "survey_answer")

# The log's index that covers every column counted here (bot.core.tables.InteractionEvent).
REPORT_INDEX = "ix_interaction_events_reach_report"

# A month is kept once it has been over this long: longer than the oldest LINE timestamp the
# webhook trusts (7 days), with a day to spare for a delivery that is still being handled.
CLOSED_AFTER = timedelta(days=8)

_FORMAT = 1
# What a kept row's counts cover; a row of another shape (older code) is counted again.
SHAPE = hashlib.sha256(repr((_FORMAT, BY_CHANNEL_KINDS, REACH_KINDS, DELIVERY_KINDS)).encode()).hexdigest()[:16]


@dataclass
class MonthCounts:
    """One month of the log, every channel, as the report's queries give it."""

    # (kind, channel) -> [events, summed recipients, summed values]
    kinds: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # channel -> bitmap of the people (users.id) behind any reach kind
    people: dict[str, int] = field(default_factory=dict)
    # (kind, article_id or None, channel) -> events, for the delivery kinds
    deliveries: dict[tuple[str, int | None, str], int] = field(default_factory=dict)
    # (article_id, channel) -> [events, summed values], for feedback on an article
    feedback: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kinds": [[kind, channel, *totals] for (kind, channel), totals in sorted(self.kinds.items())],
            "people": {channel: _encode_bitmap(bits) for channel, bits in sorted(self.people.items())},
            "deliveries": [[kind, article, channel, events] for (kind, article, channel), events
                           in sorted(self.deliveries.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2]))],
            "feedback": [[article, channel, *totals] for (article, channel), totals in sorted(self.feedback.items())],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "MonthCounts":
        return cls(
            kinds={(kind, channel): [events, recipients, values] for kind, channel, events, recipients, values in data["kinds"]},
            people={channel: _decode_bitmap(text) for channel, text in data["people"].items()},
            deliveries={(kind, article, channel): events for kind, article, channel, events in data["deliveries"]},
            feedback={(article, channel): [events, values] for article, channel, events, values in data["feedback"]},
        )


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first moment of a Bangkok month and of the month after it."""
    following_year, following_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=BANGKOK), datetime(following_year, following_month, 1, tzinfo=BANGKOK)


def is_closed(month: Month, at: datetime) -> bool:
    """Whether no product write can reach `month` any more, at `at` by the database's clock."""
    return at >= month_bounds(*month)[1] + CLOSED_AFTER


def database_now(session: Session) -> datetime:
    """The database's clock. Which months are kept is decided by it, not by the product's clock
    (`bot.core.calendar.now`, which tests stop): the triggers that empty kept months judge a
    write's age by the same clock."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(select(func.now())).astimezone(BANGKOK)
    utc = session.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
    return datetime.fromisoformat(utc).replace(tzinfo=timezone.utc).astimezone(BANGKOK)


def month_key(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def count_month(session: Session, year: int, month: int) -> MonthCounts:
    """The month's counts, live from the log: two passes over its entries of the covering index."""
    month_start, month_end = month_bounds(year, month)
    in_month = and_(InteractionEvent.occurred_at >= month_start, InteractionEvent.occurred_at < month_end)
    counts = MonthCounts()
    # One pass gives the counts per kind and channel, the deliveries and the feedback: grouped by
    # article too, the kinds without an article forming one group each.
    for kind, channel, article_id, events, recipients, values in session.execute(
        select(InteractionEvent.kind, InteractionEvent.channel, InteractionEvent.article_id, func.count(),
               func.sum(InteractionEvent.recipients), func.sum(InteractionEvent.value))
        .where(InteractionEvent.kind.in_(BY_CHANNEL_KINDS), in_month)
        .group_by(InteractionEvent.kind, InteractionEvent.channel, InteractionEvent.article_id)
    ):
        events, recipients, values = int(events), int(recipients or 0), int(values or 0)
        totals = counts.kinds.setdefault((kind, channel), [0, 0, 0])
        totals[0] += events
        totals[1] += recipients
        totals[2] += values
        if kind in DELIVERY_KINDS:
            key = (kind, None if article_id is None else int(article_id), channel)
            counts.deliveries[key] = counts.deliveries.get(key, 0) + events
        if kind == "feedback" and article_id is not None:
            feedback = counts.feedback.setdefault((int(article_id), channel), [0, 0])
            feedback[0] += events
            feedback[1] += values
    people: dict[str, list[int]] = defaultdict(list)
    for user_id, channel in session.execute(_people_query(session, month_start, month_end)):
        people[channel].append(int(user_id))
    counts.people = {channel: bitmap(ids) for channel, ids in people.items()}
    return counts


def _people_query(session: Session, month_start: datetime, month_end: datetime) -> Select[tuple[int, str]]:
    """The distinct (person, channel) pairs of the month's reach kinds."""
    log = InteractionEvent.__table__
    user_id, channel, kind, occurred_at = (log.c.user_id, log.c.channel, log.c.kind, log.c.occurred_at)
    query = select(user_id, channel)
    if session.get_bind().dialect.name == "sqlite":
        # Once ANALYZE has run, SQLite reads this through the index on (user_id, occurred_at) and
        # fetches every row of the month from the table: 220–330 ms a month instead of 30–60 ms
        # from the covering index (1,000,000 events). INDEXED BY keeps the covering index;
        # SQLAlchemy renders no hint for SQLite, so the table is named in text.
        user_id, channel, kind, occurred_at = (column(one.name, one.type) for one in (user_id, channel, kind, occurred_at))
        query = select(user_id, channel).select_from(text(f"interaction_events INDEXED BY {REPORT_INDEX}"))
    return query.where(kind.in_(REACH_KINDS), occurred_at >= month_start, occurred_at < month_end,
                       user_id.is_not(None)).distinct()


def month_counts(session: Session, months: Iterable[Month], *, keep: bool = True) -> dict[Month, MonthCounts]:
    """Each month's counts: closed months from their kept row (counted and kept when missing),
    open months live. With `keep` False every month is counted live and nothing is written."""
    months = list(months)
    at = database_now(session) if keep else None
    closed = [month for month in months if at is not None and is_closed(month, at)]
    found: dict[Month, MonthCounts] = {}
    if at is not None and closed:
        keys = {month_key(month): month for month in closed}
        for key, shape, figures in session.execute(
            select(ReachMonthRollup.month, ReachMonthRollup.shape, ReachMonthRollup.figures)
            .where(ReachMonthRollup.month.in_(list(keys)))
        ):
            if shape == SHAPE and figures is not None:
                found[keys[key]] = MonthCounts.from_json(figures)
        for month in closed:
            if month not in found:
                found[month] = _count_and_keep(session, month, at)
    for month in months:
        if month not in found:
            found[month] = count_month(session, *month)
    return {month: found[month] for month in months}


def _count_and_keep(session: Session, month: Month, at: datetime) -> MonthCounts:
    """Count a closed month and keep its counts, in the caller's transaction.

    The month's row is claimed first (inserted, or locked by a no-op update) and held until the
    caller commits: a write into the month made meanwhile waits on it in the log's trigger and
    then empties what is kept; a write still uncommitted holds the row, so the claim waits for it
    and the counting sees it. On SQLite the claim is the one writer's turn, which does the same."""
    key = month_key(month)
    starts_at, ends_at = month_bounds(*month)
    insert = upsert_statement(session, ReachMonthRollup)
    claim = insert.values(month=key, starts_at=starts_at, ends_at=ends_at)
    kept = session.execute(
        claim.on_conflict_do_update(index_elements=["month"], set_={"month": claim.excluded.month})
        .returning(ReachMonthRollup.shape, ReachMonthRollup.figures)
    ).one()
    if kept.shape == SHAPE and kept.figures is not None:  # counted by another report meanwhile
        return MonthCounts.from_json(kept.figures)
    counts = count_month(session, *month)
    session.execute(
        update(ReachMonthRollup).where(ReachMonthRollup.month == key)
        .values(shape=SHAPE, figures=counts.to_json(), built_at=at)
        .execution_options(synchronize_session=False)
    )
    return counts


def bitmap(ids: Iterable[int]) -> int:
    """The set of non-negative ids as an int whose bit `id` is set."""
    ids = list(ids)
    if not ids:
        return 0
    bits = bytearray(max(ids) // 8 + 1)
    for one in ids:
        bits[one >> 3] |= 1 << (one & 7)
    return int.from_bytes(bits, "little")


def _encode_bitmap(bits: int) -> str:
    raw = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def _decode_bitmap(text: str) -> int:
    return int.from_bytes(zlib.decompress(base64.b64decode(text)), "little")
