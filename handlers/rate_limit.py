"""Per-person limits, so one person (or a runaway script) cannot monopolise the bot: on questions
(`KMBOT_QUESTION_RATE`, ten a minute by default) and on everything a person sends (thirty a minute).

The counts come from the reach log itself, so every web process sees the same number and
nothing extra has to be kept: a user who asked `limit` questions in the last `window` is
asked to wait. Only the first refused message in a window gets a reply; the rest get none,
so a flood in a group is not answered with a flood. For a webhook event the counts are read
with the statement that claims it (`handlers.dispatch`), after the sender's row is locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Sequence

from linebot.v3.messaging.models import Message, TextMessage
from sqlalchemy import ScalarSelect, func, select
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
    recent = context.recent_activity
    if recent is not None and recent.question_window_start == since:
        questions, refusals = recent.questions, recent.question_refusals
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


@dataclass(frozen=True)
class RecentActivity:
    """What the sender did just before this event, from the reach log: the counts both limits need."""

    interactions: int                   # in the last minute (EVENT_WINDOW), refusals left out
    refusals: int                       # refusals in the last minute
    question_window_start: datetime | None = None  # None when questions have no limit
    questions: int = 0                  # questions since `question_window_start`
    question_refusals: int = 0          # refused questions (and other refusals) since then


def recent_activity_counts(context: HandlerContext, user_id: int) -> list[ScalarSelect[int]]:
    """The sender's counts as scalar subqueries, read by `recent_activity`.

    `handlers.dispatch` reads them in the statement that claims the event: by then the sender's
    row is locked by this event's transaction (`HandlerContext.note_participants`), so an event
    of theirs handled at the same time in another process has committed and is counted."""
    since = context.received_at - EVENT_WINDOW
    refused = InteractionEvent.kind == "rate_limited"
    windows = [(~refused, since), (refused, since)]
    rate = context.config.question_rate
    if rate is not None:
        question_since = context.received_at - rate.window
        windows += [(InteractionEvent.kind == "question", question_since), (refused, question_since)]
    return [
        select(func.count()).where(InteractionEvent.user_id == user_id, kind, InteractionEvent.occurred_at > start)
        .scalar_subquery()
        for kind, start in windows
    ]


def recent_activity(context: HandlerContext, counts: Sequence[int]) -> RecentActivity:
    """The values of `recent_activity_counts`, read."""
    rate = context.config.question_rate
    if rate is None:
        return RecentActivity(counts[0], counts[1])
    return RecentActivity(counts[0], counts[1], context.received_at - rate.window, counts[2], counts[3])


def check_event_rate(context: HandlerContext, limit: int = EVENTS_PER_MINUTE) -> list[Message] | None:
    """None when the sender may be answered now. Over `limit` logged interactions in a minute
    (any command, question or button), the event is refused: the first refusal of the minute
    gets a polite reply, later ones none, so a flood is not answered with a flood."""
    user = context.user
    if user is None:
        return None
    recent = context.recent_activity
    if recent is None:
        counts = context.session.execute(select(*recent_activity_counts(context, user.id))).one()
        recent = context.recent_activity = recent_activity(context, counts)
    if recent.interactions < limit:
        return None
    context.recent_activity = None  # the refusal is logged: counted again if ever needed
    context.record("rate_limited", detail={"limit": "events"})
    # In a group the bot stays quiet: the message may not even have been meant for it.
    if recent.refusals or not context.source.is_one_to_one:
        return []
    return [TextMessage(text=TOO_MANY_MESSAGES)]
