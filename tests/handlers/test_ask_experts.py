"""The whole loop in LINE, through the strict LINE stub: a question the bot cannot answer reaches
the experts group, an expert's quoted reply goes back to the asker, becomes a draft article, the
secretary publishes it, and the same question asked again is answered from the store."""

from __future__ import annotations

import json
import re

import openpyxl
import pytest
from sqlalchemy import select

from bot.core.tables import InteractionEvent
from kb.tables import Article, ExpertAnswer, ExpertQuestion

ADMIN_PASSWORD = "รหัส-ทดสอบ-2567"
STAFF = "U1111111111111111111111111111aaaa"
EXPERT = "U2222222222222222222222222222eeee"
OTHER_EXPERT = "U3333333333333333333333333333ffff"
EXPERTS_GROUP = "C00000000000000000000000000experts"
QUESTION = "ค่าเช่าบ้านข้าราชการต้องใช้เอกสารอะไรบ้าง"
ANSWER = "ใช้แบบ ๖๐๐๕ พร้อมสำเนาสัญญาเช่าและใบเสร็จ ยื่นที่งานการเงินภายในวันที่ ๕ ของเดือนถัดไปค่ะ"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


@pytest.fixture
def experts_group(add_group) -> str:  # type: ignore[no-untyped-def]
    add_group(EXPERTS_GROUP, role="experts", member_count=6)
    return EXPERTS_GROUP


def ask(webhook, line_events, line_stub, text: str, user: str = STAFF) -> dict:  # type: ignore[no-untyped-def]
    before = len(line_stub.replies)
    assert webhook.send(line_events.text(text, line_events.user(user))).status_code == 200
    assert len(line_stub.replies) == before + 1
    return line_stub.replies[-1].body["messages"][0]


def press(webhook, line_events, line_stub, data: str, source: dict) -> dict:  # type: ignore[no-untyped-def]
    before = len(line_stub.replies)
    assert webhook.send(line_events.postback(data, source)).status_code == 200
    assert len(line_stub.replies) == before + 1
    return line_stub.replies[-1].body["messages"][0]


def say_in_group(webhook, line_events, line_stub, text: str, user: str, **options) -> dict:  # type: ignore[no-untyped-def]
    before = len(line_stub.replies)
    assert webhook.send(line_events.text(text, line_events.group(EXPERTS_GROUP, user), **options)).status_code == 200
    assert len(line_stub.replies) == before + 1
    return line_stub.replies[-1].body["messages"][0]


def quick_reply_data(message: dict) -> dict[str, str]:
    return {item["action"]["label"]: item["action"]["data"] for item in message.get("quickReply", {}).get("items", [])}


def pushes_to(line_stub, recipient: str) -> list:  # type: ignore[no-untyped-def]
    return [call for call in line_stub.delivered_pushes if call.body["to"] == recipient]


def csrf_token_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match
    return match.group(1)


def sign_in(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token_of(client, "/admin/sign-in")
    assert client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD}).status_code == 302


