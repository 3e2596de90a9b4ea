"""The staff survey's understanding quiz (`/quiz`, drawn from the knowledge store) and the survey
pushed once a year to the staff groups."""

from __future__ import annotations

import io
import json

import pytest
import time_machine
from docx import Document

from bot.reach.year_report import build_report_docx, collect_survey, collect_year
from kb.quiz import quiz_for_year

RIGHT_PERSON = "U7777777777777777777777777777aaaa"
WRONG_PERSON = "U8888888888888888888888888888bbbb"


@pytest.fixture
def august(at):  # type: ignore[no-untyped-def]
    with time_machine.travel(at(2024, 8, 15, 10, 0), tick=False) as traveller:
        yield traveller


def replies_of(line_stub, index: int = -1) -> list[dict]:  # type: ignore[no-untyped-def]
    return line_stub.replies[index].body["messages"]


def take_quiz(webhook, line_events, line_stub, quiz, user: str, *, right: bool) -> None:  # type: ignore[no-untyped-def]
    webhook.send(line_events.text("/quiz", line_events.user(user)))
    for question in quiz:
        message = replies_of(line_stub)[-1]
        buttons = [item["action"]["data"] for item in message["quickReply"]["items"]]
        assert len(buttons) == 3 and question.prompt in message["text"]
        wrong = next(article_id for article_id, _ in question.choices if article_id != question.article_id)
        chosen = question.article_id if right else wrong
        assert f"action=quiz&n={question.number}&a={chosen}" in buttons
        webhook.send(line_events.postback(f"action=quiz&n={question.number}&a={chosen}", line_events.user(user)))
        assert replies_of(line_stub)[0]["text"].startswith("ถูกต้องค่ะ" if right else "ยังไม่ถูกนะคะ")


def test_the_quiz_asks_from_the_knowledge_store_and_scores_each_person(
    webhook, line_events, line_stub, database, starter_pack, imported_plan, august,
) -> None:
    with database.session() as session:
        quiz = quiz_for_year(session, 2567)
    assert len(quiz) == 3
    take_quiz(webhook, line_events, line_stub, quiz, RIGHT_PERSON, right=True)
    assert replies_of(line_stub)[-1]["text"] == "ครบ ๓ ข้อแล้วค่ะ ได้ ๓ คะแนน ขอบคุณที่ร่วมทำแบบทดสอบนะคะ 🙏"
    take_quiz(webhook, line_events, line_stub, quiz, WRONG_PERSON, right=False)
    assert "ได้ ๐ คะแนน" in replies_of(line_stub)[-1]["text"]

    with database.session() as session:
        survey = collect_survey(session, 2567)
        data = collect_year(session, 2567)
    assert (survey.quiz_takers, survey.quiz_passed, survey.quiz_passed_percent) == (2, 1, 50.0)
    text = "\n".join(paragraph.text for paragraph in Document(io.BytesIO(build_report_docx(data, chart_png=_png()))).paragraphs)
    assert "แบบทดสอบความเข้าใจ (คำถามจากคลังความรู้) มีผู้ทำครบ ๒ คน" in text and "ร้อยละ ๕๐" in text


def test_a_stale_or_made_up_quiz_button_is_answered_politely(webhook, line_events, line_stub, starter_pack, august) -> None:
    webhook.send(line_events.postback("action=quiz&n=99&a=1", line_events.user(RIGHT_PERSON)))
    assert replies_of(line_stub)[0]["text"].startswith("ขออภัยค่ะ น้องบอทอ่านปุ่มนี้ไม่ได้")


def test_the_survey_goes_to_each_staff_group_once(cli, add_group, line_stub, committee_group, august) -> None:
    add_group("C1111111111111111111111111111staf", role="staff")
    add_group("C2222222222222222222222222222staf", role="staff")

    first = json.loads(cli("survey", "push", "--fiscal-year", "2567", "--json").output)
    second = json.loads(cli("survey", "push", "--fiscal-year", "2567", "--json").output)

    assert sorted(first["sent"]) == ["C1111111111111111111111111111staf", "C2222222222222222222222222222staf"]
    assert second["sent"] == [] and len(second["skipped"]) == 2
    pushes = line_stub.delivered_pushes
    assert sorted(call.body["to"] for call in pushes) == sorted(first["sent"])  # never the committee group
    messages = pushes[0].body["messages"]
    assert "/quiz" in messages[0]["text"]
    assert [item["action"]["data"] for item in messages[1]["quickReply"]["items"]][0] == "action=survey&score=5"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_satisfaction_per_km_step_is_kept_apart_from_the_overall_score(
    webhook, line_events, line_stub, database, imported_plan, august,
) -> None:
    webhook.send(line_events.text("/survey 5", line_events.user(RIGHT_PERSON)))
    webhook.send(line_events.text("/survey KMP6", line_events.user(RIGHT_PERSON)))
    ask = replies_of(line_stub)[0]
    assert "ขั้นตอน KMP6 การแบ่งปันแลกเปลี่ยนความรู้" in ask["text"]
    assert ask["quickReply"]["items"][0]["action"]["data"] == "action=survey&score=5&step=KMP6"
    webhook.send(line_events.postback("action=survey&score=2&step=KMP6", line_events.user(RIGHT_PERSON)))
    assert replies_of(line_stub)[0]["text"] == "ขอบคุณสำหรับคะแนน ๒ ของขั้นตอน KMP6 การแบ่งปันแลกเปลี่ยนความรู้ค่ะ 😊"
    webhook.send(line_events.text("/survey kmp 6 4", line_events.user(WRONG_PERSON)))
    webhook.send(line_events.text("/survey KMP9 4", line_events.user(WRONG_PERSON)))
    assert "ไม่รู้จักขั้นตอน “KMP9”" in replies_of(line_stub)[0]["text"]

    with database.session() as session:
        survey = collect_survey(session, 2567)
        data = collect_year(session, 2567)
    # The overall answer is still the one 5; KMP6 has two people, mean 3, half satisfied.
    assert (survey.responses, survey.distribution[5]) == (1, 1)
    assert survey.by_step == {"KMP6": (2, 3.0, 50.0)}
    document = Document(io.BytesIO(build_report_docx(data, chart_png=_png())))
    table = next(table for table in document.tables if table.rows[0].cells[0].text == "ขั้นตอน")
    assert [cell.text for cell in table.rows[1].cells] == ["KMP6 การแบ่งปันแลกเปลี่ยนความรู้", "๒", "๓", "๕๐"]
