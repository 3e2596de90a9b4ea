"""Tables that the scheduler owns: every delivery (the proof a push went once) and the clock's lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.calendar import now
from bot.core.database import Base


class Delivery(Base):
    """One push to one LINE group: a reminder to a committee group or the week's knowledge to a
    staff group. The unique (delivery_key, recipient) is what stops a second delivery."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "reminder" or "knowledge".
    purpose: Mapped[str] = mapped_column(String(16))
    # The reminder's key ("a17:before_7d:0") or the knowledge push's week ("knowledge:2024-W10").
    delivery_key: Mapped[str] = mapped_column(String(80))
    # The LINE group id pushed to.
    recipient: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_groups.id", ondelete="SET NULL"))
    # The reminder's kind ("before_7d", "due", ...); None for the knowledge push.
    reminder_kind: Mapped[str | None] = mapped_column(String(16))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    # When the policy planned a reminder; None for the knowledge push.
    planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "sending" while a clock holds it, then "sent", "failed" (retried) or "missed" (reminders only).
    state: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    recipients_count: Mapped[int | None] = mapped_column(Integer)
    # "line", "last_known" or "unknown": where recipients_count came from.
    member_count_source: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(300))
    # The X-Line-Retry-Key of the push that carries this row: a reminder digest's rows share
    # one (so a retry re-sends the same digest); None on rows written before digests.
    retry_key: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        UniqueConstraint("delivery_key", "recipient", name="uq_deliveries_key_recipient"),
        # The plan page counts each activity's sent reminders; the weekly push rotates by article.
        Index("ix_deliveries_activity_id", "activity_id"),
        Index("ix_deliveries_article_id", "article_id"),
    )


class SchedulerLease(Base):
    """Which clock process may send right now; it renews the lease, and another takes over when it lapses."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
