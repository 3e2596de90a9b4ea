"""Tables of the scheduler: every reminder delivery (the proof it went once) and the clock's lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.database import Base
from scheduler.clock import now


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


class SchedulerLease(Base):
    """Which clock process may send right now; it renews the lease, and another takes over when it lapses."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
