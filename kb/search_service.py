"""The search index of one process, rebuilt from the database whenever the store's revision moves.

A rebuild never runs on a question's path: it runs in a thread of its own, reads the store in a
short transaction of its own, segments and indexes outside any session and lock, and swaps the
new index in when it is ready. Questions asked meanwhile use the index they had. Only the very
first build of a process is waited for, because before it there is nothing to answer with.

The store's revision is read at most once a second per process (`REVISION_TTL_SECONDS`): an
article published by another process is found within about a second, without a restart, and a
question costs no revision query otherwise. An edit committed by this process is noticed at once
(`kb.store.local_changes`).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kb import store
from kb.search import IndexEntry, SearchHit, SearchIndex, TokenCache
from kb.store import current_revision
from kb.tables import Article, Passage, Plan

logger = logging.getLogger(__name__)

# How stale another process's view of the store may be: an edit is seen within this long.
REVISION_TTL_SECONDS = 1.0

# Tests that change the store and ask at once in one process set this, so that a rebuild runs in
# the asking thread as it used to; a deployment keeps rebuilds in the background.
INLINE_REBUILDS = False
# Built indexes are kept on disk (`IndexFiles`) so that the next process, or the next `kmbot ask`,
# loads one instead of segmenting the whole store again; tests that build their own stores turn it off.
PERSIST_INDEXES = True

Starter = Callable[[Callable[[], None]], None]


def start_daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="search-index-rebuild", daemon=True).start()


@dataclass(frozen=True)
class PlanOutline:
    """What an activity question is read against: the latest plan year's activity (step, name)
    pairs and plan (number, topic) pairs. Kept until the store's revision moves (a plan import
    writes its article, so it moves the revision)."""

    fiscal_year: int | None
    activity_names: tuple[tuple[str, str], ...] = ()
    plan_topics: tuple[tuple[int, str], ...] = ()


class KnowledgeSearch:
    """Holds this process's index; every question asks it for the current one."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        revision_ttl: float = REVISION_TTL_SECONDS,
        start: Starter = start_daemon_thread,
        inline: bool | None = None,
        files: "IndexFiles | None" = None,
    ) -> None:
        self._clock = clock
        self._revision_ttl = revision_ttl
        self._start = start
        self._inline = inline
        self._files = files
        self._state = threading.Lock()  # guards the fields below; never held while building
        self._index: SearchIndex | None = None
        self._revision: int | None = None  # the revision the index was built from
        self._seen_revision: int | None = None  # the newest revision read from the store
        self._checked_at = float("-inf")
        self._local_changes = store.local_changes()
        self._wanted: int | None = None  # a revision a build has been asked for
        self._building = False
        self._built = threading.Event()  # set whenever no build is running
        self._built.set()
        self._first_build = threading.Lock()
        self._token_cache = TokenCache()  # used by one build at a time
        self._outline: tuple[int | None, PlanOutline] | None = None
        self.builds = 0

    # --- what questions call -------------------------------------------------------------

    def index(self, session: Session) -> SearchIndex:
        """The current index; starts a rebuild in the background when the store has moved on."""
        revision = self.revision(session)
        index = self._index
        if index is None:
            return self._build_first(session, revision)
        if revision != self._revision:
            if self._rebuild_inline():
                return self._build_now(session, revision)
            self._request_rebuild(session.get_bind(), revision)
        return index

    def search(self, session: Session, query: str, limit: int = 5) -> list[SearchHit]:
        return self.index(session).search(query, limit=limit)

    def revision(self, session: Session) -> int:
        """The store's revision, read from the database at most once per `revision_ttl`."""
        moment = self._clock()
        changes = store.local_changes()
        seen = self._seen_revision
        if seen is not None and changes == self._local_changes and moment - self._checked_at < self._revision_ttl:
            return seen
        seen = current_revision(session)
        with self._state:
            self._seen_revision, self._checked_at, self._local_changes = seen, moment, changes
        return seen

    def plan_outline(self, session: Session) -> PlanOutline:
        """The latest plans' activity names and topics, read once per store revision."""
        revision = self.revision(session)
        cached = self._outline
        if cached is not None and cached[0] == revision:
            return cached[1]
        outline = read_plan_outline(session)
        self._outline = (revision, outline)
        return outline

    # --- building ------------------------------------------------------------------------

    def warm(self, engine: Engine | Connection) -> None:
        """Build the first index now, outside any session (a server calls this at start)."""
        if self._index is None:
            with self._first_build, Session(engine) as session:
                if self._index is None:
                    self._build_now(session, current_revision(session))
            _freeze_long_lived()

    def wait_until_built(self, timeout: float | None = None) -> bool:
        """Block until no rebuild is running (for tools and tests); False on a timeout."""
        return self._built.wait(timeout)

    @property
    def building(self) -> bool:
        return self._building

    def _rebuild_inline(self) -> bool:
        return INLINE_REBUILDS if self._inline is None else self._inline

    def _build_first(self, session: Session, revision: int) -> SearchIndex:
        with self._first_build:
            if self._index is None:
                self._build_now(session, revision)
                if not self._rebuild_inline():
                    _freeze_long_lived()
        assert self._index is not None
        return self._index

    def _build_now(self, session: Session, revision: int) -> SearchIndex:
        index = self._load_or_build(session, revision)
        self._install(index, revision)
        return index

    def _load_or_build(self, session: Session, revision: int) -> SearchIndex:
        loaded, entries, files, key = self._read_store(session, revision)
        return loaded if loaded is not None else self._build(entries, files, key)

    def _read_store(
        self, session: Session, revision: int
    ) -> tuple[SearchIndex | None, list[IndexEntry], "IndexFiles | None", str | None]:
        """The index from its file when there is one for this revision, else the passages to build it from."""
        files = self._files if self._files is not None else (IndexFiles.default() if PERSIST_INDEXES else None)
        key = files.key(session, revision) if files is not None else None
        if files is not None and key is not None:
            loaded = files.load(key)
            if loaded is not None:
                index, words = loaded
                self._token_cache._replace(words, len(words), 0)
                return index, [], files, key
        return None, published_entries(session), files, key

    def _build(self, entries: list[IndexEntry], files: "IndexFiles | None", key: str | None) -> SearchIndex:
        with _collector_paused(freeze=not self._rebuild_inline()):
            index = SearchIndex.build(entries, token_cache=self._token_cache)
        if files is not None and key is not None:
            files.save(key, index, self._token_cache._snapshot())
        return index

    def _install(self, index: SearchIndex, revision: int) -> None:
        with self._state:
            self._index, self._revision = index, revision
            self.builds += 1

    def _request_rebuild(self, bind: Engine | Connection, revision: int) -> None:
        with self._state:
            self._wanted = max(revision, self._wanted or 0)
            if self._building:
                return  # the running build looks at `_wanted` again when it ends
            self._building = True
            self._built.clear()
        engine = bind.engine if isinstance(bind, Connection) else bind
        try:
            self._start(lambda: self._rebuild_until_current(engine))
        except Exception:  # noqa: BLE001 - no thread to be had: questions keep the old index
            logger.exception("search index rebuild could not be started")
            self._finish_building()

    def _rebuild_until_current(self, engine: Engine) -> None:
        """Rebuild, then again while the store moved on during the build."""
        try:
            while True:
                with Session(engine) as session:
                    # The revision is read before the passages: if an edit lands in between, the
                    # index is labelled older than its content and is rebuilt once more, never the
                    # other way round.
                    revision = current_revision(session)
                    loaded, entries, files, key = self._read_store(session, revision)
                # Built after the session is closed: no connection or transaction is held meanwhile.
                index = loaded if loaded is not None else self._build(entries, files, key)
                self._install(index, revision)
                _freeze_long_lived()
                with self._state:
                    if self._wanted is None or self._wanted <= revision:
                        self._wanted = None
                        break
        except Exception:  # noqa: BLE001 - questions keep the old index; the next check retries
            logger.exception("search index rebuild failed; the previous index stays in use")
        finally:
            self._finish_building()

    def _finish_building(self) -> None:
        with self._state:
            self._building = False
            self._built.set()


