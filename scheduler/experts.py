"""Pushes for questions to the office's experts, all through the exactly-once delivery pipeline.

* the question's card to each experts group (``send_card``), whose message ids are kept so that
  a quoted reply to the card is read as an answer;
* the first answer to the asker (``send_answer``), with buttons to say whether it helped;
* once a day (``run_expert_duties``, on the clock's tick): open questions older than
  ``resurface_after`` shown once more in the experts group's digest, and the asker told honestly
  when nobody answered within ``give_up_after``; a card whose push failed is tried again.

Every push is claimed in ``deliveries`` (key ``expert:<question>:<what>``) before it is made,
carries a deterministic retry key, and is made outside any database transaction.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.messaging.models import (
    FlexContainer,
    FlexMessage,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import format_thai_date, thai_digits, to_bangkok
from bot.core.database import Database
from bot.core.line_client import ALT_TEXT_LIMIT, TEXT_LIMIT, LineClient
from bot.core.people import SIMULATOR_USER_PREFIX
from bot.core.tables import ChatGroup, InteractionEvent, User
from bot.core.text import shorten
from kb.expert_questions import QuestionAge, due_for_resurfacing, due_for_unanswered_notice
from kb.tables import ExpertAnswer, ExpertQuestion
from scheduler import deliveries
from scheduler.deliveries import Outcome, Parcel, Sent
from scheduler.tables import Delivery

logger = logging.getLogger(__name__)

EXPERTS = "experts"
STALE_SENDING_AFTER = timedelta(minutes=5)
RETRY_ANSWERS_FOR = timedelta(days=2)
# Fixed forever: changing it would change every retry key and let LINE deliver a retry twice.
RETRY_KEY_NAMESPACE = uuid.UUID("0b7d6c0e-3f7a-4f0c-8a55-2a5e1c9b7d41")

ANSWER_ACTION = "expert_answer"
PASS_ACTION = "expert_pass"
FEEDBACK_ACTION = "expert_feedback"

ANONYMOUS = "ไม่ระบุชื่อ"


@dataclass(frozen=True)
class ExpertSettings:
    """When an unanswered question is shown again, when the asker is told, and the digest's hour."""

    resurface_after: timedelta = timedelta(hours=48)
    give_up_after: timedelta = timedelta(days=7)
    digest_hour: int = 9


# --- the messages ----------------------------------------------------------------------------


def card_messages(question_id: int, question: str, asker: str | None) -> list[Message]:
    """The question as the experts see it: a text (easy to quote in a reply) and a card with
    the "ตอบ" and "ไม่ใช่เรื่องของเรา" buttons."""
    number = thai_digits(question_id)
    text = (
        f"❓ คำถามถึงผู้รู้ ข้อ {number}\n\n{shorten(question, 2000, squeeze=False)}\n\n"
        f"ผู้ถาม: {asker or ANONYMOUS}\n"
        f"ตอบได้โดยกด \"ตอบกลับ\" (Reply) ที่ข้อความนี้ หรือพิมพ์ /answer {question_id} ตามด้วยคำตอบค่ะ"
    )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": f"คำถามข้อ {number}", "weight": "bold", "color": "#1B4F72", "size": "md"},
            {"type": "text", "text": shorten(question, 300, squeeze=False), "wrap": True, "size": "sm", "margin": "md"},
        ]},
        "footer": {"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
            _postback_button("ตอบ", f"action={ANSWER_ACTION}&q={question_id}", "primary"),
            _postback_button("ไม่ใช่เรื่องของเรา", f"action={PASS_ACTION}&q={question_id}", "secondary"),
        ]},
    }
    alt_text = shorten(f"คำถามถึงผู้รู้ ข้อ {number}: {question}", ALT_TEXT_LIMIT, squeeze=False)
    return [TextMessage(text=shorten(text, TEXT_LIMIT, squeeze=False)),
            FlexMessage(alt_text=alt_text, contents=FlexContainer.from_dict(bubble))]


