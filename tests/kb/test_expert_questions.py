"""The experts' rules that need no database: when a question is shown again, when the asker is
told, the median time to answer, and the Q&A article's text."""

from __future__ import annotations

from datetime import timedelta

import frontmatter

from kb.expert_questions import (
    QuestionAge,
    article_markdown,
    due_for_resurfacing,
    due_for_unanswered_notice,
    median_hours,
)
from kb.ingest import parse_text


def test_an_open_question_is_shown_again_once_after_the_configured_time(at):
    now = at(2024, 5, 20)
    fresh = QuestionAge(1, now - timedelta(hours=47))
    old = QuestionAge(2, now - timedelta(hours=48))
    shown = QuestionAge(3, now - timedelta(days=5), resurfaced_at=now - timedelta(days=3))
    assert due_for_resurfacing([fresh, old, shown], now, timedelta(hours=48)) == [2]


def test_the_asker_is_told_once_after_n_days_without_an_answer(at):
    now = at(2024, 5, 20)
    questions = [
        QuestionAge(1, now - timedelta(days=6, hours=23)),
        QuestionAge(2, now - timedelta(days=7)),
        QuestionAge(3, now - timedelta(days=9), asker_told_unanswered_at=now - timedelta(days=2)),
    ]
    assert due_for_unanswered_notice(questions, now, timedelta(days=7)) == [2]


def test_median_time_to_answer_in_hours():
    assert median_hours([]) is None
    assert median_hours([timedelta(hours=1), timedelta(hours=3), timedelta(hours=50)]) == 3.0
    assert median_hours([timedelta(minutes=30), timedelta(minutes=90)]) == 1.0


def test_the_article_holds_question_answer_additions_and_only_consenting_names():
    text = article_markdown("เบิกค่าเช่าบ้านอย่างไร", "", "ใช้แบบ ๖๐๐๕", ["ถ้าเช่าซื้อใช้แบบ ๖๐๐๖"], ["สมศรี ใจดี"])
    post = frontmatter.loads(text)
    assert post["title"] == "เบิกค่าเช่าบ้านอย่างไร"
    assert post["questions"] == ["เบิกค่าเช่าบ้านอย่างไร"]
    assert post["status"] == "draft"
    assert post["category"] == "ถาม-ตอบจากผู้รู้"
    assert "ใช้แบบ ๖๐๐๕" in post.content and "คำตอบเพิ่มเติม" in post.content and "๖๐๐๖" in post.content
    assert "ใช้แบบ ๖๐๐๕\nตอบโดย: สมศรี ใจดี" in post.content
    unnamed = frontmatter.loads(article_markdown("คำถาม", "การเงิน", "คำตอบ", [], []))
    assert "ตอบโดย" not in unnamed.content and unnamed["category"] == "การเงิน"
    # It reads as an imported Markdown file does: searchable passages, the question as a sample.
    document = parse_text(text, source="experts:1", kind="markdown")
    assert list(document.sample_questions) == ["เบิกค่าเช่าบ้านอย่างไร"]
    assert [passage.text for passage in document.passages][0] == "ใช้แบบ ๖๐๐๕\nตอบโดย: สมศรี ใจดี"
    assert not any(passage.text.startswith("ตอบโดย") for passage in document.passages)
