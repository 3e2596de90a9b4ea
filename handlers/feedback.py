"""The 👍 / 👎 buttons under an answer: postback `action=feedback&article=<id>&helpful=1|0`.

One press per person, article and day is recorded. A second press that day (a double tap, or
changing one's mind) is thanked but not counted again, so every `feedback` event in the log
counts as it is and the report needs no deduplication of its own. The day is the Bangkok day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from linebot.v3.messaging.models import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import select

from bot.core.calendar import BANGKOK, to_bangkok
from bot.core.tables import InteractionEvent
from handlers.ask_experts import experts_group_exists, unhelpful_offer
from handlers.context import HandlerContext
from kb.feedback_reasons import FEEDBACK_REASONS

REASON_ACTION = "feedback_reason"

THANKS_HELPFUL = "ขอบคุณที่ช่วยประเมินนะคะ 😊 ดีใจที่คำตอบเป็นประโยชน์ค่ะ"
THANKS_UNHELPFUL = (
    "ขอบคุณที่ช่วยบอกนะคะ 🙏 น้องบอทบันทึกไว้ในรายงานของคณะทำงาน KM เพื่อปรับปรุงความรู้เรื่องนี้ค่ะ "
    "ถ้าสะดวก ลองพิมพ์คำถามด้วยคำอื่นอีกครั้งได้เลยนะคะ"
)
ASK_REASON = "\n\nคำตอบนี้ยังไม่ดีตรงไหนคะ กดเลือกด้านล่างได้เลย คณะทำงาน KM จะเห็นในสรุปประจำวันค่ะ"
THANKS_REASON = "ขอบคุณที่ช่วยบอกเหตุผลนะคะ 🙏 คณะทำงาน KM จะนำไปปรับปรุงเรื่องนี้ค่ะ"
NO_PRESS_TO_EXPLAIN = "ขออภัยค่ะ ไม่พบการกด 👎 ของวันนี้สำหรับคำตอบนี้ ลองกด 👎 ใต้คำตอบอีกครั้งนะคะ"
OFFER_AFTER_UNHELPFUL = "\n\nหรือกด \"ส่งคำถามถึงผู้รู้\" ให้ผู้รู้ในสำนักงานช่วยตอบก็ได้ค่ะ"
ALREADY_RECORDED = "ได้รับความเห็นของท่านสำหรับคำตอบนี้ไว้แล้วค่ะ ขอบคุณนะคะ 🙏"
NOT_UNDERSTOOD = "ขออภัยค่ะ น้องบอทอ่านปุ่มนี้ไม่ได้ ลองกดปุ่มใต้คำตอบล่าสุดอีกครั้งนะคะ"


def run_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    article_text = thai_digit_to_arabic_digit(data.get("article", "")).strip()
    helpful_text = data.get("helpful", "").strip()
    if not article_text.isdigit() or helpful_text not in ("0", "1"):
        return [TextMessage(text=NOT_UNDERSTOOD)]
    article_id = int(article_text)
    helpful = helpful_text == "1"
    if already_recorded_today(context, article_id):
        return [TextMessage(text=ALREADY_RECORDED)]
    context.record("feedback", article_id=article_id, value=1 if helpful else 0)
    if helpful:
        return [TextMessage(text=THANKS_HELPFUL)]
    items = reason_items(article_id)
    text = THANKS_UNHELPFUL + ASK_REASON
    if experts_group_exists(context):
        # The answer missed: the office's experts may know, so the reply offers to ask them.
        items.append(unhelpful_offer(article_id))
        text += OFFER_AFTER_UNHELPFUL
    return [TextMessage(text=text, quick_reply=QuickReply(items=items))]


def reason_items(article_id: int) -> list[QuickReplyItem]:
    return [
        QuickReplyItem(action=PostbackAction(label=label, display_text=label,
                                             data=f"action={REASON_ACTION}&article={article_id}&reason={code}"))
        for code, label in FEEDBACK_REASONS.items()
    ]


def run_reason_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    """Why the answer missed: kept on today's 👎 of this person (or unnamed group press) for the article."""
    article_text = thai_digit_to_arabic_digit(data.get("article", "")).strip()
    reason = data.get("reason", "").strip()
    if not article_text.isdigit() or reason not in FEEDBACK_REASONS:
        return [TextMessage(text=NOT_UNDERSTOOD)]
    press = todays_press(context, int(article_text))
    if press is None or press.value != 0:
        return [TextMessage(text=NO_PRESS_TO_EXPLAIN)]
    # The first reason stands, as the first press does: a double tap changes nothing.
    if not (press.detail or {}).get("reason"):
        press.detail = {**(press.detail or {}), "reason": reason}
    return [TextMessage(text=THANKS_REASON)]


def already_recorded_today(context: HandlerContext, article_id: int) -> bool:
    """Did this person already give feedback on this article today (Bangkok)?

    When LINE does not say who pressed (a group event without a userId), the group stands for
    the person: one unnamed press per group, article and day is counted, not every tap.
    """
    return todays_press(context, article_id) is not None


def todays_press(context: HandlerContext, article_id: int) -> InteractionEvent | None:
    """This person's (or this group's unnamed) feedback on the article today, if any."""
    user = context.user
    group = context.group
    if user is not None:
        who = InteractionEvent.user_id == user.id
    elif group is not None:
        who = (InteractionEvent.user_id.is_(None)) & (InteractionEvent.group_id == group.id)
    else:
        return None
    day_start, day_end = bangkok_day_bounds(context.received_at)
    return context.session.scalars(
        select(InteractionEvent)
        .where(
            InteractionEvent.kind == "feedback",
            who,
            InteractionEvent.article_id == article_id,
            InteractionEvent.occurred_at >= day_start,
            InteractionEvent.occurred_at < day_end,
        )
        .order_by(InteractionEvent.id)
        .limit(1)
    ).first()


def bangkok_day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    day = to_bangkok(moment).date()
    start = datetime.combine(day, time.min, tzinfo=BANGKOK)
    return start, start + timedelta(days=1)
