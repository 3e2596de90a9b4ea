"""The loop in the secretary's chat simulator: the simulator plays the experts group, nothing
reaches LINE, and the trial is not counted as evidence."""

from __future__ import annotations

from datetime import timedelta

from bot.core.calendar import now
from bot.web.extensions import get_config, get_database, get_search
from bot.web.simulator import new_simulator_user_id, simulate_postback, simulate_text
from bot.web.webhook import EventServices
from kb.expert_questions import expert_figures, publish

QUESTION = "ค่าเช่าบ้านข้าราชการต้องใช้เอกสารอะไรบ้าง"
ANSWER = "ใช้แบบ ๖๐๐๕ พร้อมสำเนาสัญญาเช่าและใบเสร็จค่ะ"


def offer_of(message: dict) -> str | None:  # type: ignore[no-untyped-def]
    items = (message.get("quickReply") or {}).get("items", [])
    return next((item["action"]["data"] for item in items if item["action"]["label"] == "ส่งคำถามถึงผู้รู้"), None)


def test_the_secretary_tries_the_whole_loop_in_the_simulator(app, starter_pack, line_stub):
    services = EventServices(get_database(app), get_config(app), None, get_search(app), "https://kmbot.example")
    secretary = new_simulator_user_id()

    fallback = simulate_text(QUESTION, secretary, services, kind="admin").replies[0]
    sent = simulate_postback(offer_of(fallback), secretary, services, kind="admin").replies
    assert "ส่งคำถามถึงผู้รู้ในสำนักงานแล้ว" in sent[0]["text"]
    card_text, card = sent[2], sent[3]
    assert QUESTION in card_text["text"] and card["type"] == "flex"
    question_id = int(card_text["text"].split("/answer ")[1].split()[0])

    answered = simulate_text(f"/answer {question_id} {ANSWER}", secretary, services, kind="admin").replies
    assert "ส่งถึงผู้ถามแล้ว" in answered[0]["text"]
    assert ANSWER in answered[2]["text"]  # what the asker gets in LINE

    with get_database(app).session() as session:
        publish(session, question_id)
    again = simulate_text(QUESTION, secretary, services, kind="admin").replies[0]
    assert again["type"] == "flex" and ANSWER in str(again["contents"])
    assert line_stub.calls == []
    with get_database(app).session() as session:
        figures = expert_figures(session, now() - timedelta(days=1), now() + timedelta(days=1))
    assert figures.sent == 0  # a trial, not evidence


def test_the_public_simulator_never_offers_the_experts(app, starter_pack, add_group):
    add_group("C00000000000000000000000000experts", role="experts")
    services = EventServices(get_database(app), get_config(app), None, get_search(app), None)
    fallback = simulate_text(QUESTION, new_simulator_user_id(), services, kind="web").replies[0]
    assert offer_of(fallback) is None
