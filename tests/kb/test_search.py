"""Search on a small in-domain store: synonyms meet, boosts work, foreign questions fall back."""

from __future__ import annotations

import os

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.search import (
    ANSWER_THRESHOLD,
    IndexEntry,
    SearchAnswer,
    SearchHit,
    SearchIndex,
    confidence_from_signals,
    related_questions,
)

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


def keys(hits: list[SearchHit]) -> list[str]:
    return [hit.entry.article_key for hit in hits]


# --- ranking --------------------------------------------------------------------------------


def test_finds_the_article_a_question_is_about(index: SearchIndex) -> None:
    assert keys(index.search("KM คืออะไรครับ"))[0] == "what-is-km"
    assert keys(index.search("ความรู้ที่ฝังอยู่ในคนคืออะไร"))[0] == "tacit-explicit"


def test_hits_are_sorted_and_limited(index: SearchIndex) -> None:
    hits = index.search("ความรู้", limit=3)
    assert 0 < len(hits) <= 3
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
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
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


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
