"""A per-user limit on questions, so one person (or a runaway script) cannot monopolise the bot.

The count comes from the reach log itself, so every web process sees the same number and
nothing extra has to be kept: a user who asked `limit` questions in the last `window` is
asked to wait. Only the first refused message in a window gets a reply; the rest get none,
so a flood in a group is not answered with a flood.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from linebot.v3.messaging.models import Message, TextMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.calendar import thai_digits
from bot.core.config import QuestionRate
from bot.core.tables import InteractionEvent
from handlers.context import HandlerContext

# What to do with a question: answer it, refuse it with a polite reply, or refuse it silently.
RateDecision = Literal["answer", "refuse_with_reply", "refuse_silently"]

TOO_MANY_QUESTIONS = (
    "ขออภัยค่ะ ตอนนี้มีคำถามจากคุณเข้ามาถี่เกินไป รบกวนรอสักครู่แล้วค่อยถามต่อนะคะ "
    "(ถามได้ไม่เกิน {limit} คำถามใน {window})"
)


def decide(questions_in_window: int, refusals_in_window: int, rate: QuestionRate) -> RateDecision:
    """Answer under the limit; over it, reply to the first refusal of the window only."""
    if questions_in_window < rate.limit:
        return "answer"
    return "refuse_with_reply" if refusals_in_window == 0 else "refuse_silently"


def check_question_rate(context: HandlerContext) -> list[Message] | None:
    """None when the sender may ask now; otherwise the replies to a refused question (maybe none)."""
    rate = context.config.question_rate
    user = context.user
    if rate is None or user is None:
        return None
    since = context.received_at - rate.window
    counted = context.question_counts
    if counted is not None and counted[0] == since:
        questions, refusals = counted[1], counted[2]
    else:
        questions, refusals = recent_counts(context.session, user.id, since)
    decision = decide(questions, refusals, rate)
    if decision == "answer":
        return None
    context.record("rate_limited")
    if decision == "refuse_silently":
        return []
    return [TextMessage(text=TOO_MANY_QUESTIONS.format(limit=thai_digits(rate.limit),
                                                       window=describe_window(rate.window)))]


def describe_window(window: timedelta) -> str:
    """The window in Thai words: "๑ นาที", "๕ นาที", "๑ ชั่วโมง", "๓๐ วินาที"."""
    seconds = int(window.total_seconds())
    for unit_seconds, name in ((3600, "ชั่วโมง"), (60, "นาที")):
        if seconds % unit_seconds == 0:
            return f"{thai_digits(seconds // unit_seconds)} {name}"
    return f"{thai_digits(seconds)} วินาที"


def recent_counts(session: Session, user_id: int, since: datetime) -> tuple[int, int]:
    """(questions, refusals) the user has in the reach log since `since`."""
    rows = session.execute(
        select(InteractionEvent.kind, func.count())
        .where(
            InteractionEvent.user_id == user_id,
            InteractionEvent.kind.in_(("question", "rate_limited")),
            InteractionEvent.occurred_at > since,
        )
        .group_by(InteractionEvent.kind)
    ).all()
    counts = dict(rows)
    return counts.get("question", 0), counts.get("rate_limited", 0)


# --- every command and message: one limit per person ---------------------------------------------

# Far above what a person types (a command every two seconds for a minute), far below a script.
EVENTS_PER_MINUTE = 30
EVENT_WINDOW = timedelta(minutes=1)
TOO_MANY_MESSAGES = (
    "ขออภัยค่ะ ตอนนี้มีข้อความจากคุณเข้ามาถี่เกินไป น้องบอทขอพักสักครู่ "
    "แล้วค่อยพิมพ์ใหม่อีกครั้งนะคะ"
)


def check_event_rate(context: HandlerContext, limit: int = EVENTS_PER_MINUTE, window: timedelta = EVENT_WINDOW) -> list[Message] | None:
    """None when the sender may be answered now. Over `limit` logged interactions in `window`
    (any command, question or button), the event is refused: the first refusal of the window
    gets a polite reply, later ones none, so a flood is not answered with a flood."""
    user = context.user
    if user is None:
        return None
    since = context.received_at - window
    refused = InteractionEvent.kind == "rate_limited"
    counts = [func.count().filter(refused, InteractionEvent.occurred_at > since),
              func.count().filter(~refused, InteractionEvent.occurred_at > since)]
    rate = context.config.question_rate
    question_since = context.received_at - rate.window if rate is not None else None
    if question_since is not None:
        # The question limit's counts come with this query: one statement for both limits.
        counts += [func.count().filter(InteractionEvent.kind == "question", InteractionEvent.occurred_at > question_since),
                   func.count().filter(refused, InteractionEvent.occurred_at > question_since)]
    earliest = min(since, question_since) if question_since is not None else since
    row = context.session.execute(
        select(*counts).where(InteractionEvent.user_id == user.id, InteractionEvent.occurred_at > earliest)
    ).one()
    refusals, others = row[0], row[1]
    if question_since is not None:
        context.question_counts = (question_since, row[2], row[3])
    if others < limit:
        return None
    context.question_counts = None  # the refusal is logged: counted again if ever needed
    context.record("rate_limited", detail={"limit": "events"})
    # In a group the bot stays quiet: the message may not even have been meant for it.
    if refusals or not context.source.is_one_to_one:
        return []
    return [TextMessage(text=TOO_MANY_MESSAGES)]
