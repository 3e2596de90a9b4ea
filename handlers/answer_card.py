"""The messages an answer becomes in LINE: a Flex bubble with source, link, feedback and related questions."""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging.models import (
    FlexContainer,
    FlexMessage,
    Message,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.core.line_client import ALT_TEXT_LIMIT, TEXT_LIMIT
from bot.core.text import shorten
from handlers.commands import question_button
from kb.answering import Answer, answer_excerpt

# LINE's limits (bot.core.line_client, which cites the reference), in UTF-16 units.
TEXT_MESSAGE_LIMIT = TEXT_LIMIT
PASSAGE_LIMIT = 900
# A close topic's title in the fallback text: a list of a few, not a document.
TOPIC_LIMIT = 120

FALLBACK_TEXT = (
    "ขออภัยค่ะ น้องบอทยังไม่พบคำตอบที่มั่นใจสำหรับคำถามนี้ "
    "จึงบันทึกไว้ให้คณะทำงาน KM เพิ่มความรู้เรื่องนี้ในคลังแล้วนะคะ 🙏"
)
CLOSE_TOPICS_INTRO = "\n\nหัวข้อที่ใกล้เคียงซึ่งอาจช่วยได้:"


def answer_messages(answer: Answer, read_more_url: str | None) -> list[Message]:
    """One Flex bubble (with a plain-text alt text) and up to three related questions as quick replies."""
    bubble = answer_bubble(answer, read_more_url)
    alt_text = shorten(f"{answer.title}: {answer.text}", ALT_TEXT_LIMIT, squeeze=False)
    return [FlexMessage(alt_text=alt_text, contents=FlexContainer.from_dict(bubble), quick_reply=_question_quick_reply(answer.related_questions))]


def answer_bubble(answer: Answer, read_more_url: str | None) -> dict[str, Any]:
    section = " › ".join(answer.heading_path[-2:]) if answer.heading_path else ""
    body: list[dict[str, Any]] = [
        {"type": "text", "text": shorten(answer.title or "", 120, squeeze=False), "weight": "bold", "size": "lg", "wrap": True, "color": "#1B4F72"},
    ]
    if section and section != answer.title:
        body.append({"type": "text", "text": shorten(section, 120, squeeze=False), "size": "xs", "color": "#7F8C8D", "wrap": True, "margin": "sm"})
    # A passage longer than the card shows the lines that answer, not just its first 900 characters.
    passage = answer_excerpt(answer.text, answer.question, PASSAGE_LIMIT)
    body.append({"type": "text", "text": shorten(passage, PASSAGE_LIMIT, squeeze=False), "wrap": True, "size": "sm", "margin": "md"})
    body.append({"type": "separator", "margin": "lg"})
    body.append({"type": "text", "text": f"ที่มา: {shorten(answer.title or '', 80, squeeze=False)}", "size": "xxs", "color": "#7F8C8D", "wrap": True, "margin": "md"})
    footer: list[dict[str, Any]] = []
    if read_more_url:
        footer.append({"type": "button", "style": "primary", "height": "sm", "color": "#1B4F72",
                       "action": {"type": "uri", "label": "อ่านต่อ", "uri": read_more_url}})
    footer.append({"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
        _feedback_button("👍 มีประโยชน์", answer, helpful=True),
        _feedback_button("👎 ยังไม่ตรง", answer, helpful=False),
    ]})
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": body},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer},
    }


def fallback_messages(answer: Answer, experts_offer: list[QuickReplyItem] | None = None,
                      experts_offer_text: str = "") -> list[Message]:
    """The polite "not sure" reply, with close topics to try as quick replies; with an experts
    group, the buttons that send the question to the office's experts come first."""
    text = FALLBACK_TEXT
    if answer.close_topics:
        text += CLOSE_TOPICS_INTRO + "".join(f"\n• {shorten(topic, TOPIC_LIMIT)}" for topic in answer.close_topics)
    if experts_offer:
        text += experts_offer_text
    quick_reply = _question_quick_reply(answer.close_topics)
    if experts_offer:
        quick_reply = QuickReply(items=[*experts_offer, *(quick_reply.items if quick_reply else [])])
    return [TextMessage(text=shorten(text, TEXT_MESSAGE_LIMIT, squeeze=False), quick_reply=quick_reply)]


def _feedback_button(label: str, answer: Answer, *, helpful: bool) -> dict[str, Any]:
    data = f"action=feedback&article={answer.article_id}&helpful={1 if helpful else 0}"
    return {"type": "button", "style": "secondary", "height": "sm",
            "action": {"type": "postback", "label": label, "data": data, "displayText": label}}


def _question_quick_reply(questions: list[str]) -> QuickReply | None:
    """Up to three questions as buttons that ask them when tapped, in a group too."""
    items = [question_button(question) for question in questions[:3] if question.strip()]
    return QuickReply(items=items) if items else None
