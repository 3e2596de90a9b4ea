"""Feedback buttons, the satisfaction survey, `/stats` and registration codes, through signed webhooks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from bot.core.calendar import BANGKOK
from bot.core.people import RegistrationCode, create_invitation, ensure_user
from bot.core.tables import InteractionEvent, User

STAFF = "U1111111111111111111111111111aaaa"
SECRETARY = "U3333333333333333333333333333dddd"
COMMITTEE_MEMBER = "U2222222222222222222222222222cccc"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "staff_count": 4, "public_base_url": "https://kmbot.example.go.th"}


@pytest.fixture
def march_10(at):  # type: ignore[no-untyped-def]
    with time_machine.travel(at(2024, 3, 10, 10, 0), tick=False) as traveller:
        yield traveller


def reply_messages(line_stub) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return line_stub.replies[-1].body["messages"]


def last_text(line_stub) -> str:  # type: ignore[no-untyped-def]
    return reply_messages(line_stub)[0]["text"]


def events_of(database, kind: str) -> list[InteractionEvent]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return list(session.scalars(select(InteractionEvent).where(InteractionEvent.kind == kind).order_by(InteractionEvent.id)))


def set_role(database, line_user_id: str, role: str) -> None:  # type: ignore[no-untyped-def]
    with database.session() as session:
        ensure_user(session, line_user_id, datetime(2023, 10, 1, 9, tzinfo=BANGKOK)).role = role


# --- feedback -----------------------------------------------------------------------------------


def test_a_thumbs_up_is_recorded_and_thanked(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.postback("action=feedback&article=7&helpful=1", line_events.user(STAFF)))

    feedback = events_of(database, "feedback")
    assert [(event.article_id, event.value, event.channel) for event in feedback] == [(7, 1, "1:1")]
    assert feedback[0].user_id is not None
    assert "ขอบคุณ" in last_text(line_stub) and "ค่ะ" in last_text(line_stub)


def test_a_thumbs_down_asks_why_and_keeps_the_first_reason_given(webhook, line_events, line_stub, database, march_10):
    source = line_events.group(user_id=STAFF)
    webhook.send(line_events.postback("action=feedback&article=7&helpful=0", source))

    reply = line_stub.replies[-1].body["messages"][0]
    assert "ตรงไหน" in reply["text"]
    buttons = {item["action"]["label"]: item["action"]["data"] for item in reply["quickReply"]["items"]}
    assert buttons["ข้อมูลไม่ครบ"] == "action=feedback_reason&article=7&reason=incomplete"

    webhook.send(line_events.postback(buttons["ข้อมูลไม่ครบ"], source))
    webhook.send(line_events.postback(buttons["ไม่ตรงกับที่ถาม"], source))

    assert "ขอบคุณที่ช่วยบอกเหตุผล" in last_text(line_stub)
    [press] = events_of(database, "feedback")
    assert press.value == 0 and press.detail == {"reason": "incomplete"}


def test_a_reason_without_a_thumbs_down_today_changes_nothing(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.postback("action=feedback&article=7&helpful=1", line_events.user(STAFF)))
    webhook.send(line_events.postback("action=feedback_reason&article=7&reason=outdated", line_events.user(STAFF)))

    assert "ไม่พบการกด 👎" in last_text(line_stub)
    assert [event.detail for event in events_of(database, "feedback")] == [None]


def test_a_second_press_the_same_day_is_not_counted_but_the_next_day_is(webhook, line_events, line_stub, database, march_10, at):
    source = line_events.group(user_id=STAFF)
    webhook.send(line_events.postback("action=feedback&article=7&helpful=0", source))
    webhook.send(line_events.postback("action=feedback&article=7&helpful=1", source))
    assert "ไว้แล้ว" in last_text(line_stub)
    webhook.send(line_events.postback("action=feedback&article=8&helpful=1", source))
    march_10.move_to(at(2024, 3, 11, 8, 0))
    webhook.send(line_events.postback("action=feedback&article=7&helpful=1", source))

    assert [(event.article_id, event.value) for event in events_of(database, "feedback")] == [(7, 0), (8, 1), (7, 1)]


def test_a_malformed_feedback_button_records_nothing(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.postback("action=feedback&article=abc&helpful=1", line_events.user(STAFF)))

    assert events_of(database, "feedback") == []
    assert "ขออภัย" in last_text(line_stub)


# --- survey -------------------------------------------------------------------------------------


def test_the_survey_asks_with_five_buttons_and_records_the_answer(webhook, line_events, line_stub, database, march_10):
    user = line_events.user(STAFF)
    webhook.send(line_events.text("/แบบสอบถาม", user))

    question = reply_messages(line_stub)[0]
    buttons = [item["action"] for item in question["quickReply"]["items"]]
    assert [button["data"] for button in buttons] == [f"action=survey&score={score}" for score in (5, 4, 3, 2, 1)]
    assert all(len(button["label"]) <= 20 for button in buttons)

    webhook.send(line_events.postback("action=survey&score=4", user))
    assert [event.value for event in events_of(database, "survey_answer")] == [4]
    assert "ขอบคุณสำหรับคะแนน ๔" in last_text(line_stub) and "/ความเห็น" in last_text(line_stub)

    webhook.send(line_events.text("/ความเห็น อยากให้เพิ่มเรื่องการเขียนรายงานค่ะ", user))
    assert "ได้รับข้อเสนอแนะ" in last_text(line_stub)
    assert events_of(database, "survey_answer")[0].detail["comment"] == "อยากให้เพิ่มเรื่องการเขียนรายงานค่ะ"


def test_aliases_and_a_typed_score_work_and_a_new_score_replaces_the_old(webhook, line_events, line_stub, database, march_10):
    user = line_events.user(STAFF)
    for alias in ("ประเมิน", "ความพึงพอใจ", "/survey"):
        webhook.send(line_events.text(alias, user))
        assert "quickReply" in reply_messages(line_stub)[0]

    webhook.send(line_events.text("/survey ๕", user))
    webhook.send(line_events.postback("action=survey&score=2", user))

    assert [event.value for event in events_of(database, "survey_answer")] == [5, 2]
    assert "ปรับคะแนน" in last_text(line_stub)


def test_a_comment_before_any_score_asks_for_the_score_first(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.text("/ความเห็น ดีมาก", line_events.user(STAFF)))

    assert "ให้คะแนน" in last_text(line_stub)
    assert "quickReply" in reply_messages(line_stub)[0]
    assert events_of(database, "survey_answer") == []


def test_a_score_out_of_range_is_not_recorded(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.postback("action=survey&score=9", line_events.user(STAFF)))
    webhook.send(line_events.text("/survey 0", line_events.user(STAFF)))

    assert events_of(database, "survey_answer") == []


# --- /stats -------------------------------------------------------------------------------------


def test_stats_is_refused_to_staff(webhook, line_events, line_stub, march_10):
    webhook.send(line_events.text("/stats", line_events.user(STAFF)))

    assert "เฉพาะเลขานุการและกรรมการ" in last_text(line_stub)


@pytest.mark.parametrize("role, alias", [("secretary", "/สถิติ"), ("committee", "รายงาน")])
def test_stats_gives_a_summary_card_to_the_secretary_and_committee(webhook, line_events, line_stub, database, march_10, role, alias, at):
    webhook.send(line_events.postback("action=survey&score=5", line_events.user(STAFF)))
    with database.session() as session:
        session.add(InteractionEvent(kind="question", occurred_at=at(2024, 2, 1), channel="1:1"))
        session.add(InteractionEvent(kind="answer", occurred_at=at(2024, 2, 1), channel="1:1", article_id=1))
        session.add(InteractionEvent(kind="question", occurred_at=at(2023, 9, 1), channel="1:1"))  # last fiscal year
    set_role(database, SECRETARY, role)

    webhook.send(line_events.text(alias, line_events.user(SECRETARY)))

    card = reply_messages(line_stub)[0]
    assert card["type"] == "flex"
    bubble = card["contents"]
    assert "๒๕๖๗" in bubble["header"]["contents"][1]["text"]
    rows = {row["contents"][0]["text"]: row["contents"][1]["text"] for row in bubble["body"]["contents"] if row["type"] == "box"}
    assert rows["คำถามผ่าน LINE"] == "๑ ครั้ง"
    assert rows["ตอบได้"] == "ร้อยละ ๑๐๐"
    # The staff member and the secretary (whose /stats is a command) of a roster of 4.
    assert rows["บุคลากรที่ใช้งาน"] == "๒ คน (ร้อยละ ๕๐ จาก ๔ คน)"
    assert rows["ความพึงพอใจ (๔–๕ คะแนน)"] == "ร้อยละ ๑๐๐ (๑ คน)"
    button = bubble["footer"]["contents"][0]["action"]
    assert button["uri"] == "https://kmbot.example.go.th/admin/reach"
    assert SECRETARY not in str(card) and STAFF not in str(card)


# --- registration codes -------------------------------------------------------------------------


def make_code(database, role: str, days: int = 7) -> str:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return create_invitation(session, role, days=days, at=datetime(2024, 3, 9, 9, tzinfo=BANGKOK)).code


def role_of(database, line_user_id: str) -> str:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalars(select(User.role).where(User.line_user_id == line_user_id)).one()


def test_a_registration_code_grants_its_role_once(webhook, line_events, line_stub, database, march_10):
    code = make_code(database, "committee")

    webhook.send(line_events.text(code.lower().replace("-", " "), line_events.user(COMMITTEE_MEMBER)))

    assert role_of(database, COMMITTEE_MEMBER) == "committee"
    assert "กรรมการ KM" in last_text(line_stub) and "ค่ะ" in last_text(line_stub)
    webhook.send(line_events.text(code, line_events.user(STAFF)))
    assert role_of(database, STAFF) == "staff"
    assert "ใช้ไม่ได้" in last_text(line_stub)
    with database.session() as session:
        row = session.scalars(select(RegistrationCode)).one()
        assert row.used_at is not None and row.code_hash != code


def test_the_register_command_and_an_expired_code(webhook, line_events, line_stub, database, march_10):
    secretary_code = make_code(database, "secretary")
    expired = make_code(database, "committee", days=1)

    webhook.send(line_events.text(f"/ลงทะเบียน {expired}", line_events.user(STAFF)))
    assert "หมดอายุ" in last_text(line_stub) and role_of(database, STAFF) == "staff"
    webhook.send(line_events.text(f"/register {secretary_code}", line_events.user(SECRETARY)))
    assert role_of(database, SECRETARY) == "secretary"
    assert "/stats" in last_text(line_stub)


def test_a_made_up_code_is_politely_refused(webhook, line_events, line_stub, database, march_10):
    webhook.send(line_events.text("KM-ABCD-EFGH", line_events.user(STAFF)))

    assert "ขออภัยค่ะ" in last_text(line_stub)
    assert role_of(database, STAFF) == "staff"


def test_the_invite_command_prints_a_code_that_works(app, webhook, line_events, line_stub, database, march_10):
    result = app.test_cli_runner().invoke(args=["users", "invite", "secretary", "--json"])
    assert result.exit_code == 0, result.output
    invitation = json.loads(result.stdout)
    assert invitation["role"] == "secretary" and invitation["expires_at"].startswith("2024-03-17")

    webhook.send(line_events.text(invitation["code"], line_events.user(SECRETARY)))
    assert role_of(database, SECRETARY) == "secretary"


# --- forgetting a person (PDPA) -------------------------------------------------------------------


def test_forget_removes_the_identity_and_the_comment_but_keeps_the_counts(app, webhook, line_events, database, march_10):
    user = line_events.user(STAFF)
    webhook.send(line_events.postback("action=survey&score=5", user))
    webhook.send(line_events.text("/ความเห็น ชื่อสมหญิง ฝ่ายแผน อยากได้คู่มือเพิ่มค่ะ", user))

    result = app.test_cli_runner().invoke(args=["users", "forget", STAFF, "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["comments_removed"] == 1
    assert STAFF not in result.stdout
    with database.session() as session:
        person = session.scalars(select(User)).one()
        assert person.line_user_id is None and person.forgotten_at is not None and person.role == "staff"
    answers = events_of(database, "survey_answer")
    assert [(event.value, event.user_id, "comment" in event.detail) for event in answers] == [(5, person.id, False)]
    again = app.test_cli_runner().invoke(args=["users", "forget", STAFF])
    assert again.exit_code != 0
