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