class IndexFiles:
    """Built indexes on disk, one file per (database, store revision, content, search code).

    A file is only read back from a folder this user owns and no one else may write to: it is a
    pickle, which must never come from anyone else. A file that cannot be read is rebuilt."""

    def __init__(self, folder: Path, *, keep: int = 3) -> None:
        self.folder = folder
        self.keep = keep

    @classmethod
    def default(cls) -> "IndexFiles":
        configured = os.environ.get("KMBOT_INDEX_CACHE")
        if configured:
            return cls(Path(configured))
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return cls(Path(base) / "kmbot" / "search-index")

    def key(self, session: Session, revision: int) -> str | None:
        """What the index of this store at this revision is built from, as a file name."""
        bind = session.get_bind()
        url = bind.engine.url.render_as_string(hide_password=True)
        passages = session.execute(select(func.count(Passage.id), func.max(Passage.id))).one()
        articles = session.execute(select(func.count(Article.id), func.max(Article.updated_at))).one()
        digest = hashlib.sha256()
        for part in (url, revision, *passages, *articles, search_code_version()):
            digest.update(repr(part).encode())
            digest.update(b"\0")
        return digest.hexdigest()[:32]

    def load(self, key: str) -> tuple[SearchIndex, dict[str, tuple[str, ...]]] | None:
        path = self.folder / f"{key}.pickle"
        try:
            if not (_private(self.folder) and _private(path)):
                return None
            with path.open("rb") as file:
                stored_key, index, words = pickle.load(file)  # noqa: S301 - a file only this user can write
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged or older file is rebuilt
            logger.warning("search index file %s could not be read; building the index", path.name)
            return None
        if stored_key != key or not isinstance(index, SearchIndex):
            return None
        return index, words

    def save(self, key: str, index: SearchIndex, words: dict[str, tuple[str, ...]]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not _private(self.folder):
                logger.warning("search index folder %s is writable by others; index not saved", self.folder)
                return
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                pickle.dump((key, index, words), file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.folder / f"{key}.pickle")  # readers see the whole file or none
            self._prune()
        except OSError as error:
            logger.warning("search index not saved (%s)", error.strerror or error)

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.pickle"), key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in files[self.keep:]:
            stale.unlink(missing_ok=True)


def _private(path: Path) -> bool:
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


_code_version: str | None = None


def search_code_version() -> str:
    """The search code and the segmenter that built an index: another version builds anew."""
    global _code_version
    if _code_version is None:
        from importlib.metadata import PackageNotFoundError, version

        from kb.tokenizer import segmenter_engine

        digest = hashlib.sha256()
        for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
            digest.update(source.read_bytes())
        try:
            digest.update(version("pythainlp").encode())
        except PackageNotFoundError:  # pragma: no cover - pythainlp is a dependency
            pass
        digest.update(segmenter_engine().encode())
        _code_version = digest.hexdigest()
    return _code_version


@contextmanager
def _collector_paused(*, freeze: bool) -> Iterator[None]:
    """No cyclic collection while an index is built: a build makes millions of objects, each
    allocation burst would start a pass over everything, holding the interpreter each time.
    With `freeze`, what was built is frozen before the collector runs again (`_freeze_long_lived`)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            _freeze_long_lived()
    finally:
        if was_enabled:
            gc.enable()


def _freeze_long_lived() -> None:
    """Leave what exists now, the new index above all, out of the collector's full passes.

    An index is millions of long-lived objects; every full pass walked them all while holding
    the interpreter (90-170 ms at 10,000 passages, measured), stalling whichever question
    triggered it. Frozen objects are still freed as usual once unused, and an index has no
    reference cycles (a dropped one leaves nothing for the collector), so an old index goes
    when it is replaced. Not done by the inline builds that tests use, whose many short-lived apps would be kept."""
    gc.freeze()


def read_plan_outline(session: Session) -> PlanOutline:
    """The latest fiscal year's plans, as `read_activity_question` reads them."""
    latest_year = session.scalar(select(Plan.fiscal_year).order_by(Plan.fiscal_year.desc()).limit(1))
    if latest_year is None:
        return PlanOutline(None)
    plans = list(session.scalars(select(Plan).where(Plan.fiscal_year == latest_year).order_by(Plan.number)))
    names = tuple(
        (activity.step, activity.name)
        for plan in plans
        for activity in sorted(plan.activities, key=lambda activity: activity.position)
    )
    return PlanOutline(latest_year, names, tuple((plan.number, plan.knowledge_topic) for plan in plans))


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
