"""The search index kept on disk: built in a process of its own, read back by any process, never
trusted from a folder others may write, and the replaced index let go of."""

from __future__ import annotations

import gc
import json
import os
import weakref

import pytest
from sqlalchemy import select, update

import kb.search_service as search_service
from kb.search_service import IndexFiles, KnowledgeSearch, build_apart
from kb.tables import Article, KnowledgeStoreRevision

QUESTION = "KM คืออะไร"


def answers(index) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
    return [(hit.entry.passage_id, round(hit.confidence, 6)) for hit in index.search(QUESTION)]


def edit_elsewhere(database, title: str) -> None:  # type: ignore[no-untyped-def]
    with database.engine.begin() as connection:
        first = select(Article.id).order_by(Article.id).limit(1).scalar_subquery()
        connection.execute(update(Article).where(Article.id == first).values(title=title))
        connection.execute(update(KnowledgeStoreRevision).values(revision=KnowledgeStoreRevision.revision + 1))


def index_files(folder) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(path.name for path in folder.glob("*.index"))


def test_a_new_process_answers_from_the_file_the_first_one_built(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = IndexFiles(tmp_path / "index")
    first = KnowledgeSearch(files=files, inline=False)
    with database.session() as session:
        built = first.index(session)
    assert len(index_files(files.folder)) == 1

    later = KnowledgeSearch(files=files, inline=False)  # as the next worker or `kmbot ask` would
    with database.session() as session:
        loaded = later.index(session)
    assert answers(loaded) == answers(built) and answers(built)
    assert [entry.passage_id for entry in loaded.entries] == [entry.passage_id for entry in built.entries]
    assert len(index_files(files.folder)) == 1  # nothing built again


def test_after_an_edit_the_new_index_comes_from_the_builder_process(database, starter_pack, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files = IndexFiles(tmp_path / "index")
    search = KnowledgeSearch(files=files, inline=False, revision_ttl=0.0)
    with database.session() as session:
        old = search.index(session)
    builders: list[object] = []
    real_build_apart = search_service.build_apart
    monkeypatch.setattr(search_service, "build_apart", lambda *args: builders.append(args) or real_build_apart(*args))
    edit_elsewhere(database, "ชื่อบทความที่แก้จากอีกเครื่อง")

    with database.session() as session:
        assert search.index(session) is old  # the question does not wait for the build
    assert search.wait_until_built(120)
    with database.session() as session:
        new = search.index(session)
    assert builders and new is not old
    assert "ชื่อบทความที่แก้จากอีกเครื่อง" in {entry.title for entry in new.entries}
    assert "ชื่อบทความที่แก้จากอีกเครื่อง" not in {entry.title for entry in old.entries}


def test_the_database_address_reaches_the_builder_on_its_input_not_its_command_line(database, starter_pack, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    class Completed:
        returncode = 0
        stdout = json.dumps({"revision": 7, "key": "k"}).encode()

    def run(command, **options):  # type: ignore[no-untyped-def]
        seen["command"], seen["input"] = command, options["input"]
        return Completed()

    monkeypatch.setattr(search_service.subprocess, "run", run)
    assert build_apart(database.engine, IndexFiles(tmp_path)) == (7, "k")
    address = database.engine.url.render_as_string(hide_password=False)
    assert not any(address in str(part) for part in seen["command"])  # type: ignore[union-attr]
    assert json.loads(seen["input"])["url"] == address  # type: ignore[arg-type]


def test_when_no_builder_process_can_run_the_index_is_built_in_this_one(database, starter_pack, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search_service.sys, "executable", str(tmp_path / "no-such-python"))
    search = KnowledgeSearch(files=IndexFiles(tmp_path / "index"), inline=False)
    with database.session() as session:
        assert answers(search.index(session))
    assert len(index_files(tmp_path / "index")) == 1


def test_a_damaged_index_file_is_built_again(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = IndexFiles(tmp_path / "index")
    with database.session() as session:
        expected = answers(KnowledgeSearch(files=files, inline=False).index(session))
    (path,) = files.folder.glob("*.index")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # cut short, as by a full disk

    with database.session() as session:
        assert answers(KnowledgeSearch(files=files, inline=False).index(session)) == expected
    assert path.stat().st_size > 0 and files.load(path.stem) is not None


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_an_index_file_in_a_folder_others_may_write_is_not_read(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = IndexFiles(tmp_path / "index")
    with database.session() as session:
        KnowledgeSearch(files=files, inline=False).index(session)
    (path,) = files.folder.glob("*.index")
    assert files.load(path.stem) is not None
    files.folder.chmod(0o777)
    try:
        assert files.load(path.stem) is None
    finally:
        files.folder.chmod(0o700)


def test_the_index_file_maps_its_arrays_read_only(database, starter_pack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The arrays are the file's own pages (shared by every process that maps it), never written."""
    files = IndexFiles(tmp_path / "index")
    with database.session() as session:
        index = KnowledgeSearch(files=files, inline=False).index(session)
    arrays = [value for value in vars(index._matrix).values() if hasattr(value, "flags") and value.dtype != object]
    assert arrays and not any(array.flags.writeable for array in arrays)
    assert answers(index)


def test_a_replaced_index_is_freed(database, starter_pack) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        index = KnowledgeSearch(inline=True).index(session)
    entry = weakref.ref(index.entries[0])
    gone = weakref.ref(index)
    retired = [index]
    del index
    search_service._let_go_gradually(retired, step=5)
    gc.collect()
    assert retired == [] and gone() is None and entry() is None


def test_an_index_with_empty_arrays_is_read_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A store with nothing searchable yet (its arrays empty) is kept like any other."""
    from kb.search import SearchIndex

    files = IndexFiles(tmp_path / "index")
    files.save("empty", SearchIndex.build([]))
    assert files.exists("empty")
    loaded = files.load("empty")
    assert loaded is not None and len(loaded) == 0 and loaded.search(QUESTION) == []


def test_an_index_saved_in_parts_reads_back_the_same(database, starter_pack, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A large store's passages are pickled in parts (so reading them back pauses questions in
    short steps only); what is read back is the same index."""
    monkeypatch.setattr(search_service, "PART_ITEMS", 7)
    files = IndexFiles(tmp_path / "index")
    with database.session() as session:
        built = KnowledgeSearch(files=files, inline=True, revision_ttl=0.0)
        monkeypatch.setattr(search_service, "BUILD_IN_OWN_PROCESS", False)  # this process's PART_ITEMS
        index = built.index(session)
    (path,) = files.folder.glob("*.index")
    loaded = files.load(path.stem)
    assert loaded is not None and len(loaded.entries) > 7
    assert loaded.entries == index.entries
    for question in (QUESTION, "ใครรับผิดชอบ KMP5", "ชุมชนนักปฏิบัติคืออะไร"):
        assert answers_to(loaded, question) == answers_to(index, question)


def answers_to(index, question: str) -> list[tuple[int, float]]:  # type: ignore[no-untyped-def]
    return [(hit.entry.passage_id, round(hit.confidence, 6)) for hit in index.search(question)]