def answer_messages(question_id: int, question: str, answer: str, expert: str | None) -> list[Message]:
    """The first answer as the asker gets it, with buttons to say whether it helped."""
    credit = f"\n\nตอบโดย: {expert}" if expert else ""
    text = (
        f"📬 ผู้รู้ในสำนักงานตอบคำถามของคุณแล้วค่ะ\n\nคำถาม: {shorten(question, 300, squeeze=False)}\n\n"
        f"{shorten(answer, 3500, squeeze=False)}{credit}\n\nคำตอบนี้ช่วยได้ไหมคะ"
    )
    buttons = [
        QuickReplyItem(action=PostbackAction(label="👍 ช่วยได้", data=f"action={FEEDBACK_ACTION}&q={question_id}&helpful=1",
                                             display_text="👍 ช่วยได้")),
        QuickReplyItem(action=PostbackAction(label="👎 ยังไม่ช่วย", data=f"action={FEEDBACK_ACTION}&q={question_id}&helpful=0",
                                             display_text="👎 ยังไม่ช่วย")),
    ]
    return [TextMessage(text=shorten(text, TEXT_LIMIT, squeeze=False), quick_reply=QuickReply(items=buttons))]


def digest_text(entries: list[tuple[int, str, datetime]], now: datetime) -> str:
    """The experts group's daily reminder of questions still waiting."""
    lines = ["📋 คำถามที่ยังรอผู้รู้ช่วยตอบค่ะ"]
    for question_id, question, asked_at in entries:
        days = max(0, (to_bangkok(now).date() - to_bangkok(asked_at).date()).days)
        lines.append(f"\n• ข้อ {thai_digits(question_id)} (ถามเมื่อ {thai_digits(days)} วันก่อน): {shorten(question, 200, squeeze=False)}")
    lines.append("\nตอบได้โดยพิมพ์ /answer ตามด้วยเลขข้อและคำตอบ เช่น /answer "
                 f"{entries[0][0]} ... หรือกด \"ตอบกลับ\" ที่การ์ดคำถามเดิมค่ะ")
    return shorten("\n".join(lines), TEXT_LIMIT, squeeze=False)


def unanswered_text(question: str, asked_at: datetime, days: int) -> str:
    return (
        f"ขออภัยค่ะ คำถาม \"{shorten(question, 200, squeeze=False)}\" ที่ส่งถึงผู้รู้เมื่อ "
        f"{format_thai_date(to_bangkok(asked_at).date())} ยังไม่มีผู้ตอบภายใน {thai_digits(days)} วัน "
        "น้องบอทแจ้งคณะทำงาน KM ให้ติดตามต่อแล้ว หากมีผู้ตอบภายหลังจะส่งคำตอบมาให้ทันทีนะคะ 🙏"
    )


def _postback_button(label: str, data: str, style: str) -> dict[str, Any]:
    return {"type": "button", "style": style, "height": "sm",
            "action": {"type": "postback", "label": label, "data": data, "displayText": label}}


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    id: int
    line_group_id: str
    kind: str
    member_count: int | None


def experts_groups(database: Database) -> list[_Group]:
    with database.session() as session:
        return [
            _Group(group.id, group.line_group_id, group.kind, group.member_count)
            for group in session.scalars(
                select(ChatGroup).where(ChatGroup.role == EXPERTS, ChatGroup.active.is_(True)).order_by(ChatGroup.id)
            )
        ]


def retry_key_for(key: str, recipient: str) -> str:
    return deliveries.retry_key(RETRY_KEY_NAMESPACE, f"{key}|{recipient}")


