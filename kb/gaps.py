"""Knowledge gaps: questions the bot could not answer, counted so the most asked rise to the top.

The secretary keeps the list useful: a greeting or chatter is dismissed (it is no gap, and
asking it again keeps it hidden), and two wordings of one question are merged (the merged one's
askings, past and later, count on the one kept).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from bot.core.calendar import now
from bot.core.database import upsert_statement
from kb.normalize import normalize_text
from kb.tables import KnowledgeGap

MAX_QUESTION_LENGTH = 500


def record_gap(session: Session, question: str, asked_at: datetime) -> int | None:
    """Count one more unanswered `question`; the same question in other spacing or digits counts
    together. Returns the gap's id (None for a question with nothing to count)."""
    # Thai needs no spaces between words, so spacing alone never makes a different question.
    key = "".join(normalize_text(question).split())[:MAX_QUESTION_LENGTH]
    if not key:
        return None
    # One statement for the common case: the gap counted, and whether it was merged into another.
    gap_id, merged_into = session.execute(
        upsert_statement(session, KnowledgeGap)
        .values(normalized_question=key, question=question[:MAX_QUESTION_LENGTH], count=1,
                first_asked_at=asked_at, last_asked_at=asked_at)
        .on_conflict_do_update(index_elements=["normalized_question"],
                               set_={"count": KnowledgeGap.count + 1, "last_asked_at": asked_at})
        .returning(KnowledgeGap.id, KnowledgeGap.merged_into_id)
    ).one()
    if merged_into is not None:
        session.execute(
            update(KnowledgeGap).where(KnowledgeGap.id == merged_into)
            .values(count=KnowledgeGap.count + 1, last_asked_at=asked_at)
            .execution_options(synchronize_session=False)
        )
    return gap_id


def withdraw_gap_question(session: Session, gap_id: int) -> None:
    """Take one asking back (its sender unsent it); a gap nobody asks any more is deleted, text and all.
    The gap it was merged into, which counted the asking too, counts one less."""
    gap = session.get(KnowledgeGap, gap_id)
    if gap is None:
        return
    if gap.merged_into_id is not None:
        kept = session.get(KnowledgeGap, gap.merged_into_id)
        if kept is not None:
            kept.count = max(kept.count - 1, 0)
    if gap.count <= 1:
        session.delete(gap)
    else:
        gap.count -= 1


def open_gap() -> ColumnElement[bool]:
    """A gap the secretary still has to answer: not answered by an article, dismissed or merged."""
    return and_(KnowledgeGap.resolved_article_id.is_(None), KnowledgeGap.dismissed_at.is_(None),
                KnowledgeGap.merged_into_id.is_(None))


def top_gaps(session: Session, limit: int = 20, *, include_resolved: bool = False) -> list[KnowledgeGap]:
    query = select(KnowledgeGap).order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_asked_at.desc()).limit(limit)
    if not include_resolved:
        query = query.where(open_gap())
    return list(session.scalars(query))


def dismiss_gap(session: Session, gap: KnowledgeGap, at: datetime | None = None) -> None:
    """Not a knowledge gap (a greeting, a test message): hidden now and when asked again."""
    gap.dismissed_at = at or now()
    session.flush()


def merge_gap(session: Session, gap: KnowledgeGap, into: KnowledgeGap) -> None:
    """`gap` asks what `into` asks: its count moves there, and its later askings count there too."""
    if gap.id == into.id:
        raise ValueError("รวมคำถามเข้ากับตัวเองไม่ได้ค่ะ")
    while into.merged_into_id is not None:  # merge into the question finally kept
        target = session.get(KnowledgeGap, into.merged_into_id)
        if target is None:
            break
        into = target
    into.count += gap.count
    into.first_asked_at = min(into.first_asked_at, gap.first_asked_at)
    into.last_asked_at = max(into.last_asked_at, gap.last_asked_at)
    gap.merged_into_id = into.id
    for earlier in session.scalars(select(KnowledgeGap).where(KnowledgeGap.merged_into_id == gap.id)):
        earlier.merged_into_id = into.id
    session.flush()
