"""The kernel's tables: who the bot talks to (users, groups, registration codes) and what reached it
(received webhook events, the interaction log that the reach reports count)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.calendar import now
from bot.core.database import Base

ROLES = ("staff", "secretary", "committee")
GROUP_ROLES = ("staff", "committee", "experts")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Nullable so that `users forget` can drop the identity and keep the anonymous counts.
    line_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="staff")
    following: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    forgotten_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The LINE display name, shown to the secretary only; refreshed from LINE's profile endpoint
    # when the secretary looks, and erased by `users forget`.
    display_name: Mapped[str | None] = mapped_column(String(200))
    display_name_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChatGroup(Base):
    """A LINE group or multi-person chat room the bot is (or was) a member of."""

    __tablename__ = "chat_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_group_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="group")
    role: Mapped[str] = mapped_column(String(16), default="staff")
    name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    member_count: Mapped[int | None] = mapped_column(Integer)
    member_count_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReceivedWebhookEvent(Base):
    """One row per LINE `webhookEventId`: the unique key is what makes each event count once."""

    __tablename__ = "received_webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    source_type: Mapped[str | None] = mapped_column(String(8))
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    event_timestamp: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # Set when handling the event failed for good (a value no column takes, a bug): the event is
    # acknowledged and kept here with the error's name, so a redelivery is not tried again.
    failure: Mapped[str | None] = mapped_column(String(120))


class InteractionEvent(Base):
    """The append-only log of everything that happened: the reach reports count these rows."""

    __tablename__ = "interaction_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # question, answer, fallback, article_view, link_click, feedback, survey_answer,
    # reminder_push, knowledge_push, follow, unfollow, join, leave, member_joined, member_left,
    # command, rate_limited
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    channel: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_groups.id", ondelete="SET NULL"))
    webhook_event_id: Mapped[str | None] = mapped_column(String(64))
    article_id: Mapped[int | None] = mapped_column(Integer)
    activity_id: Mapped[int | None] = mapped_column(Integer)
    recipients: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (
        # Serves every lookup by user (forgetting a person, a person's survey answer or feedback of
        # the day) and the per-user rate count on every message: one short range of one person's
        # latest rows, however long the log grows (migration 0013_lean_log).
        Index("ix_interaction_events_user_occurred_at", "user_id", "occurred_at"),
        # Covers every column the reach report reads, so its per-month queries never touch the table.
        Index(
            "ix_interaction_events_reach_report",
            "kind", "occurred_at", "user_id", "article_id", "channel", "recipients", "value",
        ),
    )


class ReachMonthRollup(Base):
    """The reach report's counts of one closed Bangkok month, kept so a report need not read the
    month's log again (`bot.reach.rollup` builds and reads them).

    A row is only ever a copy of what the live queries give: triggers on `interaction_events`
    (migration 0014_reach_rollup) empty `figures` whenever a row of a kept month is inserted,
    deleted, or changed in a column the report counts, whoever writes it, and the next report
    counts that month again. A row with `figures` NULL is a month waiting to be counted."""

    __tablename__ = "reach_month_rollups"

    # 'YYYY-MM', the Bangkok month in the common era.
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    # The month's bounds, as the report's queries compare `occurred_at` with them.
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Which kinds the counts cover (`bot.reach.rollup.SHAPE`): a row of another shape is recounted.
    shape: Mapped[str | None] = mapped_column(String(16))
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    built_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RegistrationCode(Base):
    __tablename__ = "registration_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AdminSession(Base):
    """A signed-in /admin browser. The cookie holds a random token; only its hash is kept here,
    so signing out (or a new password) ends every session on the server, not just in one browser."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Which admin password the session was opened with (a keyed hash): a new password ends it.
    password_proof: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInThrottleBucket(Base):
    """Failed /admin sign-ins counted per bucket ("address:…", "device:…", "all"), shared by every
    process through the database and kept bounded (old and surplus buckets are deleted)."""

    __tablename__ = "sign_in_throttle"

    bucket: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_sign_in_throttle_last_failure_at", "last_failure_at"),)


class Setting(Base):
    """One setting the secretary edits in /admin (ตั้งค่า), stored as the text typed in the form.

    `bot.core.config.with_stored_settings` lays these under the environment: a variable that is
    set wins, so a deployment's operator keeps the last word.
    """

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