def _push(database: Database, line_client: LineClient, *, key: str, recipient: str, group: _Group | None,
          messages: list[Message], now: datetime, what: str, question_id: int | None) -> Outcome:
    parcel = Parcel(
        purpose=EXPERTS, key=key, recipient=recipient, retry_key=retry_key_for(key, recipient),
        group_id=group.id if group else None, group_kind=group.kind if group else "user",
        last_known_members=group.member_count if group else 1,
    )

    def event(sent: Sent) -> InteractionEvent:
        return InteractionEvent(kind="expert_push", occurred_at=sent.at, channel="group" if group else "user",
                                group_id=parcel.group_id, recipients=sent.member_count,
                                detail={"what": what, "question_id": question_id})

    return deliveries.deliver(database, line_client, parcel, messages, now, stale_after=STALE_SENDING_AFTER,
                              event=event, what=f"expert {what}")


def send_card(database: Database, line_client: LineClient, question_id: int, now: datetime) -> list[Outcome]:
    """Push the question's card to every experts group once; keep the card's message ids."""
    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        if question is None or _simulated(session, question):
            return []
        text, asker = question.question, (question.asker_name if question.show_name else None)
        if question.show_name and not asker:
            asker = "ผู้ถามยินดีเปิดเผยชื่อ (LINE ไม่แจ้งชื่อ)"
    outcomes = []
    for group in experts_groups(database):
        outcome = _push(database, line_client, key=f"expert:{question_id}:card", recipient=group.line_group_id,
                        group=group, messages=card_messages(question_id, text, asker), now=now, what="card",
                        question_id=question_id)
        outcomes.append(outcome)
        if outcome.status == "sent":
            with database.session() as session:
                question = session.get(ExpertQuestion, question_id)
                if question is not None:
                    ids = list(outcome.message_ids)
                    question.card_sent_at = now
                    if ids:
                        question.card_message_id = ids[0]
                        question.card_buttons_message_id = ids[1] if len(ids) > 1 else None
    return outcomes


def send_answer(database: Database, line_client: LineClient, question_id: int, now: datetime) -> Outcome | None:
    """Push the first answer to the asker once; None when there is nobody to send it to."""
    from kb.expert_questions import credited_names

    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        if question is None or question.asker_user_id is None:
            return None
        asker = session.get(User, question.asker_user_id)
        first = session.scalars(
            select(ExpertAnswer).where(ExpertAnswer.question_id == question_id, ExpertAnswer.first.is_(True))
        ).first()
        if asker is None or not asker.line_user_id or first is None or _simulated(session, question):
            return None
        expert = credited_names(session, [first.user_id]).get(first.user_id) if first.user_id else None
        recipient, messages = asker.line_user_id, answer_messages(question_id, question.question, first.text, expert)
    return _push(database, line_client, key=f"expert:{question_id}:answer", recipient=recipient, group=None,
                 messages=messages, now=now, what="answer", question_id=question_id)


def _simulated(session: Session, question: ExpertQuestion) -> bool:
    """A question tried in the chat simulator: nothing of it ever goes to LINE."""
    asker = session.get(User, question.asker_user_id) if question.asker_user_id else None
    return asker is not None and (asker.line_user_id or "").startswith(SIMULATOR_USER_PREFIX)


# --- the daily duties ------------------------------------------------------------------------


@dataclass
class ExpertDutiesReport:
    cards_resent: int = 0
    answers_resent: int = 0
    resurfaced: list[int] = field(default_factory=list)
    askers_told: list[int] = field(default_factory=list)


