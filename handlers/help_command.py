"""`/help` (วิธีใช้, ช่วยเหลือ): what the bot can do and how to ask it."""

from __future__ import annotations

from linebot.v3.messaging.models import (
    Message,
    MessageAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from handlers.context import HandlerContext

HELP_TEXT = (
    "น้องบอท KM ช่วยอะไรได้บ้าง 📚\n\n"
    "• ถามความรู้: พิมพ์คำถามได้เลย เช่น \"ความรู้ฝังลึกคืออะไร\"\n"
    "  (ในกลุ่ม ให้แท็กถึงบอท หรือขึ้นต้นด้วย ? หรือ \"ถาม\")\n"
    "• /plan หรือ /แผน — ดูกิจกรรมตามแผน KM ที่ใกล้ถึงกำหนด\n"
    "• /done หรือ /ทำแล้ว — กรรมการ KM บันทึกว่ากิจกรรมเสร็จแล้ว\n"
    "• /share หรือ /แบ่งปัน — ส่งเกร็ดความรู้ให้คณะทำงานตรวจก่อนเผยแพร่\n"
    "• /survey หรือ /แบบสอบถาม — ให้คะแนนความพึงพอใจ 1–5\n"
    "• /stats หรือ /สถิติ — สรุปตัวเลขการใช้งาน (เลขานุการและกรรมการ)\n"
    "• /help หรือ วิธีใช้ — ดูข้อความนี้อีกครั้ง"
)


def run(arguments: str, context: HandlerContext) -> list[Message]:
    return [TextMessage(text=HELP_TEXT, quick_reply=help_quick_reply())]


def run_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    return run("", context)


def help_quick_reply() -> QuickReply:
    """Buttons for a first try: two sample questions and the plan command."""
    samples = [("KM คืออะไร", "KM คืออะไร"), ("ขั้นตอน KMP", "ขั้นตอนการจัดการความรู้มีอะไรบ้าง"), ("งานใกล้กำหนด", "/plan")]
    return QuickReply(items=[QuickReplyItem(action=MessageAction(label=label, text=text)) for label, text in samples])
