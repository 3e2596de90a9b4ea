"""A question in Thai: answer it from the knowledge store, or say honestly that we do not know."""

from __future__ import annotations

from linebot.v3.messaging.models import Message

from handlers.answer_card import answer_messages, fallback_messages
from handlers.context import HandlerContext
from kb.answering import find_answer
from kb.gaps import record_gap


def answer_question(text: str, context: HandlerContext) -> list[Message]:
    answer = find_answer(context.session, context.search, text)
    # The event log keeps what happened, not what was said: staff messages stay private.
    context.record("question", detail={"confidence": round(answer.confidence, 3)})
    if not answer.answered:
        record_gap(context.session, text, context.received_at)
        context.record("fallback")
        return fallback_messages(answer)
    context.record("answer", article_id=answer.article_id, detail={"passage_id": answer.sources[0].passage_id})
    return answer_messages(answer, context.article_url(answer.article_id))
