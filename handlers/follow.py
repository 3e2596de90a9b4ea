"""Someone adds the bot as a friend (follow) or blocks it (unfollow)."""

from __future__ import annotations

from linebot.v3.messaging.models import Message, TextMessage
from linebot.v3.webhooks import Event

from handlers.commands import help_quick_reply
from handlers.context import HandlerContext

FOLLOW_GREETING = (
    "สวัสดีค่ะ ยินดีที่ได้รู้จักนะคะ 🙏\n"
    "น้องบอทเป็นผู้ช่วยด้านการจัดการความรู้ (KM) ของหน่วยงาน "
    "ถามเรื่องแผน KM ขั้นตอน KMP/CMP หรือความรู้ในคลังของเราได้ตลอดเวลาค่ะ\n\n"
    "วิธีถาม: พิมพ์คำถามมาได้เลย เช่น \"KM คืออะไร\" หรือ \"KMP 5 ต้องทำอะไรบ้าง\"\n"
    "ดูคำสั่งทั้งหมด: พิมพ์ /help ค่ะ"
)


def handle_follow(event: Event, context: HandlerContext) -> list[Message]:
    user = context.user
    if user is not None:
        user.following = True
    context.record("follow")
    return [TextMessage(text=FOLLOW_GREETING, quick_reply=help_quick_reply())]


def handle_unfollow(event: Event, context: HandlerContext) -> list[Message]:
    user = context.user
    if user is not None:
        user.following = False
    context.record("unfollow")
    return []
