"""The experts loop with a real browser at the publishing step: LINE events go to the running app
over HTTP (signed like LINE's), its pushes to the strict LINE stub, and the secretary publishes
the expert's answer in headless Chromium. Two app instances share one database, as two web
workers of a deployment do: the article published through one is answered by the other."""

from __future__ import annotations

import json
import re
import time

import requests
from sqlalchemy import select

from bot.core.calendar import now
from bot.core.people import ensure_group
from kb.tables import ExpertQuestion
from tests.conftest import BOT_USER_ID, TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET, LineEvents, sign

STAFF = "U1111111111111111111111111111aaaa"
EXPERT = "U2222222222222222222222222222eeee"
EXPERTS_GROUP = "C00000000000000000000000000experts"
QUESTION = "ค่าเช่าบ้านข้าราชการต้องใช้เอกสารอะไรบ้าง"
ANSWER = "ใช้แบบ ๖๐๐๕ พร้อมสำเนาสัญญาเช่าและใบเสร็จ ยื่นที่งานการเงินภายในวันที่ ๕ ของเดือนถัดไปค่ะ"


def post(server, *events) -> None:  # type: ignore[no-untyped-def]
    body = json.dumps({"destination": BOT_USER_ID, "events": list(events)}, ensure_ascii=False).encode()
    response = requests.post(server.url + "/callback", data=body, timeout=30,
                             headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)})
    assert response.status_code == 200


def last_reply(line_stub) -> dict:  # type: ignore[no-untyped-def]
    return line_stub.replies[-1].body["messages"][0]


def test_an_experts_answer_published_in_the_browser_is_answered_by_another_worker(start_server, line_stub, desk, screenshot):
    line_settings = {"line_channel_secret": TEST_CHANNEL_SECRET, "line_channel_access_token": TEST_ACCESS_TOKEN,
                     "line_api_base_url": line_stub.url, "line_backoff_seconds": 0.0}
    first = start_server(**line_settings)
    second = start_server(database_url=first.database.url, **line_settings)
    with first.database.session() as session:
        group = ensure_group(session, EXPERTS_GROUP, "group", now())
        group.role = "experts"

    # A staff member's question falls back and offers the experts; the press sends the card.
    post(first, LineEvents.text(QUESTION, LineEvents.user(STAFF)))
    offer = next(item["action"]["data"] for item in last_reply(line_stub)["quickReply"]["items"]
                 if item["action"]["label"] == "ส่งคำถามถึงผู้รู้")
    post(first, LineEvents.postback(offer, LineEvents.user(STAFF)))
    card = next(call for call in line_stub.delivered_pushes if call.body["to"] == EXPERTS_GROUP)

    # An expert answers by quoting the card; the answer is pushed to the asker.
    post(first, LineEvents.text(ANSWER, LineEvents.group(EXPERTS_GROUP, EXPERT),
                                quoted_message_id=card.response["sentMessages"][0]["id"]))
    assert any(call.body["to"] == STAFF and ANSWER in call.body["messages"][0]["text"] for call in line_stub.delivered_pushes)

    # The second worker does not answer from the draft (and builds its index now).
    post(second, LineEvents.text(QUESTION, LineEvents.user(STAFF)))
    assert last_reply(line_stub)["type"] == "text"

    # The secretary publishes it in the browser, editing the title.
    page = desk.new_page()
    page.goto(f"{first.url}/admin/")
    page.get_by_label("รหัสผ่าน").fill(first.admin_password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/admin/reach"))
    page.get_by_role("link", name="ถามผู้รู้").click()
    draft = page.locator("[data-expert-question]").first
    assert QUESTION in draft.get_by_label("ชื่อบทความ (คำถาม)").input_value()
    assert ANSWER in draft.get_by_label("คำตอบ").input_value()
    screenshot(page, "desk-experts-draft")
    draft.get_by_label("ชื่อบทความ (คำถาม)").fill("เอกสารเบิกค่าเช่าบ้าน")
    draft.get_by_role("button", name="เผยแพร่").click()
    page.get_by_text("เผยแพร่ “เอกสารเบิกค่าเช่าบ้าน” แล้ว").wait_for()
    published_at = time.monotonic()

    # The other worker answers the same question from the store.
    post(second, LineEvents.text(QUESTION, LineEvents.user(STAFF)))
    answerable_after = time.monotonic() - published_at
    answer = last_reply(line_stub)
    assert answer["type"] == "flex"
    assert "เอกสารเบิกค่าเช่าบ้าน" in json.dumps(answer["contents"], ensure_ascii=False)
    assert answerable_after <= 2.0, f"publish to answerable took {answerable_after:.2f} s"
    with first.database.session() as session:
        assert session.scalars(select(ExpertQuestion.status)).one() == "answered"
    print(f"publish to answerable on another worker: {answerable_after:.2f} s")
