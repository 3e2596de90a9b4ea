"""The search index of one process, rebuilt from the database whenever the store's revision moves."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.models import Article
from kb.search import IndexEntry, SearchHit, SearchIndex
from kb.store import current_revision


class KnowledgeSearch:
    """Holds the in-memory index; every worker process has its own and checks it per question.

    The check is one tiny query, so an article published by any process is found by every
    other process on its next question, without a restart.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._revision: int | None = None

    def index(self, session: Session) -> SearchIndex:
        revision = current_revision(session)
        if self._index is None or revision != self._revision:
            with self._lock:
                if self._index is None or revision != self._revision:
                    self._index = SearchIndex.build(published_entries(session))
                    self._revision = revision
        return self._index

    def search(self, session: Session, query: str, limit: int = 5) -> list[SearchHit]:
        return self.index(session).search(query, limit=limit)


def published_entries(session: Session) -> list[IndexEntry]:
    articles = session.scalars(
        select(Article).where(Article.status == "published").options(selectinload(Article.passages))
    )
    return [
        IndexEntry(
            passage_id=passage.id,
            article_id=article.id,
            article_key=article.slug or article.source,
            title=article.title,
            heading_path=tuple(passage.heading_path or ()),
            text=passage.text,
            aliases=tuple(article.aliases or ()),
            sample_questions=tuple(article.sample_questions or ()),
            tags=tuple(article.tags or ()),
        )
        for article in articles
        for passage in article.passages
    ]
