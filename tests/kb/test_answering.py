"""Which part of a long answer the card shows (kb.answering.answer_excerpt)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.text import ELLIPSIS, utf16_length
from kb.answering import answer_excerpt
from kb.ingest import parse_file

REPOSITORY = Path(__file__).resolve().parents[2]
LIMIT = 900


def _glossary_as_one_list() -> str:
    """Every line of the starter glossary as one long list, the way a long list passage reads."""
    document = parse_file(REPOSITORY / "kb" / "starter" / "km-glossary.md")
    return "\n".join(line for passage in document.passages for line in passage.text.split("\n") if line.strip())


def test_a_long_list_shows_the_items_asked_for_not_only_its_first_900_characters() -> None:
    text = _glossary_as_one_list()
    assert utf16_length(text) > LIMIT and text.find("Learning Organization") > LIMIT
    shown = answer_excerpt(text, "Learning Organization แปลว่าอะไร", LIMIT)
    assert "องค์การแห่งการเรียนรู้" in shown
    assert utf16_length(shown) <= LIMIT
    # It says where lines were left out, and starts with the list's first line when it fits.
    assert ELLIPSIS in shown and shown.startswith(text.split("\n")[0])


def test_an_answer_that_fits_or_answers_at_its_start_is_left_as_it_is() -> None:
    text = _glossary_as_one_list()
    assert answer_excerpt("KM คือการจัดการความรู้", "KM คืออะไร", LIMIT) == "KM คือการจัดการความรู้"
    # ก.พ.ร. is in the first lines: the card cuts the text as before.
    assert answer_excerpt(text, "ก.พ.ร. คือหน่วยงานอะไร", LIMIT) == text


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.text(alphabet="กขคงจabc ๑๒", min_size=1, max_size=120), min_size=2, max_size=30),
    st.text(alphabet="กขคงจabc", max_size=12),
)
def test_an_excerpt_always_fits_and_keeps_whole_lines(lines: list[str], question: str) -> None:
    text = "\n".join(lines)
    shown = answer_excerpt(text, question, LIMIT)
    if shown != text:
        assert utf16_length(shown) <= LIMIT
        kept = {line for line in text.split("\n")} | {ELLIPSIS}
        assert all(line in kept for line in shown.split("\n"))


# --- activity names found where a word starts ---------------------------------------------------

_PLAN_NAMES = [("CMP5", "การวัดผล"), ("KMP6", "การแบ่งปันแลกเปลี่ยนความรู้")]


def test_an_activity_is_named_only_where_a_word_starts() -> None:
    from kb.activity_questions import read_activity_question

    # ตัวชี้วัด|ผลสัมฤทธิ์ ("an indicator of achievement") holds the letters of วัดผล, but
    # does not name the activity การวัดผล: the articles answer it.
    assert read_activity_question("ตัวชี้วัดผลสัมฤทธิ์ของแผนคืออะไร", _PLAN_NAMES) is None
    named = read_activity_question("การวัดผลมีตัวชี้วัดอะไร", _PLAN_NAMES)
    assert named is not None and (named.step, named.fact) == ("CMP5", "indicator")
    nickname = read_activity_question("วัดผลใครรับผิดชอบ", _PLAN_NAMES)
    assert nickname is not None and (nickname.step, nickname.fact) == ("CMP5", "who")


@given(st.text(alphabet=st.sampled_from("กขคงจตทนบปมยรลวสหอะาิีึืุูเแโใไ่้็์ัำ"), max_size=30))
@settings(max_examples=60, deadline=None)
def test_word_starts_are_the_text_cut_into_whole_pieces(text: str) -> None:
    from kb.tokenizer import word_starts

    starts = sorted(word_starts(text))
    assert starts[0] == 0 and starts[-1] == len(text)
    assert all(0 <= position <= len(text) for position in starts)


def test_a_status_question_is_read_as_asking_the_status() -> None:
    from kb.activity_questions import read_activity_question

    # สถานะ was read as สถ. (the local-government department) + านะ, and the question as
    # asking for the whole row.
    asked = read_activity_question("KMP 5 แผน 1 สถานะเป็นไง", [("KMP5", "การเข้าถึงความรู้")])
    assert asked is not None and asked.facts == ("status",)
