"""An unsent message takes with it whatever text the bot kept from it."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.tables import InteractionEvent
from kb.tables import KnowledgeGap, SharedTip

OTHER_PERSON = "U2222222222222222222222222222dddd"


def message_id_of(event: dict) -> str:
    return event["message"]["id"]


def test_an_unsent_question_leaves_no_gap_text_but_another_askers_stays(webhook, line_events, line_stub, starter_pack, database):
    first = line_events.text("สูตรแกงเขียวหวานไก่ทำยังไง")
    webhook.send(first)
    with database.session() as session:
        assert [gap.question for gap in session.scalars(select(KnowledgeGap))] == ["สูตรแกงเขียวหวานไก่ทำยังไง"]

    webhook.send(line_events.unsend(message_id_of(first)))

    with database.session() as session:
        assert session.scalars(select(KnowledgeGap)).all() == []
        assert session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "kept_text")).all() == []

    webhook.send(line_events.text("สูตรแกงเขียวหวานไก่ทำยังไง", line_events.user(OTHER_PERSON)))
    again = line_events.text("สูตรแกงเขียวหวานไก่ ทำยังไง")
    webhook.send(again)
    webhook.send(line_events.unsend(message_id_of(again)))
    with database.session() as session:
        assert [(gap.question, gap.count) for gap in session.scalars(select(KnowledgeGap))] == [("สูตรแกงเขียวหวานไก่ทำยังไง", 1)]


def test_an_unsent_tip_and_survey_comment_are_erased(webhook, line_events, line_stub, database):
    tip = line_events.text("/share การขอโอนงบประมาณ ควรแนบบันทึกเหตุผลความจำเป็นทุกครั้ง")
    webhook.send(tip)
    webhook.send(line_events.text("/survey 5"))
    comment = line_events.text("/comment อยากให้มีตัวอย่างหนังสือราชการเพิ่มค่ะ")
    webhook.send(comment)

    webhook.send(line_events.unsend(message_id_of(tip)), line_events.unsend(message_id_of(comment)))

    with database.session() as session:
        assert session.scalars(select(SharedTip)).all() == []
        answer = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "survey_answer")).one()
        assert answer.value == 5 and "comment" not in (answer.detail or {})


def test_unsending_a_message_the_bot_kept_nothing_from_changes_nothing(webhook, line_events, line_stub, starter_pack, database):
    answered = line_events.text("KM คืออะไร")
    webhook.send(answered)
    webhook.send(line_events.text("สูตรแกงเขียวหวานไก่ทำยังไง"))

    response = webhook.send(line_events.unsend(message_id_of(answered)))

    assert response.status_code == 200
    with database.session() as session:
        assert len(session.scalars(select(KnowledgeGap)).all()) == 1
