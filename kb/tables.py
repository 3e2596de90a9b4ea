"""Tables that the knowledge layer owns: the knowledge store (articles, passages, knowledge gaps,
shared tips) and the KM action plan (plans, one per knowledge topic and fiscal year, and their activities)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.calendar import now
from bot.core.database import Base

ARTICLE_STATUSES = ("draft", "published")


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(120), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    sample_questions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Where the article came from: a resolved file path, `starter:<slug>`, or `editor:<n>`.
    source: Mapped[str] = mapped_column(String(500), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="published")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    passages: Mapped[list["Passage"]] = relationship(
        back_populates="article", cascade="all, delete-orphan", order_by="Passage.position"
    )


class Passage(Base):
    """The piece of an article that search ranks and an answer quotes."""

    __tablename__ = "passages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    heading_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text)

    article: Mapped[Article] = relationship(back_populates="passages")

    __table_args__ = (Index("ix_passages_article_id", "article_id"),)


class KnowledgeStoreRevision(Base):
    """One row whose number rises with every change to the store.

    Each process compares it with the revision its search index was built from, so every
    worker follows edits without a restart.
    """

    __tablename__ = "knowledge_store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)


class KnowledgeGap(Base):
    """A question the bot could not answer; repeated questions count up so they rise to the top."""

    __tablename__ = "knowledge_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    normalized_question: Mapped[str] = mapped_column(String(500), unique=True)
    question: Mapped[str] = mapped_column(String(500))
    count: Mapped[int] = mapped_column(Integer, default=1)
    first_asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    resolved_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    # The secretary's housekeeping (kb/gaps.py): a greeting or chatter dismissed as no gap, or a
    # question merged into another asking the same thing (its later askings count there).
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("knowledge_gaps.id", ondelete="SET NULL"))


class SharedTip(Base):
    """A tip a staff member shared with `/share`, waiting for the committee's review."""

    __tablename__ = "shared_tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))


# --- the KM action plan ---------------------------------------------------------------------


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    knowledge_topic: Mapped[str] = mapped_column(String(500), default="")
    unit: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(500), default="")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    activities: Mapped[list["Activity"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="Activity.position"
    )

    __table_args__ = (UniqueConstraint("fiscal_year", "number", name="uq_plans_fiscal_year_number"),)


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    number: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    period_text: Mapped[str] = mapped_column(String(300), default="")
    start: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    open_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Dates the committee set by hand; a re-import keeps them.
    dates_set_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    indicator: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[str] = mapped_column(Text, default="")
    target_group: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    done_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    evidence_note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="activities")

    __table_args__ = (UniqueConstraint("plan_id", "step", "number", name="uq_activities_plan_step_number"),)


# --- evidence of the plan's activities ------------------------------------------------------
#
# Evidence is keyed by the activity's identity in the plan (fiscal year, plan number, step,
# activity number), never by the activity's row id: importing the plan again may replace a row,
# and the office's evidence must not be lost with it.


class EvidenceFile(Base):
    """A file (photo, PDF, Word, Excel) proving that a plan activity was done."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer)
    plan_number: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))
    activity_number: Mapped[int | None] = mapped_column(Integer)
    # The stored file is named by this hash: the same content is kept once, and a reviewer can
    # check that nothing was altered.
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    # `line` (sent in a chat) or `admin` (uploaded by the secretary).
    origin: Mapped[str] = mapped_column(String(8), default="line")
    line_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Who sent it; `users forget` unlinks the person and keeps the file as the office's evidence.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_evidence_files_activity", "fiscal_year", "plan_number", "step", "activity_number"),)


class EvidenceRequest(Base):
    """The bot asked a person in a chat for an activity's evidence: files they send there before
    `expires_at` are attached to it."""

    __tablename__ = "evidence_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The LINE group, room or (1:1) user id the files are expected in.
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    plan_number: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))
    activity_number: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_evidence_requests_chat", "chat_id", "expires_at"),)
# --- questions for the office's experts -------------------------------------------------------

EXPERT_QUESTION_STATUSES = ("open", "answered")


class ExpertQuestion(Base):
    """A question the bot could not answer, sent to the experts group at the asker's request.

    Who asked is kept only to send the answer back; the experts see the asker's name only when
    the asker chose to show it (``asker_name``).
    """

    __tablename__ = "expert_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(120), default="")
    asker_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The asker agreed to show their name to the experts; the name as LINE gave it then.
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    asker_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # The card's two messages in the experts group (LINE's sentMessages ids): a quoted reply
    # to either is an answer.
    card_message_id: Mapped[str | None] = mapped_column(String(32), index=True)
    card_buttons_message_id: Mapped[str | None] = mapped_column(String(32), index=True)
    card_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # "Not ours" presses: the secretary sees which questions no expert takes on.
    passes: Mapped[int] = mapped_column(Integer, default=0)
    resurfaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    asker_told_unanswered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))

    answers: Mapped[list["ExpertAnswer"]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="ExpertAnswer.id"
    )

    __table_args__ = (Index("ix_expert_questions_status_asked_at", "status", "asked_at"),)


class ExpertAnswer(Base):
    """An expert's answer; the first one goes to the asker, later ones are kept as additions."""

    __tablename__ = "expert_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("expert_questions.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    first: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)

    question: Mapped[ExpertQuestion] = relationship(back_populates="answers")

    __table_args__ = (Index("ix_expert_answers_question_id", "question_id"),)


class ExpertCredit(Base):
    """An expert who agreed to be named: the name on their answers and in the recognition list."""

    __tablename__ = "expert_credits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    agreed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
