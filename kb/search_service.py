"""The search index of one process, rebuilt from the database whenever the store's revision moves."""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.search import IndexEntry, SearchHit, SearchIndex, TokenCache
from kb.store import current_revision
from kb.tables import Article, Passage


class KnowledgeSearch:
    """Holds the in-memory index; every worker process has its own and checks it per question.

    The check is one tiny query, so an article published by any process is found by every
    other process on its next question, without a restart. The rebuild then runs inside that
    question's request; the token cache keeps it short, because only the passages that
    changed since the last build are segmented again (segmenting is most of a build).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._revision: int | None = None
        self._token_cache = TokenCache()

    def index(self, session: Session) -> SearchIndex:
        revision = current_revision(session)
        if self._index is None or revision != self._revision:
            with self._lock:
                if self._index is None or revision != self._revision:
                    self._index = SearchIndex.build(published_entries(session), token_cache=self._token_cache)
                    self._revision = revision
        return self._index

    def search(self, session: Session, query: str, limit: int = 5) -> list[SearchHit]:
        return self.index(session).search(query, limit=limit)


def published_entries(session: Session) -> list[IndexEntry]:
    """Every passage of every published article, with its article's fields, in store order."""
    # Plain rows rather than ORM objects: a rebuild reads every passage, and building ten
    # thousand Passage instances would cost more than the whole rebuild otherwise.
    articles = {
        row.id: row
        for row in session.execute(
            select(
                Article.id, Article.slug, Article.source, Article.title, Article.aliases,
                Article.sample_questions, Article.tags,
            ).where(Article.status == "published")
        )
    }
    passages = session.execute(
        select(Passage.id, Passage.article_id, Passage.heading_path, Passage.text)
        .join(Article, Article.id == Passage.article_id)
        .where(Article.status == "published")
        .order_by(Passage.article_id, Passage.position, Passage.id)
    )
    entries: list[IndexEntry] = []
    fields: dict[int, tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}
    for passage in passages:
        article_fields = fields.get(passage.article_id)
        if article_fields is None:
            article = articles[passage.article_id]
            article_fields = fields[passage.article_id] = (
                article.slug or article.source,
                article.title,
                tuple(article.aliases or ()),
                tuple(article.sample_questions or ()),
                tuple(article.tags or ()),
            )
        key, title, aliases, sample_questions, tags = article_fields
        entries.append(
            IndexEntry(
                passage_id=passage.id,
                article_id=passage.article_id,
                article_key=key,
                title=title,
                heading_path=tuple(passage.heading_path or ()),
                text=passage.text,
                aliases=aliases,
                sample_questions=sample_questions,
                tags=tags,
            )
        )
    return entries
