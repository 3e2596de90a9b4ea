"""A question in Thai: answer it from the knowledge store, or say honestly that we do not know."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from linebot.v3.messaging.models import Message, TextMessage

from bot.core.calendar import thai_digits
from handlers.answer_card import answer_messages, fallback_messages
from handlers.ask_experts import OFFER_TEXT, experts_group_exists, offer_items
from handlers.context import HandlerContext
from handlers.rate_limit import check_question_rate
from handlers.unsend import note_kept_text
from kb.answering import MAX_QUESTION_CHARS, Answer
from kb.asking import ask
from kb.small_talk import small_talk_kind, small_talk_reply

TOO_LONG = (
    "ข้อความยาวเกินกว่าจะค้นคำตอบได้ค่ะ รบกวนพิมพ์คำถามให้สั้นลง "
    "ไม่เกิน {limit} ตัวอักษร แล้วถามใหม่อีกครั้งนะคะ"
)


def answer_question(text: str, context: HandlerContext) -> list[Message]:
    if len(text) > MAX_QUESTION_CHARS:
        # Not a question but a pasted document: nothing is searched, counted or kept as a gap.
        return [TextMessage(text=TOO_LONG.format(limit=thai_digits(f"{MAX_QUESTION_CHARS:,}")))]
    kind = small_talk_kind(text)
    if kind is not None:
        # A greeting, thanks or a 👍 is not a question: it is neither counted nor kept as a gap.
        return [TextMessage(text=small_talk_reply(kind))]
    refused = check_question_rate(context)
    if refused is not None:
        return refused
    # Someone trying the public simulator is not staff in need: no gap. The secretary's own trials
    # (the admin simulator) are kept, so she can try the experts loop, and dismissed there.
    asked = ask(context.session, context.search, text, context.received_at, count_gap=context.source.kind != "web")
    answer = asked.answer
    # The event log keeps what happened, not what was said: staff messages stay private.
    context.record("question", detail={"confidence": round(answer.confidence, 3)})
    if answer.answered:
        context.record("answer", article_id=answer.article_id, detail={"passage_id": answer.sources[0].passage_id})
        return _answer_card(answer, context.article_url(answer.article_id))
    note_kept_text(context, "gap", asked.gap_id)
    # Which gap the question was counted in; its rows then go to the database in one INSERT with
    # the question's (rows of one shape are inserted together).
    context.record("fallback", detail={"gap_id": asked.gap_id})
    if asked.gap_id is not None and experts_group_exists(context):
        return fallback_messages(answer, offer_items(asked.gap_id), OFFER_TEXT)
    return fallback_messages(answer)


# Building and validating a Flex card is a good part of a reply's cost, and staff ask the same
# questions again: a card is built once per (passage, related questions) with a placeholder link,
# and each reply gets a shallow copy with its own read-more link (which is per person and signed
# anew each second, so it cannot be part of the key). Cards are never changed once built.
_CARDS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CARDS_LOCK = threading.Lock()
CARD_MEMO_SIZE = 512
_PLACEHOLDER_URL = "https://kmbot.invalid/read-more"


def _answer_card(answer: Answer, read_more_url: str | None) -> list[Message]:
    key = (answer.article_id, answer.title, answer.text, answer.heading_path, tuple(answer.related_questions),
           read_more_url is not None)
    with _CARDS_LOCK:
        card = _CARDS.get(key)
        if card is not None:
            _CARDS.move_to_end(key)
    if card is None:
        card = answer_messages(answer, _PLACEHOLDER_URL if read_more_url is not None else None)
        with _CARDS_LOCK:
            _CARDS[key] = card
            while len(_CARDS) > CARD_MEMO_SIZE:
                _CARDS.popitem(last=False)
    if read_more_url is None:
        return list(card)
    linked = _with_link(card[0], read_more_url)
    return [linked, *card[1:]] if linked is not None else answer_messages(answer, read_more_url)


def _with_link(message: Any, url: str) -> Any:
    """The card with its placeholder link replaced, copying only the models on the way to it."""
    contents = getattr(message, "contents", None)
    footer = getattr(contents, "footer", None)
    buttons = list(getattr(footer, "contents", None) or [])
    for position, button in enumerate(buttons):
        action = getattr(button, "action", None)
        if getattr(action, "uri", None) == _PLACEHOLDER_URL:
            buttons[position] = button.copy(update={"action": action.copy(update={"uri": url})})
            footer = footer.copy(update={"contents": buttons})
            return message.copy(update={"contents": contents.copy(update={"footer": footer})})
    return None  # not the card this expects: built afresh instead
