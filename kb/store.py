"""Saving, listing and removing articles; the store's revision number; the starter pack."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import itertools

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from bot.core.calendar import now
from kb.parsed import IngestError, ParsedDocument
from kb.tables import Article, KnowledgeStoreRevision, Passage

logger = logging.getLogger(__name__)

STARTER_PACK_DIRECTORY = Path(__file__).resolve().parent / "starter"
STARTER_SOURCE_PREFIX = "starter:"
PLAN_SOURCE_PREFIX = "plan:"


@dataclass(frozen=True)
class SaveOutcome:
    article_id: int
    outcome: str  # "created", "updated" or "unchanged"


@dataclass(frozen=True)
class ImportOutcome:
    path: str
    outcome: str  # "created", "updated", "unchanged" or "failed"
    article_id: int | None = None
    title: str | None = None
    passages: int = 0
    error: str | None = None


def save_document(session: Session, document: ParsedDocument, *, source: str, bump: bool = True) -> SaveOutcome:
    """Create the article for `source`, or update it when its content changed.

    `bump=False` leaves the revision to the caller, which bumps it once for a whole batch."""
    article = session.scalars(select(Article).where(Article.source == source)).one_or_none()
    if article is not None and article.content_hash == document.content_hash:
        return SaveOutcome(article.id, "unchanged")
    outcome = "updated"
    if article is None:
        article = Article(source=source, created_at=now())
        session.add(article)
        outcome = "created"
    article.slug = document.slug or None
    article.title = document.title
    article.body = document.body
    article.category = document.category
    article.tags = list(document.tags)
    article.aliases = list(document.aliases)
    article.sample_questions = list(document.sample_questions)
    article.content_hash = document.content_hash
    article.status = document.status if document.status in ("draft", "published") else "published"
    article.updated_at = now()
    article.passages = [
        Passage(position=passage.position, heading_path=list(passage.heading_path), text=passage.text)
        for passage in document.passages
    ]
    session.flush()
    if bump:
        bump_revision(session)
    return SaveOutcome(article.id, outcome)


def remove_article(session: Session, article_id: int) -> bool:
    article = session.get(Article, article_id)
    if article is None:
        return False
    session.delete(article)
    session.flush()
    bump_revision(session)
    return True


def set_status(session: Session, article_id: int, status: str) -> Article | None:
    article = session.get(Article, article_id)
    if article is None:
        return None
    article.status = status
    article.updated_at = now()
    bump_revision(session)
    return article


def list_articles(session: Session) -> list[Article]:
    return list(session.scalars(select(Article).order_by(Article.id)))


def passage_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Passage.article_id, func.count()).group_by(Passage.article_id))
    return {article_id: count for article_id, count in rows}


# How many transactions of this process have committed a new store revision: a process's own
# search service notices its own edits at once instead of on its next revision check.
_local_changes = itertools.count(1)
_local_changes_seen = 0


def local_changes() -> int:
    return _local_changes_seen


def _note_local_change(session: Session) -> None:
    global _local_changes_seen
    session.info.pop("kb.revision_bumped", None)
    _local_changes_seen = next(_local_changes)


def bump_revision(session: Session) -> None:
    """Tell every process that its search index is out of date."""
    if not session.info.get("kb.revision_bumped"):
        session.info["kb.revision_bumped"] = True
        event.listen(session, "after_commit", _note_local_change, once=True)
    changed = session.execute(
        update(KnowledgeStoreRevision).where(KnowledgeStoreRevision.id == 1).values(revision=KnowledgeStoreRevision.revision + 1)
    )
    if not changed.rowcount:
        session.add(KnowledgeStoreRevision(id=1, revision=1))
        session.flush()


def current_revision(session: Session) -> int:
    return session.scalar(select(KnowledgeStoreRevision.revision).where(KnowledgeStoreRevision.id == 1)) or 0


def import_files(
    session_scope: Callable[[], AbstractContextManager[Session]],
    paths: Iterable[Path],
    *,
    on_progress: Callable[[ImportOutcome], None] | None = None,
) -> list[ImportOutcome]:
    """Import each file in its own transaction, so one bad file never stops the batch.

    The store's revision moves once, after the batch: every process rebuilds its index once for
    the whole import instead of once a file."""
    from kb.ingest import parse_file

    outcomes: list[ImportOutcome] = []
    try:
        _import_each(session_scope, paths, parse_file, outcomes, on_progress)
    finally:
        if any(outcome.outcome in ("created", "updated") for outcome in outcomes):
            with session_scope() as session:
                bump_revision(session)
    return outcomes


def _import_each(session_scope, paths, parse_file, outcomes, on_progress) -> None:  # type: ignore[no-untyped-def]
    for path in paths:
        try:
            document = parse_file(path)
            with session_scope() as session:
                saved = save_document(session, document, source=str(path.resolve()), bump=False)
            outcome = ImportOutcome(str(path), saved.outcome, saved.article_id, document.title, len(document.passages))
        except IngestError as error:
            outcome = ImportOutcome(str(path), "failed", error=str(error))
        except OSError as error:
            outcome = ImportOutcome(str(path), "failed", error=f"{path}: cannot read the file ({error.strerror or error})")
        outcomes.append(outcome)
        if on_progress is not None:
            on_progress(outcome)


def load_starter_pack(session: Session) -> int:
    """Fill an empty store with the articles shipped in the package; returns how many were added."""
    # Plan articles are generated from an imported plan; any other article means the office
    # already has its own store (or removed the starter articles on purpose).
    own_articles = select(func.count()).select_from(Article).where(~Article.source.startswith(PLAN_SOURCE_PREFIX))
    if session.scalar(own_articles):
        return 0
    # Only now: the readers of every document format are a tenth of a second of each `kmbot serve`.
    from kb.ingest import parse_file

    added = 0
    for path in sorted(STARTER_PACK_DIRECTORY.glob("*.md")):
        document = parse_file(path)
        save_document(session, document, source=STARTER_SOURCE_PREFIX + (document.slug or path.stem))
        added += 1
    logger.info("starter knowledge pack loaded: %d articles", added)
    return added

