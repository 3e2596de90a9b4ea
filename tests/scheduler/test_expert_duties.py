"""Nothing falls through: the clock re-surfaces unanswered questions once in the experts group's
digest, tells the asker honestly after N days, and pushes again a card that failed, each once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core.people import ensure_user
from kb.expert_questions import create_question, record_answer
from kb.tables import ExpertQuestion
from scheduler.experts import ExpertSettings, run_expert_duties, send_card
from scheduler.tables import Delivery

STAFF = "U1111111111111111111111111111aaaa"
EXPERTS_GROUP = "C00000000000000000000000000experts"
SETTINGS = ExpertSettings(resurface_after=timedelta(hours=48), give_up_after=timedelta(days=7), digest_hour=9)


@pytest.fixture
def experts_group(add_group) -> str:  # type: ignore[no-untyped-def]
    add_group(EXPERTS_GROUP, role="experts", member_count=4)
    return EXPERTS_GROUP


def ask(database, text: str, moment) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        user = ensure_user(session, STAFF, moment)
        session.flush()
        return create_question(session, text, user.id, moment).id


def pushes_to(line_stub, recipient: str) -> list:  # type: ignore[no-untyped-def]
    return [call for call in line_stub.delivered_pushes if call.body["to"] == recipient]


def test_an_unanswered_question_is_resurfaced_once_in_the_daily_digest(database, line_client, line_stub, experts_group, at):
    asked = at(2024, 5, 20, 10, 0)
    waiting = ask(database, "ลาพักผ่อนสะสมได้กี่วัน", asked)
    answered = ask(database, "ใครดูแลระบบสารบรรณ", asked)
    send_card(database, line_client, waiting, asked)
    send_card(database, line_client, answered, asked)
    with database.session() as session:
        record_answer(session, session.get(ExpertQuestion, answered), None, "งานธุรการค่ะ", asked + timedelta(hours=1))
    cards = len(pushes_to(line_stub, EXPERTS_GROUP))

    # Not yet 48 hours, then 48 hours but before the digest hour: nothing.
    run_expert_duties(database, line_client, at(2024, 5, 22, 9, 59), SETTINGS)
    run_expert_duties(database, line_client, at(2024, 5, 23, 8, 0), SETTINGS)
    assert len(pushes_to(line_stub, EXPERTS_GROUP)) == cards

    report = run_expert_duties(database, line_client, at(2024, 5, 23, 9, 0), SETTINGS)
    assert report.resurfaced == [waiting]
    digest = pushes_to(line_stub, EXPERTS_GROUP)[-1].body["messages"][0]["text"]
    assert "ลาพักผ่อนสะสมได้กี่วัน" in digest and "ใครดูแลระบบสารบรรณ" not in digest
    assert "๓ วันก่อน" in digest

    # Once: the next ticks and the next days send no second digest for it.
    for moment in (at(2024, 5, 23, 9, 1), at(2024, 5, 24, 9, 0), at(2024, 5, 25, 9, 0)):
        run_expert_duties(database, line_client, moment, SETTINGS)
    assert len(pushes_to(line_stub, EXPERTS_GROUP)) == cards + 1


def test_the_asker_is_told_honestly_after_n_days_once(database, line_client, line_stub, experts_group, at):
    asked = at(2024, 5, 20, 10, 0)
    question_id = ask(database, "ลาพักผ่อนสะสมได้กี่วัน", asked)
    send_card(database, line_client, question_id, asked)
    run_expert_duties(database, line_client, at(2024, 5, 27, 9, 0), SETTINGS)
    assert pushes_to(line_stub, STAFF) == []

    report = run_expert_duties(database, line_client, at(2024, 5, 27, 10, 0), SETTINGS)
    assert report.askers_told == [question_id]
    told = pushes_to(line_stub, STAFF)
    assert len(told) == 1
    text = told[0].body["messages"][0]["text"]
    assert "ยังไม่มีผู้ตอบภายใน ๗ วัน" in text and "๒๐ พ.ค. ๒๕๖๗" in text
    run_expert_duties(database, line_client, at(2024, 5, 28, 10, 0), SETTINGS)
    assert len(pushes_to(line_stub, STAFF)) == 1
    with database.session() as session:
        assert session.get(ExpertQuestion, question_id).status == "open"  # a late answer still goes to the asker


def test_a_card_that_failed_is_pushed_on_a_later_tick_and_only_once(database, line_client, line_stub, experts_group, at):
    asked = at(2024, 5, 20, 10, 0)
    question_id = ask(database, "ลาพักผ่อนสะสมได้กี่วัน", asked)
    line_stub.member_counts[EXPERTS_GROUP] = 6
    line_stub.fail_next("/v2/bot/message/push", 500, times=4)
    outcomes = send_card(database, line_client, question_id, asked)
    assert [outcome.status for outcome in outcomes] == ["failed"]
    assert pushes_to(line_stub, EXPERTS_GROUP) == []

    report = run_expert_duties(database, line_client, asked + timedelta(minutes=6), SETTINGS)
    assert report.cards_resent == 1
    assert len(pushes_to(line_stub, EXPERTS_GROUP)) == 1
    run_expert_duties(database, line_client, asked + timedelta(minutes=7), SETTINGS)
    assert len(pushes_to(line_stub, EXPERTS_GROUP)) == 1
    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        assert question.card_message_id and question.card_buttons_message_id
        row = session.scalars(select(Delivery).where(Delivery.delivery_key == f"expert:{question_id}:card")).one()
        assert row.state == "sent" and row.attempts == 2 and row.recipients_count == 6  # as LINE counts the group at send time


def test_an_answer_whose_push_failed_reaches_the_asker_on_a_later_tick(database, line_client, line_stub, experts_group, at):
    asked = at(2024, 5, 20, 10, 0)
    question_id = ask(database, "ลาพักผ่อนสะสมได้กี่วัน", asked)
    with database.session() as session:
        record_answer(session, session.get(ExpertQuestion, question_id), None, "สะสมได้ไม่เกิน ๒๐ วันค่ะ", asked)
    from scheduler.experts import send_answer

    line_stub.fail_next("/v2/bot/message/push", 503, times=4)
    assert send_answer(database, line_client, question_id, asked).status == "failed"
    report = run_expert_duties(database, line_client, asked + timedelta(minutes=1), SETTINGS)
    assert report.answers_resent == 1
    assert len(pushes_to(line_stub, STAFF)) == 1
    run_expert_duties(database, line_client, asked + timedelta(minutes=2), SETTINGS)
    assert len(pushes_to(line_stub, STAFF)) == 1


def test_questions_tried_in_the_simulator_never_reach_line(database, line_client, line_stub, experts_group, at):
    asked = at(2024, 5, 20, 10, 0)
    with database.session() as session:
        trial = ensure_user(session, "web-0123456789abcdef01234567", asked)
        session.flush()
        question_id = create_question(session, "ลาพักผ่อนสะสมได้กี่วัน", trial.id, asked).id
    for days in (0, 3, 8):
        run_expert_duties(database, line_client, asked + timedelta(days=days, minutes=10), SETTINGS)
    assert send_card(database, line_client, question_id, asked) == []
    assert line_stub.pushes == []
