"""Text messages: decide whether the bot is being addressed, then run a command or answer a question."""

from __future__ import annotations

from linebot.v3.messaging.models import Message, TextMessage
from linebot.v3.webhooks import (
    Event,
    MessageEvent,
    StickerMessageContent,
    TextMessageContent,
)

from handlers import ask_experts, question, registration
from handlers.commands import find_command, run_command
from handlers.context import HandlerContext
from kb.small_talk import small_talk_reply

# A group message starting with one of these is for the bot even without a mention.
TRIGGER_PREFIXES = ("?", "？", "ถาม", "/")

NOT_TEXT_REPLY = "ขออภัยค่ะ ตอนนี้น้องบอทอ่านได้เฉพาะข้อความตัวอักษรนะคะ ลองพิมพ์คำถามมาได้เลยค่ะ"
UNKNOWN_COMMAND_REPLY = "ขออภัยค่ะ ไม่รู้จักคำสั่งนี้ พิมพ์ /help เพื่อดูคำสั่งทั้งหมดได้เลยค่ะ"
EMPTY_QUESTION_REPLY = "มีอะไรให้ช่วยไหมคะ พิมพ์คำถามต่อท้ายได้เลย เช่น \"ถาม KM คืออะไร\" หรือพิมพ์ /help ค่ะ"


def handle_message(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, MessageEvent)
    content = event.message
    if not isinstance(content, TextMessageContent):
        if not context.source.is_one_to_one:
            return []
        # A sticker is a nod, not a document the bot failed to read.
        reply = small_talk_reply("emoji") if isinstance(content, StickerMessageContent) else NOT_TEXT_REPLY
        return [TextMessage(text=reply)]
    self_mention_spans = [
        (mentionee.index, mentionee.length)
        for mentionee in (content.mention.mentionees if content.mention else [])
        if getattr(mentionee, "is_self", False)
    ]
    quoted = getattr(content, "quoted_message_id", None)
    if quoted and not context.source.is_one_to_one:
        # A reply quoting a question's card in the experts group is an answer, mention or not.
        said = text_for_bot(content.text, self_mention_spans, one_to_one=True) or ""
        if not said.startswith("/"):
            answered = ask_experts.answer_quoted(quoted, said, context)
            if answered is not None:
                return answered
    text = text_for_bot(content.text, self_mention_spans, one_to_one=context.source.is_one_to_one)
    if text is None:
        return []
    context.message_id = content.id
    return route_text(text, context)


def text_for_bot(text: str, self_mention_spans: list[tuple[int, int]], *, one_to_one: bool) -> str | None:
    """The part of a message meant for the bot, or None when it is group talk between people.

    In a 1:1 chat every message is for the bot. In a group or room only a message that mentions
    the bot or starts with a trigger is; the mention and the `?`/`ถาม` trigger are removed.
    A mention's index and length are in UTF-16 code units, as LINE counts text
    (https://developers.line.biz/en/docs/messaging-api/text-character-count): an emoji before
    the mention counts two.
    """
    for index, length in sorted(self_mention_spans, reverse=True):
        start, end = utf16_to_index(text, index), utf16_to_index(text, index + length)
        text = text[:start] + " " + text[end:]
    stripped = " ".join(text.split())
    if stripped.startswith("/"):
        return stripped
    for prefix in TRIGGER_PREFIXES:
        if stripped.startswith(prefix):
            return stripped[len(prefix):].strip()
    if self_mention_spans or one_to_one:
        return stripped
    return None


def utf16_to_index(text: str, units: int) -> int:
    """The Python string index at ``units`` UTF-16 code units into ``text``."""
    counted = 0
    for position, character in enumerate(text):
        if counted >= units:
            return position
        counted += 2 if ord(character) > 0xFFFF else 1
    return len(text)


def route_text(text: str, context: HandlerContext) -> list[Message]:
    """Run the command the text names, or treat it as a question."""
    command = find_command(text)
    if command is None:
        if not text:
            return [TextMessage(text=EMPTY_QUESTION_REPLY)]
        if registration.is_registration_code(text):
            return registration.run(text, context)
        return question.answer_question(text, context)
    found, arguments = command
    if found is None:
        return [TextMessage(text=UNKNOWN_COMMAND_REPLY)]
    return run_command(found, arguments, context)
