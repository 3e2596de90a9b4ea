"""The search service: rebuilds off the question's path, the revision read at most once a second."""

from __future__ import annotations

import threading
from typing import Callable

from sqlalchemy import select, update

from kb.search_service import KnowledgeSearch
from kb.store import current_revision, import_files
from kb.tables import Article, KnowledgeStoreRevision


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class HeldBuilds:
    """Starts nothing by itself: a test runs each requested build when it chooses."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def __call__(self, work: Callable[[], None]) -> None:
        self.pending.append(work)

    def run_all(self) -> None:
        while self.pending:
            self.pending.pop(0)()


def edit_elsewhere(database, title: str) -> None:  # type: ignore[no-untyped-def]
    """An edit as another process makes it: the row and the revision change, this process is not told."""
    with database.engine.begin() as connection:
        connection.execute(update(Article).where(Article.id == select(Article.id).order_by(Article.id).limit(1).scalar_subquery()).values(title=title))
        connection.execute(update(KnowledgeStoreRevision).values(revision=KnowledgeStoreRevision.revision + 1))


def titles(index) -> set[str]:  # type: ignore[no-untyped-def]
    return {entry.title for entry in index.entries}


def test_questions_keep_the_old_index_while_the_new_one_is_built(database, starter_pack) -> None:  # type: ignore[no-untyped-def]
    clock, builds = ManualClock(), HeldBuilds()
    search = KnowledgeSearch(clock=clock, start=builds, inline=False)
    with database.session() as session:
        first = search.index(session)
    edit_elsewhere(database, "หัวข้อที่แก้จากอีกเครื่อง")
    clock.now += 1.5

    with database.session() as session:
        during = search.index(session)
        again = search.index(session)
    # The question did not wait: it got the index it had, and one build was asked for, not two.
    assert during is first and again is first
    assert len(builds.pending) == 1 and search.building
    assert "หัวข้อที่แก้จากอีกเครื่อง" not in titles(during)

    builds.run_all()
    with database.session() as session:
        after = search.index(session)
    assert after is not first and not search.building
    assert "หัวข้อที่แก้จากอีกเครื่อง" in titles(after)
    assert builds.pending == []


def test_another_process_edit_is_seen_within_a_second_and_the_revision_read_at_most_once_a_second(database, starter_pack) -> None:  # type: ignore[no-untyped-def]
    clock, builds = ManualClock(), HeldBuilds()
    search = KnowledgeSearch(clock=clock, start=builds, inline=False)
    with database.session() as session:
        search.index(session)
    edit_elsewhere(database, "ชื่อใหม่")

    statements: list[str] = []
    from sqlalchemy import event

    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        clock.now += 0.5
        with database.session() as session:
            search.index(session)
        assert builds.pending == []  # half a second on: not looked at yet
        assert not any("knowledge_store_revision" in statement for statement in statements)
        clock.now += 0.6
        with database.session() as session:
            search.index(session)
            search.index(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert sum("knowledge_store_revision" in statement for statement in statements) == 1
    assert len(builds.pending) == 1


def test_this_process_edit_is_noticed_at_once(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock, builds = ManualClock(), HeldBuilds()
    search = KnowledgeSearch(clock=clock, start=builds, inline=False)
    with database.session() as session:
        search.index(session)
    note = tmp_path / "leave.md"
    note.write_text("---\ntitle: การลาพักผ่อนของพนักงานจ้าง\n---\n\nลาได้ปีละ ๑๐ วันทำการ\n", encoding="utf-8")
    import_files(database.session, [note])

    with database.session() as session:
        search.index(session)  # no time has passed on the clock
    builds.run_all()
    with database.session() as session:
        assert "การลาพักผ่อนของพนักงานจ้าง" in titles(search.index(session))


def test_a_build_in_a_real_thread_holds_no_session_of_the_question(database, starter_pack) -> None:  # type: ignore[no-untyped-def]
    search = KnowledgeSearch(clock=ManualClock(), revision_ttl=0.0, inline=False)
    with database.session() as session:
        first = search.index(session)
    edit_elsewhere(database, "ชื่อที่สร้างในเธรด")
    started = threading.Event()
    release = threading.Event()
    original = search._rebuild_until_current

    def slow_rebuild(engine) -> None:  # type: ignore[no-untyped-def]
        started.set()
        release.wait(30)
        original(engine)

    search._rebuild_until_current = slow_rebuild  # type: ignore[method-assign]
    with database.session() as session:
        assert search.index(session) is first
    assert started.wait(30)
    # While the build is held, questions (and their transactions) go on and get the old index.
    with database.session() as session:
        assert search.index(session) is first
    release.set()
    assert search.wait_until_built(30)
    with database.session() as session:
        assert "ชื่อที่สร้างในเธรด" in titles(search.index(session))


def test_a_failed_rebuild_keeps_the_old_index(database, starter_pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    builds = HeldBuilds()
    search = KnowledgeSearch(clock=ManualClock(), revision_ttl=0.0, start=builds, inline=False)
    with database.session() as session:
        first = search.index(session)
    edit_elsewhere(database, "x")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr("kb.search_service.published_entries", broken)
    with database.session() as session:
        search.index(session)
    builds.run_all()
    with database.session() as session:
        assert search.index(session) is first
    assert len(builds.pending) == 1  # asked again on the next question


def test_a_batch_import_moves_the_revision_once(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = []
    for number in range(3):
        path = tmp_path / f"note{number}.md"
        path.write_text(f"---\ntitle: บันทึกที่ {number}\n---\n\nเนื้อหาบันทึกที่ {number} เรื่องการประชุม\n", encoding="utf-8")
        paths.append(path)
    with database.session() as session:
        before = current_revision(session)

    outcomes = import_files(database.session, paths)
    with database.session() as session:
        assert [outcome.outcome for outcome in outcomes] == ["created"] * 3
        assert current_revision(session) == before + 1

    import_files(database.session, paths)  # nothing changed: nothing for any process to rebuild
    with database.session() as session:
        assert current_revision(session) == before + 1


def test_healthz_does_not_build_the_index(client, app) -> None:  # type: ignore[no-untyped-def]
    from bot.web.extensions import get_search

    response = client.get("/healthz")
    assert response.status_code == 200
    assert get_search(app).builds == 0
