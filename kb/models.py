"""Tables of the knowledge store: articles, their passages, knowledge gaps and shared tips."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.database import Base
from scheduler.clock import now

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