def send_to_experts(webhook, line_events, line_stub, *, named: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Ask, fall back, press the offer; the card pushed to the experts group."""
    fallback = ask(webhook, line_events, line_stub, QUESTION)
    assert fallback["type"] == "text" and "ส่งคำถามถึงผู้รู้" in fallback["text"]
    offers = quick_reply_data(fallback)
    label = "ส่งพร้อมชื่อของฉัน" if named else "ส่งคำถามถึงผู้รู้"
    sent = press(webhook, line_events, line_stub, offers[label], line_events.user(STAFF))
    assert "ส่งคำถามถึงผู้รู้ในสำนักงานแล้ว" in sent["text"]
    cards = pushes_to(line_stub, EXPERTS_GROUP)
    assert len(cards) == 1
    return cards[0]


def test_a_fallback_question_goes_to_the_experts_and_comes_back_as_knowledge(
        webhook, line_events, line_stub, starter_pack, experts_group, database, client, cli, tmp_path):
    # An expert agrees to be named on their answers and in the recognition list.
    credit = say_in_group(webhook, line_events, line_stub, "/credit สมศรี ใจดี", EXPERT)
    assert "สมศรี ใจดี" in credit["text"]

    card = send_to_experts(webhook, line_events, line_stub)
    text, flex = card.body["messages"]
    assert QUESTION in text["text"] and "ไม่ระบุชื่อ" in text["text"]
    assert STAFF not in json.dumps(card.body, ensure_ascii=False)
    buttons = [component["action"]["label"] for component in flex["contents"]["footer"]["contents"]]
    assert buttons == ["ตอบ", "ไม่ใช่เรื่องของเรา"]
    card_message_id = card.response["sentMessages"][0]["id"]

    # The expert replies to the card, quoting it, without mentioning the bot.
    confirmed = say_in_group(webhook, line_events, line_stub, ANSWER, EXPERT, quoted_message_id=card_message_id)
    assert "ส่งถึงผู้ถามแล้ว" in confirmed["text"] and "มีคำตอบแล้ว" in confirmed["text"]
    to_asker = pushes_to(line_stub, STAFF)
    assert len(to_asker) == 1
    pushed = to_asker[0].body["messages"][0]
    assert ANSWER in pushed["text"] and "ตอบโดย: สมศรี ใจดี" in pushed["text"]
    assert set(quick_reply_data(pushed)) == {"👍 ช่วยได้", "👎 ยังไม่ช่วย"}
    assert to_asker[0].headers.get("X-Line-Retry-Key")

    # A second expert's answer is kept as an addition; the asker gets nothing more.
    later = say_in_group(webhook, line_events, line_stub, "เพิ่มเติม: ถ้าเช่าซื้อใช้แบบ ๖๐๐๖ ค่ะ", OTHER_EXPERT,
                         quoted_message_id=card.response["sentMessages"][1]["id"])
    assert "คำตอบเพิ่มเติม" in later["text"]
    assert len(pushes_to(line_stub, STAFF)) == 1

    # The asker says it helped.
    thanks = press(webhook, line_events, line_stub, quick_reply_data(pushed)["👍 ช่วยได้"], line_events.user(STAFF))
    assert "ขอบคุณ" in thanks["text"]

    # A draft, not yet used by the bot: the same question still falls back.
    with database.session() as session:
        question = session.scalars(select(ExpertQuestion)).one()
        draft = session.get(Article, question.article_id)
        assert draft.status == "draft" and ANSWER in draft.body and "๖๐๐๖" in draft.body
        question_id = question.id
    assert ask(webhook, line_events, line_stub, QUESTION)["type"] == "text"

    # The secretary publishes it from /admin/experts, editing the title.
    sign_in(client)
    page = client.get("/admin/experts").get_data(as_text=True)
    assert QUESTION in page and "สมศรี ใจดี" in page and STAFF not in page
    assert "ผู้ถามประเมิน: ช่วยได้ 1 · ยังไม่ช่วย 0" in page
    token = csrf_token_of(client, "/admin/experts")
    published = client.post(f"/admin/experts/{question_id}/publish",
                            data={"csrf_token": token, "title": "เอกสารเบิกค่าเช่าบ้าน", "body": draft.body})
    assert published.status_code == 302

    # The same question is now answered from the store.
    again = ask(webhook, line_events, line_stub, QUESTION)
    assert again["type"] == "flex"
    assert "เอกสารเบิกค่าเช่าบ้าน" in json.dumps(again["contents"], ensure_ascii=False)
    assert "๖๐๐๕" in json.dumps(again["contents"], ensure_ascii=False)

    # Counted in reach.
    with database.session() as session:
        asked_at = session.get(ExpertQuestion, question_id).asked_at
    from bot.core.calendar import fiscal_year_of, to_bangkok
    report = json.loads(cli("reach", "report", "--format", "json", "--fiscal-year",
                            fiscal_year_of(to_bangkok(asked_at).date())).stdout)
    assert report["experts"]["sent"] == 1
    assert report["experts"]["answered"] == 1
    assert report["experts"]["articles_published"] == 1
    assert report["experts"]["median_hours_to_answer"] is not None
    # The one question answered from the store is the one the experts answered; the two
    # fallbacks before it are not.
    assert report["totals"]["answered"] == 1
    assert report["totals"]["fallbacks"] == 2
    workbook_path = tmp_path / "reach.xlsx"
    cli("reach", "report", "--format", "xlsx", "--fiscal-year", report["fiscal_year"], "--out", workbook_path)
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(workbook_path)["สรุป"].iter_rows(values_only=True)}
    assert summary["คำถามที่ส่งถึงผู้รู้ (ข้อ)"] == 1 and summary["บทความถาม-ตอบจากผู้รู้ที่เผยแพร่ (เรื่อง)"] == 1
    page = client.get("/admin/experts").get_data(as_text=True)
    assert 'data-expert="สมศรี ใจดี"' in page


def test_an_asker_who_agrees_is_named_and_one_who_does_not_is_not(
        webhook, line_events, line_stub, starter_pack, experts_group):
    line_stub.profiles[STAFF] = "มานี มีนา"
    card = send_to_experts(webhook, line_events, line_stub, named=True)
    assert "ผู้ถาม: มานี มีนา" in card.body["messages"][0]["text"]


def test_answer_command_not_ours_and_answered_card(webhook, line_events, line_stub, starter_pack, experts_group, database):
    send_to_experts(webhook, line_events, line_stub)
    with database.session() as session:
        question_id = session.scalars(select(ExpertQuestion.id)).one()
    thai_number = "".join("๐๑๒๓๔๕๖๗๘๙"[int(d)] for d in str(question_id))

    passed = press(webhook, line_events, line_stub, f"action=expert_pass&q={question_id}", line_events.group(EXPERTS_GROUP, OTHER_EXPERT))
    assert "ยังเปิดไว้" in passed["text"]
    how = press(webhook, line_events, line_stub, f"action=expert_answer&q={question_id}", line_events.group(EXPERTS_GROUP, EXPERT))
    assert f"/answer {question_id}" in how["text"]

    # /answer outside the experts group is refused and changes nothing.
    refused = ask(webhook, line_events, line_stub, f"/answer {question_id} ลองตอบ")
    assert "กลุ่มผู้รู้" in refused["text"]

    reply = say_in_group(webhook, line_events, line_stub, f"/answer {thai_number} {ANSWER}", EXPERT)
    assert "ส่งถึงผู้ถามแล้ว" in reply["text"]
    assert len(pushes_to(line_stub, STAFF)) == 1
    # The card's "ตอบ" now says the question is answered, for everyone in the group.
    done = press(webhook, line_events, line_stub, f"action=expert_answer&q={question_id}", line_events.group(EXPERTS_GROUP, OTHER_EXPERT))
    assert "มีผู้ตอบแล้ว" in done["text"]
    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        assert question.passes == 1 and question.status == "answered"
        answer = session.scalars(select(ExpertAnswer)).one()
        assert answer.first
        # Not credited: the draft names nobody.
        assert "ตอบโดย" not in session.get(Article, question.article_id).body


def test_pressing_twice_sends_the_question_once_and_a_daily_limit_applies(
        webhook, line_events, line_stub, starter_pack, experts_group, database, app):
    fallback = ask(webhook, line_events, line_stub, QUESTION)
    data = quick_reply_data(fallback)["ส่งคำถามถึงผู้รู้"]
    press(webhook, line_events, line_stub, data, line_events.user(STAFF))
    again = press(webhook, line_events, line_stub, data, line_events.user(STAFF))
    assert "ส่งถึงผู้รู้ไว้แล้ว" in again["text"]
    assert len(pushes_to(line_stub, EXPERTS_GROUP)) == 1

    from bot.web.extensions import get_config

    limit = get_config(app).expert_questions_per_day
    for number in range(limit - 1):
        assert "ส่งคำถามถึงผู้รู้ในสำนักงานแล้ว" in ask(webhook, line_events, line_stub, f"/ถามผู้รู้ คำถามทดสอบข้อที่ {number}")["text"]
    refused = ask(webhook, line_events, line_stub, "/ถามผู้รู้ อีกข้อหนึ่ง")
    assert "ครบ" in refused["text"]
    with database.session() as session:
        assert len(session.scalars(select(ExpertQuestion)).all()) == limit


def test_without_an_experts_group_the_fallback_offers_nothing(webhook, line_events, line_stub, starter_pack):
    fallback = ask(webhook, line_events, line_stub, QUESTION)
    assert "ส่งคำถามถึงผู้รู้" not in fallback["text"]
    assert "ส่งคำถามถึงผู้รู้" not in quick_reply_data(fallback)


def test_a_thumbs_down_offers_to_ask_the_experts(webhook, line_events, line_stub, starter_pack, experts_group, database):
    answer = ask(webhook, line_events, line_stub, "KM คืออะไร")
    article = re.search(r"article=(\d+)", json.dumps(answer)).group(1)
    reply = press(webhook, line_events, line_stub, f"action=feedback&article={article}&helpful=0", line_events.user(STAFF))
    offer = quick_reply_data(reply)["ส่งคำถามถึงผู้รู้"]
    how = press(webhook, line_events, line_stub, offer, line_events.user(STAFF))
    assert "/ถามผู้รู้" in how["text"]
    with database.session() as session:
        assert session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "feedback")).one().value == 0


def test_a_group_becomes_the_experts_group_from_the_cli_and_the_admin_page(
        webhook, line_events, line_stub, starter_pack, add_group, cli, client, database):
    add_group(EXPERTS_GROUP, role="staff")
    # A staff group is not the experts group: no offer yet.
    assert "ส่งคำถามถึงผู้รู้" not in quick_reply_data(ask(webhook, line_events, line_stub, QUESTION))
    result = cli("groups", "set-role", EXPERTS_GROUP, "experts")
    assert result.exit_code == 0, result.output
    assert json.loads(cli("groups", "list", "--json").stdout)[0]["role"] == "experts"
    assert "ส่งคำถามถึงผู้รู้" in quick_reply_data(ask(webhook, line_events, line_stub, QUESTION))

    sign_in(client)
    page = client.get("/admin/people").get_data(as_text=True)
    assert "กลุ่มผู้รู้" in page
    from bot.core.tables import ChatGroup

    with database.session() as session:
        group_id = session.scalars(select(ChatGroup.id)).one()
    token = csrf_token_of(client, "/admin/people")
    assert client.post(f"/admin/people/groups/{group_id}/role", data={"csrf_token": token, "role": "staff"}).status_code == 302
    assert "ส่งคำถามถึงผู้รู้" not in quick_reply_data(ask(webhook, line_events, line_stub, QUESTION))
