"""`/share <tip>` (แบ่งปัน, เสนอความรู้): a staff member's tip, kept for the KM committee to review.

The tip is stored as a pending `SharedTip`; the secretary approves it into an article (or not)
on the web page /admin/tips. Nothing shared reaches other people before that review.
"""

from __future__ import annotations

from linebot.v3.messaging.models import Message, TextMessage

from handlers.context import HandlerContext
from kb.tables import SharedTip

MAX_TIP_LENGTH = 4000
MIN_TIP_LENGTH = 5

THANK_YOU = (
    "ขอบคุณมากนะคะที่แบ่งปันความรู้ 🙏\n"
    "น้องบอทส่งเกร็ดความรู้นี้ให้คณะทำงาน KM พิจารณาแล้ว "
    "หากผ่านการตรวจ จะเผยแพร่ในคลังความรู้ให้เพื่อน ๆ ได้ใช้ต่อไปค่ะ"
)
USAGE = (
    "แบ่งปันเกร็ดความรู้ได้ง่าย ๆ ค่ะ พิมพ์ /share ตามด้วยสิ่งที่อยากแบ่งปัน เช่น\n"
    "/share การขอโอนงบประมาณ ควรแนบบันทึกเหตุผลความจำเป็นทุกครั้ง จะพิจารณาได้เร็วขึ้น\n\n"
    "คณะทำงาน KM จะตรวจก่อนเผยแพร่ในคลังความรู้นะคะ"
)
TOO_SHORT = "เกร็ดความรู้สั้นไปนิดค่ะ ลองเล่าเพิ่มอีกสักหน่อย แล้วพิมพ์ /share ตามด้วยข้อความอีกครั้งนะคะ"


def run(arguments: str, context: HandlerContext) -> list[Message]:
    text = arguments.strip()
    if not text:
        return [TextMessage(text=USAGE)]
    if len(text) < MIN_TIP_LENGTH:
        return [TextMessage(text=TOO_SHORT)]
    user = context.user
    context.session.add(SharedTip(
        user_id=user.id if user is not None else None,
        text=text[:MAX_TIP_LENGTH],
        status="pending",
        created_at=context.received_at,
    ))
    return [TextMessage(text=THANK_YOU)]
