"""A message its sender unsent: whatever text the bot kept from it is erased.

LINE lets a person unsend a message within 24 hours and tells the bot with an `unsend` event
naming the message. Staff expect an unsent message to be gone, so each handler that keeps text
from a message (a question that became a knowledge gap, a `/share` tip, a survey comment) leaves
a `kept_text` row in the interaction log naming the message and the row that holds the text;
the unsend event follows those rows back and erases the text. The rows hold ids only, never text.
"""

from __future__ import annotations

from datetime import timedelta

from linebot.v3.messaging.models import Message
from linebot.v3.webhooks import Event, UnsendEvent
from sqlalchemy import select

from bot.core.tables import InteractionEvent
from handlers.context import HandlerContext
from kb.gaps import withdraw_gap_question
from kb.tables import SharedTip

KEPT_TEXT = "kept_text"
# LINE allows unsending for 24 hours; an hour more covers a redelivered or delayed event.
UNSEND_WINDOW = timedelta(hours=25)


def note_kept_text(context: HandlerContext, what: str, row_id: int | None) -> None:
    """Remember that the message being handled left text in the row `row_id` of kind `what`."""
    if context.message_id is None or row_id is None:
        return
    context.record(KEPT_TEXT, detail={"message_id": context.message_id, "what": what, "id": row_id})


def handle_unsend(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, UnsendEvent)
    message_id = event.unsend.message_id
    traces = [
        trace
        for trace in context.session.scalars(
            select(InteractionEvent).where(
                InteractionEvent.kind == KEPT_TEXT,
                InteractionEvent.occurred_at >= context.received_at - UNSEND_WINDOW,
            )
        )
        if (trace.detail or {}).get("message_id") == message_id
    ]
    for trace in traces:
        _erase(context, trace.detail["what"], int(trace.detail["id"]))
        context.session.delete(trace)
    # An unsend event has no reply token: the erasure is silent, as the sender expects.
    return []


def _erase(context: HandlerContext, what: str, row_id: int) -> None:
    session = context.session
    if what == "gap":
        withdraw_gap_question(session, row_id)
    elif what == "tip":
        tip = session.get(SharedTip, row_id)
        if tip is not None:
            # An article already published from the tip is the office's text now and stays.
            session.delete(tip)
    elif what == "comment":
        answer = session.get(InteractionEvent, row_id)
        if answer is not None and answer.detail and "comment" in answer.detail:
            answer.detail = {key: value for key, value in answer.detail.items() if key not in ("comment", "commented_at")}
