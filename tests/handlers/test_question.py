"""Staff ask in Thai and get an answer card, or an honest fallback that becomes a knowledge gap."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.core.tables import InteractionEvent
from kb.tables import Article, KnowledgeGap


def flex_bubble(reply) -> dict:  # type: ignore[no-untyped-def]
    message = reply.body["messages"][0]
    assert message["type"] == "flex"
    return message["contents"]


def texts_in(component) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    if isinstance(component, dict):
        if component.get("type") == "text" and "text" in component:
            found.append(component["text"])
        for value in component.values():
            found.extend(texts_in(value))
    elif isinstance(component, list):
        for item in component:
            found.extend(texts_in(item))
    return found


def actions_in(component) -> list[dict]:  # type: ignore[no-untyped-def]
    found = []
    if isinstance(component, dict):
        if isinstance(component.get("action"), dict):
            found.append(component["action"])
        for value in component.values():
            found.extend(actions_in(value))
    elif isinstance(component, list):
        for item in component:
            found.extend(actions_in(item))
    return found


def test_a_question_gets_a_flex_answer_with_source_link_and_feedback(webhook, line_events, line_stub, starter_pack, database):
    webhook.send(line_events.text("ความรู้ฝังลึกกับความรู้ชัดแจ้งต่างกันยังไง"))

    bubble = flex_bubble(line_stub.replies[0])
    with database.session() as session:
        article = session.scalars(select(Article).where(Article.slug == "tacit-and-explicit-knowledge")).one()
    texts = texts_in(bubble)
    assert texts[0] == article.title
    assert any(text.startswith("ที่มา:") for text in texts)
    actions = actions_in(bubble)
    assert any(action["type"] == "uri" and f"/kb/{article.id}?from=line&t=" in action["uri"] for action in actions)
    feedback = [action["data"] for action in actions if action["type"] == "postback"]
    assert feedback == [f"action=feedback&article={article.id}&helpful=1", f"action=feedback&article={article.id}&helpful=0"]
    assert len(line_stub.replies[0].body["messages"][0]["altText"]) <= 400


def test_the_answer_quotes_the_passage_that_answers_not_the_first_lines(webhook, line_events, line_stub, starter_pack):
    webhook.send(line_events.text("KMP 5 คืออะไร"))

    passage = texts_in(flex_bubble(line_stub.replies[0]))
    assert any("เข้าถึง" in text for text in passage)


def test_an_answer_offers_related_questions_as_quick_replies(webhook, line_events, line_stub, starter_pack):
    webhook.send(line_events.text("KM คืออะไร"))

    quick_reply = line_stub.replies[0].body["messages"][0].get("quickReply")
    assert quick_reply is not None
    assert 1 <= len(quick_reply["items"]) <= 3
    assert all(len(item["action"]["label"]) <= 20 for item in quick_reply["items"])


def test_an_out_of_domain_question_falls_back_politely_and_is_recorded_as_a_gap(webhook, line_events, line_stub, starter_pack, database):
    webhook.send(line_events.text("พรุ่งนี้ฝนจะตกไหมครับ"))
    webhook.send(line_events.text("พรุ่งนี้ ฝนจะตกไหมครับ"))

    reply = line_stub.replies[0].body["messages"][0]
    assert reply["type"] == "text"
    assert "ขออภัย" in reply["text"]
    with database.session() as session:
        gap = session.scalars(select(KnowledgeGap)).one()
        kinds = [event.kind for event in session.scalars(select(InteractionEvent).order_by(InteractionEvent.id))]
    assert gap.count == 2
    # kept_text names the message the gap's text came from (ids only), so an unsend can erase it.
    assert kinds == ["question", "kept_text", "fallback", "question", "kept_text", "fallback"]


def test_a_pasted_document_is_refused_politely_not_searched_or_counted(webhook, line_events, line_stub, starter_pack, database):
    pasted = "การจัดการความรู้ คือ การรวบรวมองค์ความรู้ที่มีอยู่ในส่วนราชการ " * 100

    response = webhook.send(line_events.text(pasted))

    assert response.status_code == 200
    reply = line_stub.replies[0].body["messages"][0]
    assert reply["type"] == "text"
    assert "สั้นลง" in reply["text"] and "๑,๐๐๐" in reply["text"]
    with database.session() as session:
        assert session.scalars(select(InteractionEvent)).all() == []
        assert session.scalars(select(KnowledgeGap)).all() == []


def test_an_answered_question_is_logged_without_its_text(webhook, line_events, starter_pack, database):
    webhook.send(line_events.text("ปัจจัยแห่งความสำเร็จของ KM มีอะไรบ้าง"))

    with database.session() as session:
        events = session.scalars(select(InteractionEvent).order_by(InteractionEvent.id)).all()
    assert [event.kind for event in events] == ["question", "answer"]
    assert events[1].article_id is not None
    assert "ปัจจัย" not in str([event.detail for event in events])


def test_a_question_in_a_group_needs_the_trigger(webhook, line_events, line_stub, starter_pack):
    webhook.send(line_events.text("KM คืออะไร", line_events.group()))
    webhook.send(line_events.text("ถาม KM คืออะไร", line_events.group()))

    assert len(line_stub.replies) == 1
    assert line_stub.replies[0].body["messages"][0]["type"] == "flex"


def test_a_newly_imported_article_is_found_without_a_restart(webhook, line_events, line_stub, starter_pack, database, tmp_path):
    from kb.store import import_files

    webhook.send(line_events.text("ระเบียบการลาพักผ่อนประจำปีของพนักงานจ้าง"))
    assert line_stub.replies[-1].body["messages"][0]["type"] == "text"

    note = tmp_path / "leave.md"
    note.write_text("---\ntitle: การลาพักผ่อนประจำปีของพนักงานจ้าง\n---\n\nพนักงานจ้างลาพักผ่อนประจำปีได้ปีละ ๑๐ วันทำการ ยื่นใบลาล่วงหน้าผ่านหัวหน้าฝ่าย\n", encoding="utf-8")
    import_files(database.session, [note])

    webhook.send(line_events.text("ระเบียบการลาพักผ่อนประจำปีของพนักงานจ้าง"))
    bubble = flex_bubble(line_stub.replies[-1])
    assert texts_in(bubble)[0] == "การลาพักผ่อนประจำปีของพนักงานจ้าง"


@pytest.mark.parametrize("message", ["สวัสดีค่ะ", "ขอบคุณมากครับ 🙏", "👍", "โอเคค่ะ", "ok ครับ"])
def test_small_talk_gets_a_friendly_reply_and_is_neither_a_question_nor_a_gap(
    message, webhook, line_events, line_stub, starter_pack, database
):  # type: ignore[no-untyped-def]
    webhook.send(line_events.text(message))

    reply = line_stub.replies[0].body["messages"][0]
    assert reply["type"] == "text" and "ขออภัย" not in reply["text"]
    with database.session() as session:
        assert session.scalars(select(KnowledgeGap)).all() == []
        assert session.scalars(select(InteractionEvent).where(InteractionEvent.kind.in_(["question", "fallback"]))).all() == []


def test_a_greeting_with_a_question_is_still_answered(webhook, line_events, line_stub, starter_pack):  # type: ignore[no-untyped-def]
    webhook.send(line_events.text("สวัสดีค่ะ LPA ย่อมาจากอะไรคะ"))

    assert "Local Performance Assessment" in " ".join(texts_in(flex_bubble(line_stub.replies[0])))


def test_a_related_question_button_works_in_a_group(webhook, line_events, line_stub, starter_pack):
    """A tap posts a postback (the chat shows the question), so the bot answers it in a group,
    where a plain text without `?` or a mention would be ignored."""
    group = line_events.group()
    webhook.send(line_events.text("? KM คืออะไร", group))
    item = line_stub.replies[0].body["messages"][0]["quickReply"]["items"][0]
    assert item["action"]["type"] == "postback" and item["action"]["displayText"]

    webhook.send(line_events.postback(item["action"]["data"], group))

    assert len(line_stub.replies) == 2
    assert line_stub.replies[1].body["messages"][0]["type"] in ("flex", "text")


def test_the_help_buttons_work_in_a_group_and_plan_runs_the_command(webhook, line_events, line_stub):
    group = line_events.group()
    webhook.send(line_events.text("/help", group))
    items = line_stub.replies[0].body["messages"][0]["quickReply"]["items"]
    plan = next(item for item in items if item["action"]["displayText"] == "/plan")

    webhook.send(line_events.postback(plan["action"]["data"], group))

    assert "แผน KM" in line_stub.replies[1].body["messages"][0]["text"]


def test_a_mention_after_emoji_is_cut_in_utf16_units():
    from handlers.message import text_for_bot

    text = "🙏🙏 @kmbot KM คืออะไร"
    # LINE's index counts each 🙏 as two units: the mention starts at 5, not 3.
    assert text_for_bot(text, [(5, 6)], one_to_one=False) == "🙏🙏 KM คืออะไร"


def test_a_repeated_question_reuses_its_card_with_each_persons_own_link(webhook, line_events, line_stub, starter_pack, monkeypatch):  # type: ignore[no-untyped-def]
    import handlers.question as question

    built = []
    original = question.answer_messages
    monkeypatch.setattr(question, "_CARDS", type(question._CARDS)())
    monkeypatch.setattr(question, "answer_messages", lambda *args: built.append(args) or original(*args))
    first, second = line_events.user(), line_events.user("U3333333333333333333333333333cccc")
    webhook.send(line_events.text("KM คืออะไร", first))
    webhook.send(line_events.text("KM คืออะไร", second))

    cards = [reply.body["messages"][0] for reply in line_stub.replies[-2:]]
    assert len(built) == 1
    assert cards[0]["type"] == cards[1]["type"] == "flex"
    links = [button["action"]["uri"] for card in cards for button in card["contents"]["footer"]["contents"]
             if button.get("action", {}).get("type") == "uri"]
    assert len(links) == 2 and links[0] != links[1] and all("/kb/" in link and "kmbot.invalid" not in link for link in links)
    without_links = [json.dumps(card, sort_keys=True).replace(link, "") for card, link in zip(cards, links)]
    assert without_links[0] == without_links[1]
