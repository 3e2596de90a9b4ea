"""The segmenter's dictionary kept as a file, so that a starting process does not make it again."""

from __future__ import annotations

import os

import pytest

from kb import tokenizer


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    folder = tmp_path / "cache"
    monkeypatch.setenv("KMBOT_INDEX_CACHE", str(folder))
    return folder


def test_the_kept_file_holds_exactly_the_dictionary_and_is_reused(cache_folder) -> None:  # type: ignore[no-untyped-def]
    path, temporary = tokenizer._dictionary_file()
    assert not temporary and path.parent == cache_folder
    assert path.read_text(encoding="utf-8").split("\n") == sorted(tokenizer.dictionary_words())
    written = path.stat().st_mtime_ns

    again, temporary = tokenizer._dictionary_file()
    assert again == path and not temporary and path.stat().st_mtime_ns == written


def test_other_added_words_make_another_file(cache_folder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path, _ = tokenizer._dictionary_file()
    monkeypatch.setattr(tokenizer, "EXTRA_WORDS", (*tokenizer.EXTRA_WORDS, "คำทดสอบใหม่"))
    other, _ = tokenizer._dictionary_file()
    assert other != path


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_a_folder_others_may_write_is_not_trusted(cache_folder) -> None:  # type: ignore[no-untyped-def]
    cache_folder.mkdir(mode=0o700)
    cache_folder.chmod(0o777)
    try:
        path, temporary = tokenizer._dictionary_file()
        assert temporary and path.parent != cache_folder
        path.unlink()
    finally:
        cache_folder.chmod(0o700)
