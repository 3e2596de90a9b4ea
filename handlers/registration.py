"""A registration code sent to the bot (`KM-XXXX-XXXX`, or `/register KM-XXXX-XXXX`) grants its role.

Codes come from `kmbot users invite ROLE`; each works once, for a limited time. A message
counts as a code only when it is nothing but a code, so a question is never mistaken for one.
"""

from __future__ import annotations

import logging

from linebot.v3.messaging.models import Message, TextMessage

from bot.core.line_client import LineApiError
from bot.core.people import ROLE_NAMES, looks_like_code, redeem_code
from bot.core.rich_menus import apply_role_menu
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)

ROLE_POWERS = {
    "secretary": "ตอนนี้ท่านดูสรุปการใช้งานได้ด้วย /stats และบันทึกกิจกรรมที่ทำแล้วด้วย /done ค่ะ",
    "committee": "ตอนนี้ท่านบันทึกกิจกรรมที่ทำแล้วด้วย /done และดูสรุปการใช้งานด้วย /stats ได้แล้วค่ะ",
    "staff": "",
}

GRANTED = "ลงทะเบียนเรียบร้อยแล้วค่ะ ✅ ท่านได้รับสิทธิ์เป็น{role}แล้วนะคะ\n{powers}"
INVALID = (
    "ขออภัยค่ะ รหัสนี้ใช้ไม่ได้ อาจพิมพ์ไม่ครบ หมดอายุแล้ว หรือถูกใช้ไปแล้ว "
    "รบกวนขอรหัสใหม่จากผู้ดูแลระบบนะคะ 🙏"
)
USAGE = "พิมพ์ /ลงทะเบียน ตามด้วยรหัสที่ได้รับ เช่น /ลงทะเบียน KM-ABCD-EFGH หรือส่งรหัสมาอย่างเดียวก็ได้ค่ะ"
NO_PERSON = "ขออภัยค่ะ น้องบอทระบุตัวผู้ส่งไม่ได้ รบกวนส่งรหัสในแชต 1:1 กับน้องบอทนะคะ"


def is_registration_code(text: str) -> bool:
    """True when the whole message is a registration code (checked before treating it as a question)."""
    return looks_like_code(text)


def run(arguments: str, context: HandlerContext) -> list[Message]:
    """`/register CODE` (ลงทะเบียน), or a message that is only a code."""
    code = arguments.strip()
    if not code:
        return [TextMessage(text=USAGE)]
    user = context.user
    if user is None:
        return [TextMessage(text=NO_PERSON)]
    granted = redeem_code(context.session, code, user.id, context.received_at) if looks_like_code(code) else None
    if granted is None:
        # Never log the code: a valid one typed slightly wrong would be half of a credential.
        logger.info("a registration code was refused")
        return [TextMessage(text=INVALID)]
    # The code row (used_by_user_id, used_at) is the record of who got the role and when.
    user.role = granted.role
    if context.line is not None and user.line_user_id and not context.source.is_simulated:
        line, line_user_id, role = context.line, user.line_user_id, granted.role
        context.after_commit.append(lambda: _apply_menu(line, line_user_id, role))
    text = GRANTED.format(role=ROLE_NAMES.get(granted.role, granted.role), powers=ROLE_POWERS.get(granted.role, ""))
    return [TextMessage(text=text.strip())]


def _apply_menu(line, line_user_id: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """Give the person the menu of the role the code granted, as `kmbot users grant` does."""
    try:
        logger.info("rich menu after registration: %s", apply_role_menu(line, line_user_id, role))
    except LineApiError as error:
        # The role stands either way; `kmbot users grant` or the next code links the menu.
        logger.warning("rich menu not changed after registration (%s)", type(error).__name__)
