"""Search on a small in-domain store: synonyms meet, boosts work, foreign questions fall back."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.search import (
    ANSWER_THRESHOLD,
    IndexEntry,
    SearchAnswer,
    SearchHit,
    SearchIndex,
    Speller,
    TokenCache,
    confidence_from_signals,
    question_words,
    related_questions,
)
from kb.normalize import fold_thai
from kb.tokenizer import tokenize

REPOSITORY = Path(__file__).resolve().parents[2]


def entry(
    passage_id: int,
    article_id: int,
    key: str,
    title: str,
    text: str,
    *,
    headings: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    questions: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
) -> IndexEntry:
    return IndexEntry(
        passage_id=passage_id,
        article_id=article_id,
        article_key=key,
        title=title,
        heading_path=headings,
        text=text,
        aliases=aliases,
        sample_questions=questions,
        tags=tags,
    )


STORE = (
    entry(1, 1, "what-is-km", "การจัดการความรู้ (KM) คืออะไร",
          "การจัดการความรู้ คือการรวบรวมความรู้ที่กระจัดกระจายอยู่ในตัวบุคคลและเอกสาร มาจัดให้เป็นระบบ",
          aliases=("Knowledge Management",), questions=("KM คืออะไร", "ทำไมต้องทำ KM")),
    entry(2, 1, "what-is-km", "การจัดการความรู้ (KM) คืออะไร",
          "พระราชกฤษฎีกาว่าด้วยหลักเกณฑ์และวิธีการบริหารกิจการบ้านเมืองที่ดี มาตรา 11 ให้ส่วนราชการพัฒนาความรู้",
          headings=("ทำไมต้องทำ KM",), questions=("KM คืออะไร",)),
    entry(3, 2, "tacit-explicit", "ความรู้ฝังลึกและความรู้ที่ชัดแจ้ง",
          "ความรู้ที่ฝังอยู่ในคน (Tacit Knowledge) ได้จากประสบการณ์ ถ่ายทอดเป็นคำพูดได้ยาก",
          questions=("tacit กับ explicit ต่างกันอย่างไร",)),
    entry(4, 3, "targets", "เป้าหมายของกิจกรรม",
          "บุคลากรที่เกี่ยวข้องเข้าร่วมกิจกรรมแลกเปลี่ยนเรียนรู้ไม่น้อยกว่าร้อยละ ๘๐ ของทั้งหมด"),
    entry(5, 4, "calendar", "ปฏิทินงาน KM",
          "ประกาศแผนการจัดการความรู้ภายในวันที่ 10 มกราคม 2567 และรายงานผลภายในเดือนกันยายน",
          questions=("ประกาศแผนเมื่อไหร่",)),
    entry(6, 5, "plan-2567", "แผนการจัดการความรู้ ประจำปีงบประมาณ ๒๕๖๗",
          "ที่: ๕. | กิจกรรม: การเข้าถึงความรู้ (KMP ๕) - บอร์ดประชาสัมพันธ์ - มุมหนังสือ | "
          "ระยะเวลา: ก.ค. ๒๕๖๗ เป็นต้นไป | ผู้รับผิดชอบ: - หัวหน้าส่วน ราชการ",
          headings=("ตารางที่ ๒.๓ แผนการจัดการความรู้ (KM Action Plan) ที่ ๒", "กิจกรรมการจัดการความรู้")),
    entry(7, 6, "kmp-5-access", "KMP 5 การเข้าถึงความรู้",
          "ขั้นนี้คือการทำให้ผู้ใช้หาความรู้เจอได้ง่าย ผ่านเว็บไซต์ บอร์ด และหนังสือแจ้งเวียน",
          aliases=("KMP5",), tags=("KMP 5",), questions=("KMP5 คืออะไร",)),
    entry(8, 7, "rewards", "การยกย่องชมเชยและให้รางวัล",
          "จัดกิจกรรมยกย่องชมเชยบุคลากรที่แบ่งปันความรู้ภายในเดือนกันยายน"),
)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.build(STORE)


def assert_ranked(hits: list[SearchHit]) -> None:
    """The first hit is the passage of the best-scoring article that itself answers; the rest
    follow by score."""
    if not hits:
        return
    rest = [hit.score for hit in hits[1:]]
    assert rest == sorted(rest, reverse=True)
    best_article = max(hits, key=lambda hit: hit.score).entry.article_key
    assert hits[0].entry.article_key == best_article or hits[0].score >= max(rest, default=0.0)


def keys(hits: list[SearchHit]) -> list[str]:
    return [hit.entry.article_key for hit in hits]


# --- ranking --------------------------------------------------------------------------------


def test_finds_the_article_a_question_is_about(index: SearchIndex) -> None:
    assert keys(index.search("KM คืออะไรครับ"))[0] == "what-is-km"
    assert keys(index.search("ความรู้ที่ฝังอยู่ในคนคืออะไร"))[0] == "tacit-explicit"


def test_hits_are_sorted_and_limited(index: SearchIndex) -> None:
    hits = index.search("ความรู้", limit=3)
    assert 0 < len(hits) <= 3
    assert_ranked(hits)
    assert all(0.0 <= hit.confidence <= 1.0 for hit in hits)


def test_percent_finds_a_passage_written_with_roi_la(index: SearchIndex) -> None:
    for question in ("เข้าร่วมกิจกรรมกี่เปอร์เซ็นต์", "เข้าร่วมกิจกรรมกี่ %", "เข้าร่วมกิจกรรมร้อยละเท่าไหร่"):
        assert keys(index.search(question))[0] == "targets", question


def test_thai_digits_find_arabic_digits(index: SearchIndex) -> None:
    hits = index.search("ประกาศแผนวันที่ ๑๐ มกราคม")
    assert keys(hits)[0] == "calendar"


def test_title_counts_more_than_body_text() -> None:
    store = [
        entry(1, 1, "mentions", "เรื่องทั่วไปของหน่วยงาน", "กองเรามีบอร์ดประชาสัมพันธ์ที่หน้าห้อง"),
        entry(2, 2, "about", "บอร์ดประชาสัมพันธ์", "ติดประกาศที่หน้าห้องให้ทุกคนเห็น"),
    ]
    assert keys(SearchIndex.build(store).search("บอร์ดประชาสัมพันธ์"))[0] == "about"


def test_plan_row_beats_a_general_article_for_its_plan_and_step(index: SearchIndex) -> None:
    hits = index.search("แผน 2 KMP5 ใครรับผิดชอบ")
    assert hits[0].entry.article_key == "plan-2567"
    # Asked in general, the article about the step wins.
    assert keys(index.search("KMP5 คืออะไร"))[0] == "kmp-5-access"


def test_a_question_naming_a_process_but_no_step_accepts_any_step_of_it() -> None:
    # "CMP" without a number fits every CMP row; only the plan number has to match. The rows
    # are no worse for naming their own step.
    plan_one = ("ตารางที่ ๒.๒ แผนการจัดการความรู้ (KM Action Plan) ที่ ๑",)
    store = [
        entry(1, 1, "plan-2567", "แผน", "ที่: ๘. | กิจกรรม: การยกย่องชมเชย | ผู้รับผิดชอบ: ฝ่ายส่งเสริมและเผยแพร่วิชาการ",
              headings=(*plan_one, "กิจกรรมการจัดการความรู้")),
        entry(2, 1, "plan-2567", "แผน", "ที่: ๒ | กิจกรรม: การสื่อสาร (CMP ๒) | ผู้รับผิดชอบ: สำนัก/กองเจ้าภาพ",
              headings=(*plan_one, "กระบวนการบริหารจัดการการเปลี่ยนแปลง")),
    ]
    hits = SearchIndex.build(store).search("กิจกรรม CMP ของแผนที่ 1 ใครรับผิดชอบ")
    assert hits[0].entry.passage_id == 2


def test_words_about_the_asker_are_not_what_is_asked() -> None:
    # "ลืมละ" (I forgot) and "ถึงจะ" (then) say nothing about the answer.
    store = [
        entry(1, 1, "rewards", "การยกย่องชมเชย", "อย่าลืมถ่ายภาพกิจกรรมและเก็บรายชื่อผู้ได้รับรางวัลไว้ถึงสิ้นปี"),
        entry(2, 2, "overview", "KMP มีกี่ขั้น", "กระบวนการจัดการความรู้มี ๗ ขั้นตอน"),
        *(entry(10 + step, 10 + step, f"kmp-{step}", f"ขั้นตอนที่ {step}", f"ขั้นตอนที่ {step} ของ KMP ทำตามแผน")
          for step in range(1, 8)),
    ]
    index = SearchIndex.build(store)
    assert keys(index.search("KMP มีกี่ขั้นนะ ลืมละ"))[0] == "overview"
    assert keys(index.search("ทำไง KMP ถึงจะครบทุกขั้น"))[0] == "overview"


# --- rebuilding ---------------------------------------------------------------------------------


def test_a_token_cache_gives_the_same_index_and_segments_only_what_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.search

    segmented: list[str] = []
    real_tokenize = kb.search.tokenize

    def counting_tokenize(text: str) -> list[str]:
        segmented.append(text)
        return real_tokenize(text)

    monkeypatch.setattr(kb.search, "tokenize", counting_tokenize)
    cache = TokenCache()
    first = SearchIndex.build(STORE, token_cache=cache)
    assert len(cache) == len(set(segmented)) > len(STORE)

    # Edit one passage and remove another, as an article edit would.
    edited = [*STORE[:2], dataclasses.replace(STORE[2], text=STORE[2].text + " แก้ไขแล้ว"), *STORE[4:]]
    segmented.clear()
    second = SearchIndex.build(edited, token_cache=cache)

    assert segmented == [edited[2].text]
    assert (cache.last_hits, cache.last_misses) == (len(cache) - 1, 1)
    # The removed passage's text is dropped from the cache: it only holds the current store.
    assert STORE[3].text not in cache and STORE[2].text not in cache and edited[2].text in cache
    uncached = SearchIndex.build(edited)
    for question in ("KM คืออะไร", "ความรู้ที่ฝังอยู่ในคน แก้ไขแล้ว", "แผน 2 KMP5 ใครรับผิดชอบ"):
        assert [(hit.entry, hit.score) for hit in second.search(question)] == [
            (hit.entry, hit.score) for hit in uncached.search(question)
        ]
    assert keys(first.search("KM คืออะไร")) == keys(second.search("KM คืออะไร"))


# --- confidence and fallback -------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["พรุ่งนี้ฝนตกไหม", "หวยงวดนี้ออกอะไร", "ผลบอลเมื่อคืน", "สวัสดีครับ", "ขอบคุณมากค่ะ",
     "สูตรต้มยำกุ้ง", "กินข้าวยัง", "555", "", "   ", "?"],
)
def test_out_of_domain_falls_back(index: SearchIndex, question: str) -> None:
    result = index.answer(question)
    assert isinstance(result, SearchAnswer)
    assert not result.answered
    assert result.confidence < ANSWER_THRESHOLD


@pytest.mark.parametrize(
    "question", ["KM คืออะไร", "tacit knowledge คืออะไรคะ", "ยกย่องชมเชยทำเดือนไหน", "ประกาศแผนเมื่อไหร่"]
)
def test_in_domain_is_answered(index: SearchIndex, question: str) -> None:
    result = index.answer(question)
    assert result.answered
    assert result.best is not None and result.confidence == result.best.confidence >= ANSWER_THRESHOLD


def test_confidence_grows_with_coverage() -> None:
    low = confidence_from_signals({"coverage": 0.1})
    high = confidence_from_signals({"coverage": 0.9})
    assert 0.0 <= low < ANSWER_THRESHOLD < high <= 1.0


def test_signals_are_reported(index: SearchIndex) -> None:
    hit = index.search("KM คืออะไร")[0]
    assert set(hit.signals) >= {"coverage", "relative_score", "margin"}
    assert 0.0 <= hit.signals["coverage"] <= 1.0


# --- related questions -------------------------------------------------------------------------


def test_related_questions_come_from_other_articles(index: SearchIndex) -> None:
    hits = index.search("ความรู้", limit=8)
    related = index.related_questions("ความรู้", hits, limit=3)
    assert 0 < len(related) <= 3
    assert len(set(related)) == len(related)
    top_article = hits[0].entry
    assert not set(related) & set(top_article.sample_questions)


def test_related_questions_skip_the_question_asked_and_fall_back_to_titles() -> None:
    hits = [
        SearchHit(entry(1, 1, "a", "หัวข้อ ก", "x", questions=("KM คืออะไร",)), 3.0, 0.9),
        SearchHit(entry(2, 2, "b", "หัวข้อ ข", "x"), 2.0, 0.8),
        SearchHit(entry(3, 2, "b", "หัวข้อ ข", "y"), 1.5, 0.8),
        SearchHit(entry(4, 3, "c", "หัวข้อ ค", "x", questions=("KM คืออะไร", "ทำ KM ทำไม")), 1.0, 0.7),
    ]
    assert related_questions(hits, query="KM คืออะไร?") == ["หัวข้อ ก", "หัวข้อ ข", "ทำ KM ทำไม"]
    assert related_questions(hits, limit=1, exclude_article_keys=("a",)) == ["หัวข้อ ข"]


# --- edge cases ---------------------------------------------------------------------------------


def test_empty_index_finds_nothing() -> None:
    empty = SearchIndex.build([])
    assert len(empty) == 0
    assert empty.search("KM คืออะไร") == []
    assert not empty.answer("KM คืออะไร").answered


def test_passages_without_words_are_harmless() -> None:
    store = [entry(1, 1, "blank", "", "..."), entry(2, 2, "km", "KM", "การจัดการความรู้")]
    assert keys(SearchIndex.build(store).search("KM"))[0] == "km"


def test_zero_limit(index: SearchIndex) -> None:
    assert index.search("KM", limit=0) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_searchable(index: SearchIndex, question: str) -> None:
    hits = index.search(question, limit=5)
    assert len(hits) <= 5
    assert all(0.0 <= hit.confidence <= 1.0 for hit in hits)
    assert_ranked(hits)


def test_importing_does_no_work() -> None:
    # No index, no dictionary, no bm25s at import: workers start fast and tests stay cheap.
    code = (
        "import sys, kb.search, kb.tokenizer;"
        "print('bm25s' in sys.modules, kb.tokenizer._segmenter.cache_info().currsize)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, check=True,
        env={**os.environ, "PYTHAINLP_OFFLINE": "1"},
    )
    assert result.stdout.split() == ["False", "0"]


def test_the_search_service_rebuilds_after_an_edit_from_its_token_cache(database, starter_pack) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from kb.search_service import KnowledgeSearch
    from kb.store import bump_revision
    from kb.tables import Article, Passage

    search = KnowledgeSearch()
    with database.session() as session:
        before = search.index(session)
        passage = session.scalars(select(Passage).order_by(Passage.id)).first()
        passage.text += " แก้ไขล่าสุด"
        draft = session.scalars(select(Article).order_by(Article.id.desc())).first()
        draft.status = "draft"
        bump_revision(session)
    with database.session() as session:
        after = search.index(session)
        assert search.index(session) is after  # unchanged revision: no rebuild

    assert after is not before
    # Only the edited passage is segmented again.
    assert search._token_cache.last_misses == 1
    assert any(entry.text.endswith("แก้ไขล่าสุด") for entry in after.entries)
    # A draft is not searchable.
    assert draft.id not in {entry.article_id for entry in after.entries}
    assert len(after) < len(before)


# --- spelling that forgives -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ปัจจัยแห่งความสำเรจ", "สำเร็จ"),  # a missing vowel splits the word into fragments
        ("ความรุ้ที่ฝังอยู่ในคน", "ความรู้"),  # a wrong vowel
        ("ประเมิณผลแผน", "ประเมินผล"),  # ณ for น
        ("วัตถุประสงของแผน", "วัตถุประสงค์"),  # a dropped final consonant and its mark
        ("เอกสารหลักถาน", "หลักฐาน"),  # ถ for ฐ
        ("การเตียมการ", "เตรียมการ"),  # a dropped ร in a cluster
    ],
)
def test_a_misspelt_word_meets_the_store_word_it_means(typed: str, meant: str) -> None:
    speller = Speller(["ความรู้", "สำเร็จ", "ปัจจัย", "วัตถุประสงค์", "ประเมินผล", "แผน", "หลักฐาน", "เอกสาร", "เตรียมการ"])
    assert meant in speller.repair(tokenize(typed))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("ใครเซนประกาศแผน", "ลงนาม"),  # a dropped ็ (เซ็น, signed, is read as ลงนาม)
        ("ก.พ.ร. คือหน่วยงานใหน", "ไหน"),  # ใ for ไ in a function word
        ("ความรู้แบ่งไดกี่แบบ", "ได้"),  # a dropped tone mark in a word of two letters
        ("ชุมชนนักปฎิบัติ", "ปฏิบัติ"),  # ฎ for ฏ, which look alike
        ("CMP มีกี่ขันคะ", "step"),  # ขั้น without its tone mark is still the canonical step
        ("ความรุ้ที่ฝังอยุ่ในคน", "อยู่"),  # a chat spelling of a function word
    ],
)
def test_a_word_spelt_as_it_sounds_meets_the_store_word(typed: str, meant: str) -> None:
    speller = Speller(["ความรู้", "ฝัง", "อยู่", "คน", "ลงนาม", "เซ็น", "ประกาศ", "แผน", "ไหน", "ได้", "แบ่ง", "แบบ",
                       "ชุมชน", "นัก", "ปฏิบัติ", "step", "หน่วยงาน"], {"ขั้น": "step", "เซ็น": "ลงนาม"})
    assert meant in speller.repair(tokenize(typed))


@given(st.text(alphabet=st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B), max_size=12))
def test_folding_is_idempotent_and_never_lengthens(word: str) -> None:
    folded = fold_thai(word)
    assert fold_thai(folded) == folded
    assert len(folded) <= len(word)


def test_folding_keeps_words_that_sound_different_apart() -> None:
    assert fold_thai("เซน") == fold_thai("เซ็น") and fold_thai("รางวัน") == fold_thai("รางวัล")
    assert fold_thai("ขาย") != fold_thai("ข่าว") and fold_thai("ความรู้") != fold_thai("ความรัก")


def test_known_words_and_foreign_words_are_left_alone() -> None:
    speller = Speller(["ความรู้", "สำเร็จ", "ห้วยขวาง"])
    assert speller.repair(tokenize("ความรู้สำเร็จ")) == tokenize("ความรู้สำเร็จ")
    assert "ห้วยขวาง" not in speller.repair(tokenize("หวยออกอะไร"))


def test_a_question_word_typed_as_it_sounds_asks_nothing() -> None:
    # เท่าไหล่ (shoulder) for เท่าไหร่ (how much): not read as the store word ไหน a sound away.
    speller = Speller(["ประกาศ", "แผน", "วันที่", "ไหน", "เท่า"])
    repaired = speller.repair(tokenize("ประกาศแผนวันที่เท่าไหล่"))
    assert "เท่าไหร่" in repaired and "ไหน" not in repaired
    assert question_words(" ".join(repaired)) == question_words("ประกาศแผนวันที่")


def test_a_lone_letter_left_by_a_typo_is_not_put_right_to_another_letter() -> None:
    # บริหาน (for บริหาร) is segmented บ|ริ|หา|น: the น left over is not the store's ณ.
    speller = Speller(["บริหาร", "ณ", "งาน", "ผู้"])
    assert speller.repair(tokenize("ผู้บริหานในงาน")).count("ณ") == 0


def test_an_english_plural_meets_the_word_the_store_uses() -> None:
    speller = Speller(["step", "file", "box"])
    assert speller.repair(["13", "steps"]) == ["13", "step"]
    assert speller.repair(["files", "boxes"]) == ["file", "box"]
    assert speller.repair(["news"]) == ["news"]  # no store word without its s: left alone


def test_an_abbreviation_asked_is_answered_by_the_passage_that_spells_it_out() -> None:
    index = SearchIndex.build([
        entry(1, 1, "glossary", "คำศัพท์และคำย่อในงาน KM", "เอกสาร KM ใช้คำย่อและศัพท์ภาษาอังกฤษมาก บทความนี้รวบรวมคำย่อที่พบบ่อย"),
        entry(2, 1, "glossary", "คำศัพท์และคำย่อในงาน KM",
              "- KM Knowledge Management การจัดการความรู้\n- CMP Change Management Process\n- LPA ประเมินท้องถิ่น"),
        entry(3, 2, "budget", "งบประมาณ", "การเบิกจ่ายงบประมาณประจำปี"),
    ])
    assert index.search("CMP เป็นตัวย่อของอะไร", limit=1)[0].entry.passage_id == 2


def test_an_article_found_by_its_title_alone_shows_its_list_to_a_list_question() -> None:
    # No passage of the article says "KMP 4" itself; the question asks what is done: the list.
    index = SearchIndex.build([
        entry(1, 1, "kmp4", "KMP 4 การประมวลและกลั่นกรองความรู้", "ความรู้ที่รวบรวมมาจากหลายคนมักมีรูปแบบไม่เหมือนกัน"),
        entry(2, 1, "kmp4", "KMP 4 การประมวลและกลั่นกรองความรู้",
              "- ปรับรูปแบบเอกสารให้เป็นมาตรฐาน\n- ใช้ศัพท์เดียวกันทั้งชุด\n- ปรับปรุงเนื้อหาให้ครบ"),
        entry(3, 2, "kmp5", "KMP 5 การเข้าถึงความรู้", "เผยแพร่ความรู้ผ่านเว็บไซต์และไลน์กลุ่ม"),
    ])
    assert index.search("KMP4 ต้องทำอะไรบ้าง", limit=1)[0].entry.passage_id == 2


def test_a_typo_question_finds_the_passage_the_right_spelling_finds(index: SearchIndex) -> None:
    right = index.search("แลกเปลี่ยนเรียนรู้ทำอย่างไร", limit=1)
    typo = index.search("แลกเปี่ยนเรียนรุ้ทำอย่างไร", limit=1)
    assert right and typo and typo[0].entry.passage_id == right[0].entry.passage_id


def test_a_near_miss_lacking_its_key_word_is_less_confident(index: SearchIndex) -> None:
    asked = index.search("ยกย่องชมเชยบุคลากรเดือนไหน", limit=1)[0]
    near_miss = index.search("ยกย่องชมเชยบุคลากร ลาพักร้อนได้กี่วัน", limit=1)[0]
    assert near_miss.signals["missing"] > asked.signals["missing"]
    assert near_miss.confidence < asked.confidence


# --- answer units -----------------------------------------------------------------------------


def starter_index(*slugs: str) -> SearchIndex:
    """The index of some starter articles, read as `kmbot kb import` reads them."""
    from kb.ingest import parse_file

    entries = []
    for article_id, slug in enumerate(slugs, start=1):
        document = parse_file(REPOSITORY / "kb" / "starter" / f"{slug}.md")
        for passage in document.passages:
            entries.append(IndexEntry(
                passage_id=len(entries) + 1, article_id=article_id, article_key=slug, title=document.title,
                heading_path=tuple(passage.heading_path), text=passage.text, aliases=document.aliases,
                sample_questions=document.sample_questions, tags=document.tags,
            ))
    return SearchIndex.build(entries)


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # Every passage of the glossary carries its title, aliases and sample questions; the
        # one shown must be the entry that says what LPA stands for, not the introduction.
        ("LPA ย่อมาจากอะไรครับ", "Local Performance Assessment"),
        ("KM คืออะไรอ่ะ", "ความรู้ที่กระจัดกระจาย"),  # the definition, not the KM model paragraph
    ],
)
def test_the_passage_shown_is_the_one_that_answers_not_the_articles_introduction(question: str, answer: str) -> None:
    index = starter_index("km-glossary", "what-is-km", "km-process-overview")
    best = index.search(question, limit=1)[0]
    assert answer in best.entry.text


def test_a_question_that_asks_for_a_list_is_shown_the_list() -> None:
    # The article's introduction shares the question's words; the seven numbered steps answer it.
    index = starter_index("km-process-overview", "what-is-km")
    best = index.search("ขั้นตอนจัดการความรู้ 7 ขั้นของ กพร มีไรบ้าง", limit=1)[0]
    assert "การบ่งชี้ความรู้" in best.entry.text and "การแบ่งปันแลกเปลี่ยนความรู้" in best.entry.text


def test_a_lead_in_that_announces_a_list_is_shown_with_the_list() -> None:
    from kb.answering import answer_text

    index = starter_index("key-success-factors", "what-is-km")
    hits = index.search("ปัจจัยความสำเร็จของ km มีไรบ้าง", limit=8)
    shown = answer_text(hits, index)
    # "…ระบุปัจจัยแห่งความสำเร็จไว้ ๕ ข้อ" and then the five factors themselves
    assert "๕ ข้อ" in shown and "มุ่งมั่น" in shown and "วัฒนธรรมองค์กร" in shown


def test_a_section_number_the_store_does_not_have_is_not_answered() -> None:
    # what-is-km talks about section 11 of the decree; a question about another section shares
    # every other word with it and must fall back rather than show section 11.
    index = starter_index("what-is-km", "km-glossary")
    assert index.answer("มาตรา 11 เกี่ยวกับ KM ยังไง", limit=8).answered
    assert not index.answer("มาตรา 7 เกี่ยวกับ KM ยังไง", limit=8).answered  # 7 is in the store, not in section 11


def test_a_function_word_without_its_tone_mark_asks_nothing(index: SearchIndex) -> None:
    assert "บาง" not in index.query_words("เข้าถึงความรู้ได้ช่องทางไหนบาง")
    assert "ที" not in index.query_words("คณะทำงานมีหน้าทีอะไร")
    # A different mark is a different word: ใช้ (use) is not ใช่ (yes).
    assert "ใช้" in index.query_words("ระบบพี่เลี้ยงใช้ยังไง")


def test_a_misspelt_word_whose_start_was_read_as_a_canonical_term_is_put_right() -> None:
    # "ขั้นตอร": ขั้น is read as step before the speller sees ตอ + ร; compared as Thai, the
    # span meets ขั้นตอน (step) and no fragment is left to count as an unknown word.
    speller = Speller(["step", "cmprocess", "อะไร"], {"ขั้นตอน": "step", "ขั้น": "step"})
    repaired = speller.repair(tokenize("CMP มีกี่ขั้นตอรอะไรบ้าง"))
    assert "step" in repaired and "ตอ" not in repaired and "ร" not in repaired


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["ก", "ข", "ค", "km", "แผน", "2567"]), max_size=6), min_size=1, max_size=25),
    st.lists(st.integers(min_value=0, max_value=24), max_size=30),
)
def test_which_documents_contain_a_word_is_answered_exactly(documents: list[list[str]], rows: list[int]) -> None:
    from kb.search import _Bm25Matrix

    matrix = _Bm25Matrix(documents)
    asked = np.array([row for row in rows if row < len(documents)], dtype=np.int64)
    for word, word_id in matrix.vocabulary.items():
        if word_id >= len(matrix.indptr) - 1:
            continue
        expected = [word in documents[row] for row in asked]
        assert matrix.contains(word_id, asked).tolist() == expected


@pytest.mark.parametrize(
    ("question", "holds", "lacks"),
    [
        # "when" is answered by a month or a year, "how many" by a number
        ("ยกย่องชมเชยทำเดือนไหน", "ยกย่องชมเชยภายในเดือนกันยายน ๒๕๖๗", "ยกย่องชมเชยเพื่อให้กำลังใจคนที่แบ่งปันความรู้"),
        ("คณะผู้จัดทำแผนมีกี่คน", "คณะผู้จัดทำแผนมี ๕ คน", "คณะผู้จัดทำแผนมาจากฝ่ายส่งเสริมและเผยแพร่วิชาการ"),
        # "who" by a person, a post or a unit
        ("ใครติดตามผลแผน", "คณะทำงานติดตามผลแผนตลอดปี", "ติดตามผลแผนด้วยแบบประเมินออนไลน์"),
    ],
)
def test_a_passage_without_the_kind_of_fact_asked_is_less_confident(question: str, holds: str, lacks: str) -> None:
    index = SearchIndex.build([entry(1, 1, "a", "เรื่องหนึ่ง", holds), entry(2, 2, "b", "เรื่องสอง", lacks)])
    hits = {hit.entry.passage_id: hit for hit in index.search(question, limit=2)}
    assert hits[1].signals["fact_missing"] == 0.0 and hits[2].signals["fact_missing"] == 1.0
    # Everything else equal, the passage that lacks the fact weighs less.
    same = {**hits[1].signals, "fact_missing": 1.0}
    assert confidence_from_signals(same) < confidence_from_signals(hits[1].signals)


def test_a_question_that_asks_for_no_date_or_number_misses_nothing(index: SearchIndex) -> None:
    assert all(hit.signals["fact_missing"] == 0.0 for hit in index.search("KM คืออะไร", limit=3))


def test_a_question_asking_how_is_shown_the_steps() -> None:
    # The article's first passage says what success depends on; the numbered factors say how.
    index = starter_index("key-success-factors", "what-is-km")
    best = index.search("ทำไง KM ถึงจะสำเร็จอ่ะ", limit=1)[0]
    assert "1. ทำอย่างต่อเนื่อง" in best.entry.text and "มุ่งมั่น" in best.entry.text


@pytest.mark.parametrize(
    ("question", "asking_word"),
    [
        ("Learning Organization แปลว่าไรครับ", "แปล"),  # แปลว่า is cut into แปล + ว่า
        ("งบ KM ปีนี้เท่าใด", "เท่าใด"),
        ("ส่งแผนหรือยัง", "หรือยัง"),
        ("ขั้นแรกสุดของ KM", "สุด"),
    ],
)
def test_words_that_only_ask_are_not_searched_for(index: SearchIndex, question: str, asking_word: str) -> None:
    assert asking_word not in index.query_words(question)
    assert asking_word not in question_words(question)


def test_a_misspelt_duty_after_มี_is_put_right() -> None:
    # "มีหน้าทีไร" was cut as มีหน้า (dare) + ทีไร (whenever), and มีหน้า then "put right" to ปีหน้า.
    assert tokenize("คณะทำงานมีหน้าทีไรบ้าง")[:3] == ["คณะทำงาน", "มี", "หน้า"]
    index = starter_index("km-committee", "kmp-2-creation-and-acquisition")  # a store that says หน้า
    assert "หน้าที่" in index.query_words("คณะทำงาน KM มีหน้าทีไรบ้างคะ")
    assert index.answer("คณะทำงาน KM มีหน้าทีไรบ้างคะ", limit=8).answered


def test_a_word_that_asks_is_never_put_right_to_a_word_that_says() -> None:
    speller = Speller(["ใหม่", "อยู่", "ความรู้", "ดู"])
    # ไหม (a question) sounds like ใหม่ (new); a store that says ใหม่ must not make the
    # question "… ด้วยไหม" ask about something new.
    assert speller.repair(["ดู", "ความรู้", "ไหม"]) == ["ดู", "ความรู้", "ไหม"]
    # A chat spelling of a function word is still read as that word.
    assert speller.repair(["ความรู้", "อยุ่"]) == ["ความรู้", "อยู่"]


def test_a_real_word_the_store_does_not_use_is_not_a_typo() -> None:
    speller = Speller(["เกิด", "บัตร", "ยุทธศาสตร์"])
    # เกิน (exceed) and บุตร (child) are words of their own, a letter away from store words;
    # reading them as เกิด, บัตร let near misses ("ลาป่วยเกิน 3 วัน") in.
    assert speller.repair(["เกิน"]) == ["เกิน"]
    assert speller.repair(["บุตร"]) == ["บุตร"]
    # A misspelling that is no word is still put right.
    assert speller.repair(["ยุทศาสตร์"]) == ["ยุทธศาสตร์"]
