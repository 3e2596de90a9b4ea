"""The search index of one process, rebuilt from the database whenever the store's revision moves.

A rebuild never runs on a question's path: it runs in a thread of its own, reads the store in a
short transaction of its own, segments and indexes outside any session and lock, and swaps the
new index in when it is ready. Questions asked meanwhile use the index they had. Only the very
first build of a process is waited for, because before it there is nothing to answer with.

The store's revision is read at most once a second per process (`REVISION_TTL_SECONDS`): an
article published by another process is found within about a second, without a restart, and a
question costs no revision query otherwise. An edit committed by this process is noticed at once
(`kb.store.local_changes`).

Where the index is kept on disk (`IndexFiles`), it is built in a process of its own
(`python -m kb.index_build`) and this process only loads the file. A build in a thread of this
process held the interpreter for long stretches (the store read, bm25s' matrix work, the file
written), and questions waited up to half a second at 100,000 passages; a process of its own
shares nothing with the questions but the machine's cores. The file is read back in small steps,
its numeric arrays mapped from the file rather than copied (pages that every process on the
machine shares), and the index it replaces is let go of in small steps too (docs/performance.md).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import mmap
import os
import pickle
import stat
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

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
# With indexes on disk, builds run in a process of their own (`kb.index_build`); off, in a thread.
BUILD_IN_OWN_PROCESS = True
# A build of 100,000 passages takes about two minutes on a busy 2-core machine; one that takes
# this long is stuck (a locked database), and is stopped so that the next question asks again.
BUILD_TIMEOUT_SECONDS = 1800.0
# While a background load or release runs, the interpreter hands over between threads this often
# (the default is every 5 ms): a question that gives up the interpreter for a moment, as numpy and
# the database driver do, gets it back within this long rather than 5 ms later, each time.
BACKGROUND_SWITCH_INTERVAL = 0.0005

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
        """Build the first index now, outside any session, and load the segmenter that questions
        go through (a server calls this at start; gunicorn's master, before forking its workers)."""
        from kb.tokenizer import load_segmenter

        if self._index is None:
            with self._first_build, Session(engine) as session:
                if self._index is None:
                    self._build_now(session, current_revision(session))
        load_segmenter()
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
        index, revision = self._load_or_build(session, revision)
        self._install(index, revision)
        return index

    def _index_files(self) -> "IndexFiles | None":
        return self._files if self._files is not None else (IndexFiles.default() if PERSIST_INDEXES else None)

    def _load_or_build(self, session: Session, revision: int) -> tuple[SearchIndex, int]:
        """The index of the store as `session` sees it: from its file, else built; and its revision."""
        files = self._index_files()
        if files is None:
            return self._build(published_entries(session), None, None), revision
        key = files.key(session, revision)
        loaded = self._load(files, key)
        if loaded is not None:
            return loaded, revision
        bind = session.get_bind()
        engine = bind.engine if isinstance(bind, Connection) else bind
        if _can_build_apart(engine):
            try:
                built_revision, built_key = build_apart(engine, files)
                loaded = self._load(files, built_key)
                if loaded is not None:
                    return loaded, built_revision
                logger.warning("the search index built in its own process could not be read; building it here")
            except IndexBuildFailed as error:
                logger.warning("search index not built in its own process (%s); building it here", error)
        return self._build(published_entries(session), files, key), revision

    def _load(self, files: "IndexFiles", key: str, *, beside_questions: bool = False) -> SearchIndex | None:
        """The index from its file. `beside_questions`: while this process answers with another one,
        so the reading stops for a moment between parts and questions run meanwhile."""
        with _collector_paused(freeze=not self._rebuild_inline()):
            return files.load(key, pause=_let_questions_run if beside_questions else None)

    def _build(self, entries: list[IndexEntry], files: "IndexFiles | None", key: str | None) -> SearchIndex:
        """Built in this process (no index files, a database only this process sees, or no builder process)."""
        with _collector_paused(freeze=not self._rebuild_inline()):
            index = SearchIndex.build(entries, token_cache=self._token_cache)
        if files is not None and key is not None:
            files.save(key, index)
            files.save_words(self._token_cache._snapshot())
        return index

    def _install(self, index: SearchIndex, revision: int) -> SearchIndex | None:
        """Make `index` the one questions get; returns the one it replaces."""
        with self._state:
            previous, self._index, self._revision = self._index, index, revision
            self.builds += 1
        return previous

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
                index, revision = self._rebuild_once(engine)
                with _switching_often():
                    retired = [self._install(index, revision)]
                    _freeze_long_lived()
                    _let_go_gradually(retired)
                with self._state:
                    if self._wanted is None or self._wanted <= revision:
                        self._wanted = None
                        break
        except Exception:  # noqa: BLE001 - questions keep the old index; the next check retries
            logger.exception("search index rebuild failed; the previous index stays in use")
        finally:
            self._finish_building()

    def _rebuild_once(self, engine: Engine) -> tuple[SearchIndex, int]:
        files = self._index_files()
        if files is not None and _can_build_apart(engine):
            try:
                revision, key = build_apart(engine, files)
            except IndexBuildFailed as error:
                logger.warning("search index not built in its own process (%s); building it in this one", error)
            else:
                with _switching_often():
                    index = self._load(files, key, beside_questions=True)
                if index is None:
                    raise RuntimeError("the search index built in its own process could not be read")
                return index, revision
        with Session(engine) as session:
            # The revision is read before the passages: if an edit lands in between, the index is
            # labelled older than its content and is rebuilt once more, never the other way round.
            revision = current_revision(session)
            key = files.key(session, revision) if files is not None else None
            loaded = self._load(files, key, beside_questions=True) if files is not None and key is not None else None
            entries = published_entries(session) if loaded is None else []
        # Built after the session is closed: no connection or transaction is held meanwhile.
        return (loaded if loaded is not None else self._build(entries, files, key)), revision

    def _finish_building(self) -> None:
        with self._state:
            self._building = False
            self._built.set()


class IndexBuildFailed(Exception):
    """The builder process could not be run, or ended without an index."""


def _can_build_apart(engine: Engine) -> bool:
    """Whether another process can read this database: not an in-memory SQLite one."""
    if not BUILD_IN_OWN_PROCESS or not sys.executable:
        return False
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return database not in ("", ":memory:") and "mode=memory" not in str(url.query.get("mode", ""))
    return True


def build_apart(engine: Engine, files: "IndexFiles") -> tuple[int, str]:
    """Have `python -m kb.index_build` build (or find) the index file of the store as it is now.

    Returns the revision the index was built from and the key of its file. The database address
    goes to the builder on its standard input, never on its command line, where other users of the
    machine could read it."""
    request = json.dumps({
        "url": engine.url.render_as_string(hide_password=False),
        "folder": str(files.folder),
        "keep": files.keep,
    })
    package_root = str(Path(__file__).resolve().parent.parent)
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [package_root, *(part for part in environment.get("PYTHONPATH", "").split(os.pathsep) if part)]
    )
    environment["PYTHONIOENCODING"] = "utf-8"
    try:
        completed = subprocess.run(
            [sys.executable, "-P", "-m", "kb.index_build"], input=request.encode(), stdout=subprocess.PIPE,
            env=environment, timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise IndexBuildFailed(type(error).__name__) from None
    if completed.returncode != 0:
        raise IndexBuildFailed(f"the builder exited with {completed.returncode}")
    try:
        result = json.loads(completed.stdout.decode().strip().splitlines()[-1])
        return int(result["revision"]), str(result["key"])
    except (ValueError, IndexError, KeyError, TypeError):
        raise IndexBuildFailed("the builder gave no result") from None


def build_index_file(url: str, files: "IndexFiles") -> tuple[int, str]:
    """In the builder process: the index file of the store at `url` as it is now, built unless
    one is there already. One build at a time per folder: processes asking for the same revision
    at once (gunicorn's workers) wait for the first and find its file."""
    from bot.core.database import create_database_engine

    engine = create_database_engine(url)
    try:
        with files.build_lock():
            with Session(engine) as session:
                revision = current_revision(session)
                key = files.key(session, revision)
                if files.exists(key):
                    return revision, key
                entries = published_entries(session)
            token_cache = TokenCache()
            words = files.load_words()
            if words:
                token_cache._replace(words, 0, 0)
            gc.disable()  # nothing here outlives the process; a collector pass would only cost time
            index = SearchIndex.build(entries, token_cache=token_cache)
            files.save(key, index)
            files.save_words(token_cache._snapshot())
            return revision, key
    finally:
        engine.dispose()


class IndexFiles:
    """Built indexes on disk, one file per (database, store revision, content, search code), and the
    words of the last build (`TokenCache`), so that the next build segments only what changed.

    An index file is a header, the index pickled, and the index's numeric arrays (pickle's
    out-of-band buffers), each at an aligned offset: a process maps those from the file instead of
    copying them, so every process on the machine shares their pages. A file is only read back
    from a folder this user owns and no one else may write to: it is a pickle, which must never
    come from anyone else. A file that cannot be read is rebuilt. Files are written whole under a
    temporary name and renamed, never changed in place (a mapped file must not change under a reader)."""

    MAGIC = b"KMBOTIX1"
    ALIGNMENT = 64

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

    def key(self, session: Session, revision: int) -> str:
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

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.index"

    def exists(self, key: str) -> bool:
        """Whether a whole, readable file for `key` is there (what a builder need not build again)."""
        path = self.path(key)
        try:
            if not (_private(self.folder) and _private(path)):
                return False
            with path.open("rb") as file:
                head = file.read(len(self.MAGIC) + 8)
                head += file.read(int.from_bytes(head[len(self.MAGIC):], "little"))
                size = os.fstat(file.fileno()).st_size
            _file_layout(memoryview(head), key, self.MAGIC, size)
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return True

    def load(self, key: str, pause: Callable[[], None] | None = None) -> SearchIndex | None:
        """The index saved under `key`, or None. Read in small steps, another thread may run
        meanwhile; `pause` is called between the steps."""
        path = self.path(key)
        try:
            if not (_private(self.folder) and _private(path)):
                return None
            with path.open("rb") as file:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            index = _read_index_file(memoryview(mapped), key, self.MAGIC, pause)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged or older file is rebuilt
            logger.warning("search index file %s could not be read; building the index", path.name)
            return None
        return index if isinstance(index, SearchIndex) else None

    def save(self, key: str, index: SearchIndex) -> None:
        parts, buffers = _pickled_parts(index)
        raws = [buffer.raw() for buffer in buffers]
        # Room for the header's JSON (its offsets depend on its size, so it is given a size first).
        header_size = _aligned(1024 + 48 * (len(parts) + len(raws)), self.ALIGNMENT)
        part_places, offset = [], header_size
        for part in parts:
            part_places.append([offset, len(part)])
            offset += len(part)
        places = []
        for raw in raws:
            offset = _aligned(offset, self.ALIGNMENT)
            places.append([offset, raw.nbytes])
            offset += raw.nbytes
        header = json.dumps({"key": key, "parts": part_places, "buffers": places}).encode()
        if len(self.MAGIC) + 8 + len(header) > header_size:
            raise ValueError("search index file header too long")

        def write(file: Any) -> None:
            file.write(self.MAGIC + len(header).to_bytes(8, "little") + header)
            for (place, _size), data in zip([*part_places, *places], [*parts, *raws]):
                file.seek(place)
                file.write(data)
            # As long as its layout says, even when the last array is empty (nothing written there).
            file.truncate(offset)

        if self._write(self.path(key), write):
            self._prune()

    def load_words(self) -> dict[str, tuple[str, ...]] | None:
        """The words of the last build by this search code, for the next build (`TokenCache`)."""
        path = self._words_path()
        try:
            if not (_private(self.folder) and _private(path)):
                return None
            with path.open("rb") as file:
                words = pickle.load(file)  # noqa: S301 - a file only this user can write
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - the next build segments everything again
            logger.warning("search words file %s could not be read", path.name)
            return None
        return words if isinstance(words, dict) else None

    def save_words(self, words: dict[str, tuple[str, ...]]) -> None:
        self._write(self._words_path(), lambda file: pickle.dump(words, file, protocol=pickle.HIGHEST_PROTOCOL))

    @contextmanager
    def build_lock(self) -> Iterator[None]:
        """Held while one process builds for this folder; others wait, then find its file."""
        self._make_folder()
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not a POSIX system: builds may overlap, harmlessly
            yield
            return
        handle = os.open(self.folder / ".build.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # closing releases the lock

    def _words_path(self) -> Path:
        return self.folder / f"words-{search_code_version()[:16]}.pickle"

    def _make_folder(self) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(self.folder):
            logger.warning("search index folder %s is writable by others; index not saved", self.folder)
            return False
        return True

    def _write(self, path: Path, write: Callable[[Any], None]) -> bool:
        """Write a whole file under a temporary name, then rename it: readers see all of it or none."""
        try:
            if not self._make_folder():
                return False
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    write(file)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            return True
        except OSError as error:
            logger.warning("search index not saved (%s)", error.strerror or error)
            return False

    def _prune(self) -> None:
        def newest_first(pattern: str) -> list[Path]:
            found = []
            for path in self.folder.glob(pattern):
                try:
                    found.append((path.stat().st_mtime, path))
                except FileNotFoundError:
                    continue
            return [path for _, path in sorted(found, reverse=True)]

        # Mapped files may be unlinked: a process that maps one keeps its pages until it lets go.
        for stale in newest_first("*.index")[self.keep:] + newest_first("words-*.pickle")[2:]:
            stale.unlink(missing_ok=True)
        for legacy in self.folder.glob("*.pickle"):  # the format before index files
            if not legacy.name.startswith("words-"):
                legacy.unlink(missing_ok=True)


def _aligned(offset: int, alignment: int) -> int:
    return -(-offset // alignment) * alignment


# Sequences longer than this are pickled in parts of this many items, each by a pickler of its own:
# an unpickler holds a reference to every object it made until it is freed, and freeing one that
# made a 100,000-passage index took 30-40 ms in one go (measured), while no other thread ran.
PART_ITEMS = 1000
# Between two parts read beside questions, this thread sleeps this long: a question then runs
# without waiting for the interpreter at each step. Reading a 100,000-passage index so takes about
# twice as long (1-2 s), while a question asked meanwhile waits a few milliseconds more, not tens.
PAUSE_BETWEEN_PARTS_SECONDS = 0.002


def _let_questions_run() -> None:
    time.sleep(PAUSE_BETWEEN_PARTS_SECONDS)


def _pickled_parts(index: SearchIndex) -> tuple[list[bytes], list[pickle.PickleBuffer]]:
    """The index as several pickles: its attributes, then each long tuple or list attribute in parts.

    Only for an object whose state is its `__dict__` (as `SearchIndex`'s is); any other is pickled
    whole. Objects shared between two parts come back as two equal objects, a little more memory."""
    buffers: list[pickle.PickleBuffer] = []
    kind = type(index)
    plain = (
        kind.__reduce_ex__ is object.__reduce_ex__
        and kind.__getstate__ is object.__getstate__  # type: ignore[comparison-overlap]
        and not hasattr(kind, "__setstate__")
        and not hasattr(kind, "__slots__")
    )
    if not plain:
        return [pickle.dumps(("whole", index), protocol=5, buffer_callback=buffers.append)], buffers
    state = vars(index)
    long = {name: value for name, value in state.items() if type(value) in (tuple, list) and len(value) > PART_ITEMS}
    rest = {name: value for name, value in state.items() if name not in long}
    layout = {name: (type(value) is tuple, -(-len(value) // PART_ITEMS)) for name, value in long.items()}
    parts = [pickle.dumps(("parts", kind, rest, layout), protocol=5, buffer_callback=buffers.append)]
    for value in long.values():
        for start in range(0, len(value), PART_ITEMS):
            parts.append(pickle.dumps(value[start : start + PART_ITEMS], protocol=5, buffer_callback=buffers.append))
    return parts, buffers


def _file_layout(head: memoryview, key: str, magic: bytes, size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Where the pickles and the arrays are in an index file: checked against its key and its size."""
    if bytes(head[: len(magic)]) != magic:
        raise ValueError("not a search index file")
    header_length = int.from_bytes(head[len(magic) : len(magic) + 8], "little")
    header = json.loads(bytes(head[len(magic) + 8 : len(magic) + 8 + header_length]))
    if header.get("key") != key:
        raise ValueError("search index file of another key")
    parts = [(int(place), int(length)) for place, length in header["parts"]]
    places = [(int(place), int(length)) for place, length in header["buffers"]]
    # A file shorter than its header says would fault when a mapped page past its end is touched.
    if not parts or max(place + length for place, length in [*parts, *places]) > size:
        raise ValueError("search index file cut short")
    return parts, places


def _read_index_file(view: memoryview, key: str, magic: bytes, pause: Callable[[], None] | None = None) -> Any:
    parts, places = _file_layout(view, key, magic, len(view))
    # One iterator for all parts: each unpickler takes the arrays of its own pickle, in order.
    buffers = iter([view[place : place + size] for place, size in places])

    def unpickle(place: int, length: int) -> Any:
        if pause is not None:
            pause()
        return pickle.Unpickler(_SteppedReader(view[place : place + length]), buffers=buffers).load()  # noqa: S301 - only this user's file

    head = unpickle(*parts[0])
    if head[0] == "whole":
        return head[1]
    _, kind, state, layout = head
    if not (isinstance(kind, type) and issubclass(kind, SearchIndex)):
        raise ValueError("not a search index")
    remaining = iter(parts[1:])
    for name, (is_tuple, count) in layout.items():
        items: list[Any] = []
        for _ in range(count):
            items.extend(unpickle(*next(remaining)))
        state[name] = tuple(items) if is_tuple else items
    index = kind.__new__(kind)
    index.__dict__.update(state)
    return index


class _SteppedReader:
    """A file over bytes in memory whose reads are Python calls.

    pickle reads its input frame by frame (64 KB). Read from a real file, the whole load is one
    call that keeps the interpreter from every other thread (0.5-1 s at 100,000 passages). Through
    this reader each frame is a Python call, where the interpreter may switch to a waiting thread."""

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._position + size)
        data = bytes(self._view[self._position : end])
        self._position = end
        return data

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        count = min(len(target), len(self._view) - self._position)
        target[:count] = self._view[self._position : self._position + count]
        self._position += count
        return count

    def readline(self) -> bytes:
        rest = self._view[self._position :]
        found = bytes(rest[:4096]).find(b"\n")
        end = self._position + (found + 1 if found >= 0 else len(rest))
        return self.read(end - self._position)


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


_switching = threading.Lock()
_switching_users = 0
_switch_interval_before = 0.005


@contextmanager
def _switching_often() -> Iterator[None]:
    """While a background thread loads or lets go of an index, questions that give up the
    interpreter for a moment (numpy, the database driver) get it back within
    `BACKGROUND_SWITCH_INTERVAL` instead of 5 ms later each time."""
    global _switching_users, _switch_interval_before
    with _switching:
        if _switching_users == 0:
            _switch_interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_interval_before, BACKGROUND_SWITCH_INTERVAL))
        _switching_users += 1
    try:
        yield
    finally:
        with _switching:
            _switching_users -= 1
            if _switching_users == 0:
                sys.setswitchinterval(_switch_interval_before)


def _let_go_gradually(retired: list[SearchIndex | None], step: int = 2000) -> None:
    """Free the index in `retired` (its only holder, emptied here) a little at a time.

    Dropping the last reference to a 100,000-passage index frees millions of objects in one go,
    0.2 s during which no other thread runs. Its large collections' items are taken out first, the
    index then goes cheaply, and its items are freed `step` at a time with a chance for questions
    to run between steps. A question still using the index meanwhile keeps what it uses: only
    references are moved here."""
    index = retired.pop()
    if index is None:
        return
    items: list[object] = []
    owners = [index, *(value for value in vars(index).values() if hasattr(value, "__dict__") and not isinstance(value, type))]
    for owner in owners:
        for value in vars(owner).values():
            if isinstance(value, (tuple, list, set, frozenset)) and len(value) > step:
                items.extend(value)
            elif isinstance(value, dict) and len(value) > step:
                items.extend(value.keys())
                items.extend(value.values())
            elif getattr(value, "dtype", None) == object and getattr(value, "size", 0) > step:
                items.extend(value.ravel().tolist())
    del owners, index
    while items:
        del items[-step:]
        time.sleep(0)  # let a waiting question run


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
