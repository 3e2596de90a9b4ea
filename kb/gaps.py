"""Knowledge gaps: questions the bot could not answer, counted so the most asked rise to the top."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.database import insert_or_update
from kb.normalize import normalize_text
from kb.tables import KnowledgeGap

MAX_QUESTION_LENGTH = 500


def record_gap(session: Session, question: str, asked_at: datetime) -> int | None:
    """Count one more unanswered `question`; the same question in other spacing or digits counts
    together. The gap's id (None for a question of nothing but spaces and signs)."""
    # Thai needs no spaces between words, so spacing alone never makes a different question.
    key = "".join(normalize_text(question).split())[:MAX_QUESTION_LENGTH]
    if not key:
        return None
    insert_or_update(
        session,
        KnowledgeGap,
        {"normalized_question": key, "question": question[:MAX_QUESTION_LENGTH], "count": 1,
         "first_asked_at": asked_at, "last_asked_at": asked_at},
        unique_columns=["normalized_question"],
        update={"count": KnowledgeGap.count + 1, "last_asked_at": asked_at},
    )
    return session.scalar(select(KnowledgeGap.id).where(KnowledgeGap.normalized_question == key))


def top_gaps(session: Session, limit: int = 20, *, include_resolved: bool = False) -> list[KnowledgeGap]:
    query = select(KnowledgeGap).order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_asked_at.desc()).limit(limit)
    if not include_resolved:
        query = query.where(KnowledgeGap.resolved_article_id.is_(None))
    return list(session.scalars(query))
