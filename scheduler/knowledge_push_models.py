"""The weekly knowledge push's delivery log: one row per (week, group) is what stops a second push."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.database import Base
from scheduler.clock import now


class KnowledgePushDelivery(Base):
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
