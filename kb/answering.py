"""From a question to an answer (or an honest fallback): the one place that decides what to say."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kb.search_service import KnowledgeSearch

CANDIDATES = 8
MAX_RELATED = 3


@dataclass(frozen=True)
class AnswerSource:
    article_id: int
    passage_id: int
    title: str
    score: float
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    confidence: float
    text: str = ""
    article_id: int | None = None
    title: str | None = None
    heading_path: tuple[str, ...] = ()
    sources: list[AnswerSource] = field(default_factory=list)
    related_questions: list[str] = field(default_factory=list)
    close_topics: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The `kmbot ask --json` shape of SPEC's contract (fields may be added, never renamed)."""
        return {
            "answered": self.answered,
            "answer": self.text,
            "confidence": round(self.confidence, 4),
            "sources": [{"id": source.article_id, "title": source.title, "score": round(source.score, 4)} for source in self.sources],
            "article_id": self.article_id,
            "heading_path": list(self.heading_path),
            "related_questions": self.related_questions,
            "close_topics": self.close_topics,
        }


def find_answer(session: Session, search: KnowledgeSearch, question: str) -> Answer:
    index = search.index(session)
    result = index.answer(question, limit=CANDIDATES)
    hits = result.hits
    sources = _distinct_article_sources(hits)
    if not result.answered or not hits:
        return Answer(
            question=question,
            answered=False,
            confidence=result.confidence,
            sources=sources,
            close_topics=[source.title for source in sources[:MAX_RELATED]],
        )
    best = hits[0]
    return Answer(
        question=question,
        answered=True,
        confidence=result.confidence,
        text=best.entry.text,
        article_id=best.entry.article_id,
        title=best.entry.title,
        heading_path=best.entry.heading_path,
        sources=sources,
        related_questions=index.related_questions(question, hits, limit=MAX_RELATED),
    )


def _distinct_article_sources(hits) -> list[AnswerSource]:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    sources = []
    for hit in hits:
        if hit.entry.article_id in seen:
            continue
        seen.add(hit.entry.article_id)
        sources.append(AnswerSource(hit.entry.article_id, hit.entry.passage_id, hit.entry.title, hit.score, hit.entry.heading_path))
    return sources
