"""Tables that the scheduler owns: every delivery (the proof a push went once) and the clock's lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.calendar import now
from bot.core.database import Base


class ReminderDelivery(Base):
    """One reminder to one group. The unique key is what stops a second delivery."""

    __tablename__ = "reminder_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reminder_key: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    planned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "sending" while a clock holds it, then "sent", "missed" or "failed".
    state: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    recipients_count: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("reminder_key", "recipient", name="uq_reminder_deliveries_key_recipient"),
        Index("ix_reminder_deliveries_activity_id", "activity_id"),
    )


class KnowledgePushDelivery(Base):
    """The weekly knowledge push's delivery log: one row per (week, group) is what stops a second push."""

    __tablename__ = "knowledge_push_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # ISO week in Bangkok, e.g. "2024-W10".
    week: Mapped[str] = mapped_column(String(10))
    group_id: Mapped[int] = mapped_column(ForeignKey("chat_groups.id", ondelete="CASCADE"))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    # "sending" while a clock holds it, then "sent" or "failed" (a failed one is retried).
    state: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    line_request_id: Mapped[str | None] = mapped_column(String(64))
    recipients_count: Mapped[int | None] = mapped_column(Integer)
    member_count_source: Mapped[str | None] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("week", "group_id", name="uq_knowledge_push_deliveries_week_group"),
        Index("ix_knowledge_push_deliveries_article_id", "article_id"),
    )


class SchedulerLease(Base):
    """Which clock process may send right now; it renews the lease, and another takes over when it lapses."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