def run_expert_duties(database: Database, line_client: LineClient, now: datetime,
                      settings: ExpertSettings = ExpertSettings()) -> ExpertDutiesReport:
    """What the clock does for the experts' questions at ``now`` (every tick; each push once)."""
    now = to_bangkok(now)
    report = ExpertDutiesReport()
    with database.session() as session:
        open_questions = [
            (QuestionAge(q.id, to_bangkok(q.asked_at), q.resurfaced_at, q.asker_told_unanswered_at), q.card_sent_at, q.question)
            for q in session.scalars(select(ExpertQuestion).where(ExpertQuestion.status == "open").order_by(ExpertQuestion.id))
            if not _simulated(session, q)
        ]
    # A card or an answer whose push failed (LINE away, the process stopped) goes out on a later
    # tick, under the same retry key; one sent already is "done" without a call to LINE.
    for age, card_sent_at, _ in open_questions:
        if card_sent_at is None and age.asked_at <= now - STALE_SENDING_AFTER:
            if any(outcome.status == "sent" for outcome in send_card(database, line_client, age.id, now)):
                report.cards_resent += 1
    for question_id in _answers_not_delivered(database, now):
        outcome = send_answer(database, line_client, question_id, now)
        if outcome is not None and outcome.status == "sent":
            report.answers_resent += 1
    if now.hour < settings.digest_hour:
        return report
    ages = [age for age, _, _ in open_questions]
    texts = {age.id: (text, age.asked_at) for age, _, text in open_questions}
    resurface = due_for_resurfacing(ages, now, settings.resurface_after)
    if resurface:
        report.resurfaced = _send_digest(database, line_client, resurface, texts, now)
    for question_id in due_for_unanswered_notice(ages, now, settings.give_up_after):
        if _tell_asker(database, line_client, question_id, now, settings):
            report.askers_told.append(question_id)
    return report


def _answers_not_delivered(database: Database, now: datetime) -> list[int]:
    """Answered questions whose answer push failed or was left mid-push, answered in the last
    two days (older ones would reach the asker too late to help)."""
    with database.session() as session:
        answered = set(session.scalars(
            select(ExpertQuestion.id).where(ExpertQuestion.status == "answered",
                                            ExpertQuestion.answered_at >= now - RETRY_ANSWERS_FOR)
        ))
        if not answered:
            return []
        rows = session.execute(
            select(Delivery.delivery_key, Delivery.state, Delivery.claimed_at)
            .where(Delivery.purpose == EXPERTS, Delivery.delivery_key.in_([f"expert:{q}:answer" for q in answered]))
        ).all()
    waiting = []
    for key, state, claimed_at in rows:
        if state == "failed" or (state == "sending" and deliveries.is_stale(claimed_at, now, STALE_SENDING_AFTER)):
            waiting.append(int(key.split(":")[1]))
    return sorted(waiting)


def _send_digest(database: Database, line_client: LineClient, question_ids: list[int],
                 texts: dict[int, tuple[str, datetime]], now: datetime) -> list[int]:
    """One push a day to each experts group; the questions it carried are marked re-surfaced."""
    day = to_bangkok(now).date().isoformat()
    entries = [(question_id, *texts[question_id]) for question_id in question_ids]
    message = TextMessage(text=digest_text(entries, now))
    sent_any = False
    for group in experts_groups(database):
        outcome = _push(database, line_client, key=f"expert-digest:{day}", recipient=group.line_group_id, group=group,
                        messages=[message], now=now, what="digest", question_id=None)
        # A digest already sent today is not sent again: what came due since waits for tomorrow's.
        sent_any = sent_any or outcome.status == "sent"
    if not sent_any:
        return []
    with database.session() as session:
        for question in session.scalars(select(ExpertQuestion).where(ExpertQuestion.id.in_(question_ids))):
            question.resurfaced_at = now
    return question_ids


def _tell_asker(database: Database, line_client: LineClient, question_id: int, now: datetime,
                settings: ExpertSettings) -> bool:
    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        asker = session.get(User, question.asker_user_id) if question and question.asker_user_id else None
        if question is None or asker is None or not asker.line_user_id or _simulated(session, question):
            if question is not None:
                question.asker_told_unanswered_at = now  # nobody to tell: not tried again
            return False
        recipient = asker.line_user_id
        text = unanswered_text(question.question, question.asked_at, max(1, settings.give_up_after.days))
    outcome = _push(database, line_client, key=f"expert:{question_id}:unanswered", recipient=recipient, group=None,
                    messages=[TextMessage(text=text)], now=now, what="unanswered", question_id=question_id)
    if outcome.status not in ("sent", "done", "refused"):
        return False
    with database.session() as session:
        question = session.get(ExpertQuestion, question_id)
        if question is not None:
            question.asker_told_unanswered_at = now
    return outcome.status == "sent"
