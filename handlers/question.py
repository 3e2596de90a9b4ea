"""A question in Thai: answer it from the knowledge store, or say honestly that we do not know."""

from __future__ import annotations

from linebot.v3.messaging.models import Message, TextMessage

from handlers.context import HandlerContext

NO_KNOWLEDGE_REPLY = (
    "ขออภัยค่ะ คลังความรู้ยังไม่มีข้อมูลที่ตอบคำถามนี้ได้ "
    "น้องบอทบันทึกคำถามไว้ให้คณะทำงาน KM เพิ่มเติมความรู้แล้วนะคะ"
)


def answer_question(text: str, context: HandlerContext) -> list[Message]:
    context.record("question")
    context.record("fallback")
    return [TextMessage(text=NO_KNOWLEDGE_REPLY)]
