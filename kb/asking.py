"""A staff question put to the knowledge store: answered from it, or counted as a knowledge gap.

What the handlers need of the knowledge layer for one question, in one call: the answer
(`kb.answering.find_answer`) and, when there is none, the gap it counts in (`kb.gaps.record_gap`),
so the secretary sees what staff asked and nobody could answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kb.answering import Answer, find_answer
from kb.gaps import record_gap
from kb.search_service import KnowledgeSearch


@dataclass(frozen=True)
class Asked:
    answer: Answer
    gap_id: int | None = None  # the knowledge gap an unanswered question was counted in


def ask(session: Session, search: KnowledgeSearch, question: str, asked_at: datetime, *, count_gap: bool = True) -> Asked:
    """The answer to `question`; without one, the question counts as a knowledge gap unless
    `count_gap` is False (someone trying the public simulator is not staff in need)."""
    answer = find_answer(session, search, question)
    if answer.answered or not count_gap:
        return Asked(answer)
    return Asked(answer, record_gap(session, question, asked_at))
