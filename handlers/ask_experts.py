"""Questions for the office's experts, in LINE: asking, answering, and what the asker says of it.

* Staff: the fallback reply's "ส่งคำถามถึงผู้รู้" buttons (postback ``action=experts&gap=N&named=0|1``),
  or ``/ถามผู้รู้ คำถาม``; the 👎 reply points there too (``action=experts&article=N``).
* Experts, in the experts group: a quoted reply to the question's card, or ``/answer N คำตอบ``;
  the card's "ตอบ" and "ไม่ใช่เรื่องของเรา" buttons; ``/credit ชื่อ`` to be named on answers.
* The asker: 👍/👎 under the answer (``action=expert_feedback``).

Pushes (the card, the answer) are made after the event's commit, through the delivery pipeline.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from linebot.v3.messaging.models import Message, PostbackAction, QuickReplyItem, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import func, select

from bot.core.calendar import thai_digits
from handlers.context import HandlerContext
from kb.expert_questions import (
    ExpertQuestionError,
    create_question,
    credited_names,
    find_by_card_message,
    open_question_for,
    questions_asked_since,
    record_answer,
    set_credit,
    withdraw_credit,
)
from kb.tables import ExpertQuestion, KnowledgeGap
from scheduler import experts as expert_pushes
from scheduler.experts import EXPERTS

logger = logging.getLogger(__name__)

OFFER_ACTION = "experts"
OFFER_LABEL = "ส่งคำถามถึงผู้รู้"
OFFER_NAMED_LABEL = "ส่งพร้อมชื่อของฉัน"
OFFER_TEXT = "\n\nหากต้องการ กดปุ่ม \"ส่งคำถามถึงผู้รู้\" ด้านล่าง น้องบอทจะส่งคำถามนี้ให้ผู้รู้ในสำนักงานช่วยตอบ (ไม่ระบุชื่อผู้ถาม) ค่ะ"

SENT = ("ส่งคำถามถึงผู้รู้ในสำนักงานแล้วค่ะ ({who}) 📨 เมื่อมีผู้ตอบ "
        "น้องบอทจะส่งคำตอบมาให้ทางแชตกับน้องบอทนะคะ")
ALREADY_SENT = "คำถามนี้ส่งถึงผู้รู้ไว้แล้วค่ะ กำลังรอคำตอบอยู่ เมื่อมีผู้ตอบน้องบอทจะส่งมาให้ทันทีนะคะ"
NO_EXPERTS = "ขออภัยค่ะ ตอนนี้สำนักงานยังไม่ได้ตั้งกลุ่มผู้รู้ไว้ จึงยังส่งคำถามถึงผู้รู้ไม่ได้ น้องบอทบันทึกคำถามไว้ให้คณะทำงาน KM แล้วค่ะ"
NO_ASKER = ("ขออภัยค่ะ LINE ไม่ได้แจ้งว่าใครเป็นผู้ถาม น้องบอทจึงส่งคำตอบกลับไปไม่ได้ "
            "รบกวนพิมพ์ /ถามผู้รู้ ตามด้วยคำถาม ในแชต 1:1 กับน้องบอทนะคะ")
TOO_MANY = "ขออภัยค่ะ วันนี้ส่งคำถามถึงผู้รู้ครบ {limit} ข้อแล้ว รบกวนส่งเพิ่มพรุ่งนี้นะคะ"
GAP_GONE = "ขออภัยค่ะ น้องบอทหาคำถามนี้ไม่พบแล้ว รบกวนพิมพ์ /ถามผู้รู้ ตามด้วยคำถามได้เลยนะคะ"
HOW_TO_ASK = ("พิมพ์ /ถามผู้รู้ ตามด้วยคำถามได้เลยค่ะ เช่น \"/ถามผู้รู้ ขั้นตอนเบิกค่าเดินทางไปราชการมีอะไรบ้าง\" "
              "น้องบอทจะส่งถึงผู้รู้ในสำนักงานโดยไม่ระบุชื่อผู้ถามค่ะ")
NOT_UNDERSTOOD = "ขออภัยค่ะ น้องบอทอ่านปุ่มนี้ไม่ได้ ลองกดปุ่มล่าสุดอีกครั้งนะคะ"

ONLY_IN_EXPERTS_GROUP = "คำสั่งนี้ใช้ตอบคำถามในกลุ่มผู้รู้ค่ะ"
ANSWER_USAGE = "พิมพ์ /answer ตามด้วยเลขข้อและคำตอบค่ะ เช่น /answer ๑๒ ยื่นแบบได้ที่งานการเงินชั้น ๒"
NO_SUCH_QUESTION = "ไม่พบคำถามข้อ {number} ค่ะ"
FIRST_ANSWER = ("✅ บันทึกคำตอบข้อ {number} แล้ว และส่งถึงผู้ถามแล้วค่ะ ข้อนี้มีคำตอบแล้วนะคะ "
                "(คำตอบเพิ่มเติมจะเก็บไว้ประกอบบทความ) ขอบคุณที่ช่วยแบ่งปันความรู้ค่ะ 🙏")
LATER_ANSWER = "ข้อ {number} มีผู้ตอบแล้วค่ะ น้องบอทเก็บคำตอบนี้เป็นคำตอบเพิ่มเติมประกอบบทความให้แล้ว ขอบคุณค่ะ 🙏"
HOW_TO_ANSWER = ("ตอบข้อ {number} ได้โดยกดค้างที่ข้อความคำถาม แล้วเลือก \"ตอบกลับ\" (Reply) พิมพ์คำตอบ "
                 "หรือพิมพ์ /answer {id} ตามด้วยคำตอบค่ะ")
ALREADY_ANSWERED = "ข้อ {number} มีผู้ตอบแล้วค่ะ หากมีข้อมูลเพิ่มเติม ตอบกลับที่คำถามได้ จะเก็บเป็นคำตอบเพิ่มเติมค่ะ"
PASSED = "รับทราบค่ะ ข้อ {number} ยังเปิดไว้ให้ผู้รู้ท่านอื่น และคณะทำงาน KM จะเห็นว่ายังไม่มีผู้รับเรื่องนี้ค่ะ"

CREDIT_SET = "บันทึกแล้วค่ะ คำตอบของท่านจะแสดงชื่อ \"{name}\" และนับในการยกย่องชมเชยประจำปีค่ะ 🙏 (พิมพ์ /credit ลบ เพื่อยกเลิก)"
CREDIT_REMOVED = "ยกเลิกแล้วค่ะ คำตอบของท่านจะไม่แสดงชื่ออีก"
CREDIT_NONE = "ท่านยังไม่ได้ให้แสดงชื่อค่ะ"
CREDIT_OFF_WORDS = ("ลบ", "ยกเลิก", "off", "no")

THANKS_HELPFUL = "ขอบคุณค่ะ 😊 ดีใจที่คำตอบจากผู้รู้ช่วยได้ น้องบอทบันทึกไว้ให้คณะทำงาน KM เห็นแล้วค่ะ"
THANKS_UNHELPFUL = "ขอบคุณที่บอกนะคะ 🙏 น้องบอทบันทึกไว้ให้คณะทำงาน KM เห็นว่าคำตอบนี้ยังไม่ช่วย เพื่อติดตามต่อค่ะ"


# --- staff: asking ----------------------------------------------------------------------------


ADMIN_SIMULATOR = "admin"
SIMULATED_CARD_INTRO = "(ทดลองแชต: การ์ดนี้คือสิ่งที่กลุ่มผู้รู้จะเห็นใน LINE ตอบได้ที่นี่ด้วย /answer {id} คำตอบ)"
SIMULATED_ANSWER_INTRO = "(ทดลองแชต: ข้อความถัดไปคือสิ่งที่ผู้ถามจะได้รับใน LINE)"


def experts_group_exists(context: HandlerContext) -> bool:
    """Is there an experts group to ask? The secretary's simulator plays the group itself, so
    the whole loop can be tried there; the public simulator never offers it."""
    from bot.core.tables import ChatGroup

    if context.source.is_simulated:
        return context.source.kind == ADMIN_SIMULATOR
    return bool(context.session.scalar(
        select(func.count()).select_from(ChatGroup).where(ChatGroup.role == EXPERTS, ChatGroup.active.is_(True))
    ))


def offer_items(gap_id: int) -> list[QuickReplyItem]:
    """The fallback's two buttons: send without a name (first) or with one's LINE name."""
    return [
        QuickReplyItem(action=PostbackAction(label=OFFER_LABEL, data=f"action={OFFER_ACTION}&gap={gap_id}&named=0",
                                             display_text=OFFER_LABEL)),
        QuickReplyItem(action=PostbackAction(label=OFFER_NAMED_LABEL, data=f"action={OFFER_ACTION}&gap={gap_id}&named=1",
                                             display_text=OFFER_NAMED_LABEL)),
    ]


def unhelpful_offer(article_id: int) -> QuickReplyItem:
    return QuickReplyItem(action=PostbackAction(label=OFFER_LABEL, data=f"action={OFFER_ACTION}&article={article_id}",
                                                display_text=OFFER_LABEL))


def run_offer(data: dict[str, str], context: HandlerContext) -> list[Message]:
    """A press on "ส่งคำถามถึงผู้รู้"."""
    gap_text = _number(data.get("gap", ""))
    if gap_text is None:
        # From a 👎: the answer's question is not kept, so the person types it.
        return [TextMessage(text=HOW_TO_ASK)] if "article" in data else [TextMessage(text=NOT_UNDERSTOOD)]
    gap = context.session.get(KnowledgeGap, gap_text)
    if gap is None:
        return [TextMessage(text=GAP_GONE)]
    return send_question(gap.question, context, show_name=data.get("named") == "1")


def run_ask_command(arguments: str, context: HandlerContext) -> list[Message]:
    """`/ถามผู้รู้ คำถาม`: send a question straight to the experts, without a name."""
    if not arguments.strip():
        return [TextMessage(text=HOW_TO_ASK)]
    return send_question(arguments, context, show_name=False)


def send_question(question: str, context: HandlerContext, *, show_name: bool) -> list[Message]:
    if not experts_group_exists(context):
        return [TextMessage(text=NO_EXPERTS)]
    user = context.user
    if user is None:
        return [TextMessage(text=NO_ASKER)]
    if open_question_for(context.session, user.id, question) is not None:
        return [TextMessage(text=ALREADY_SENT)]
    limit = context.config.expert_questions_per_day
    if questions_asked_since(context.session, user.id, context.received_at - timedelta(days=1)) >= limit:
        context.record("rate_limited", detail={"limit": "expert_questions"})
        return [TextMessage(text=TOO_MANY.format(limit=thai_digits(limit)))]
    try:
        row = create_question(context.session, question, user.id, context.received_at, show_name=show_name)
    except ExpertQuestionError as error:
        return [TextMessage(text=str(error))]
    context.record("expert_question", detail={"question_id": row.id, "named": show_name})
    sent = [TextMessage(text=SENT.format(who="แสดงชื่อของท่าน" if show_name else "ไม่ระบุชื่อผู้ถาม"))]
    if context.source.kind == ADMIN_SIMULATOR:
        # Nothing leaves the simulator: the card is shown here instead of pushed.
        asker = "ผู้ทดลองผ่านหน้าเว็บ" if show_name else None
        return [*sent, TextMessage(text=SIMULATED_CARD_INTRO.format(id=row.id)),
                *expert_pushes.card_messages(row.id, row.question, asker)]
    where = context.source.chat_id if context.source.kind == "group" else None
    _after_commit(context, lambda: _push_card(context, row.id, user.line_user_id if show_name else None, where))
    return sent


def _push_card(context: HandlerContext, question_id: int, name_of: str | None, group_id: str | None) -> None:
    database, line = context.database, context.line
    if database is None or line is None:
        return
    if name_of:
        # Asked only with the asker's consent, and outside any transaction.
        name = line.display_name(name_of, group_id)
        with database.session() as session:
            question = session.get(ExpertQuestion, question_id)
            if question is not None and name:
                question.asker_name = name[:200]
    expert_pushes.send_card(database, line, question_id, context.received_at)


# --- experts: answering -----------------------------------------------------------------------


def in_experts_group(context: HandlerContext) -> bool:
    if context.source.kind == ADMIN_SIMULATOR:
        return True
    group = context.group
    return group is not None and group.role == EXPERTS


def run_answer_command(arguments: str, context: HandlerContext) -> list[Message]:
    """`/answer N คำตอบ`."""
    if not in_experts_group(context):
        return [TextMessage(text=ONLY_IN_EXPERTS_GROUP)]
    number_text, _, text = arguments.strip().partition(" ")
    question_id = _number(number_text)
    if question_id is None or not text.strip():
        return [TextMessage(text=ANSWER_USAGE)]
    question = context.session.get(ExpertQuestion, question_id)
    if question is None:
        return [TextMessage(text=NO_SUCH_QUESTION.format(number=thai_digits(question_id)))]
    return answer(question, text, context)


def answer_quoted(quoted_message_id: str, text: str, context: HandlerContext) -> list[Message] | None:
    """A quoted reply in the experts group to a question's card is an answer; None otherwise."""
    if not in_experts_group(context):
        return None
    question = find_by_card_message(context.session, quoted_message_id)
    if question is None:
        return None
    return answer(question, text, context)


def answer(question: ExpertQuestion, text: str, context: HandlerContext) -> list[Message]:
    user = context.user
    try:
        outcome = record_answer(context.session, question, user.id if user else None, text, context.received_at)
    except ExpertQuestionError as error:
        return [TextMessage(text=str(error))]
    number = thai_digits(question.id)
    context.record("expert_answer", article_id=outcome.article_id,
                   detail={"question_id": question.id, "first": outcome.first})
    if not outcome.first:
        return [TextMessage(text=LATER_ANSWER.format(number=number))]
    question_id = question.id
    confirmed = [TextMessage(text=FIRST_ANSWER.format(number=number))]
    if context.source.kind == ADMIN_SIMULATOR:
        names = credited_names(context.session, [user.id if user else None])
        expert = names.get(user.id) if user else None
        return [*confirmed, TextMessage(text=SIMULATED_ANSWER_INTRO),
                *expert_pushes.answer_messages(question.id, question.question, text.strip(), expert)]
    _after_commit(context, lambda: _push_answer(context, question_id))
    return confirmed


def _push_answer(context: HandlerContext, question_id: int) -> None:
    if context.database is not None and context.line is not None:
        expert_pushes.send_answer(context.database, context.line, question_id, context.received_at)


def _open_question(data: dict[str, str], context: HandlerContext) -> tuple[ExpertQuestion | None, list[Message]]:
    """The card's question if it is still open, else (None, the reply that says why not)."""
    question = _question(data, context)
    if question is None:
        return None, [TextMessage(text=NOT_UNDERSTOOD)]
    if question.status == "answered":
        return None, [TextMessage(text=ALREADY_ANSWERED.format(number=thai_digits(question.id)))]
    return question, []


def run_answer_button(data: dict[str, str], context: HandlerContext) -> list[Message]:
    """The card's "ตอบ": how to answer, or that the question is answered already."""
    question, refused = _open_question(data, context)
    if question is None:
        return refused
    return [TextMessage(text=HOW_TO_ANSWER.format(number=thai_digits(question.id), id=question.id))]


def run_pass_button(data: dict[str, str], context: HandlerContext) -> list[Message]:
    """The card's "ไม่ใช่เรื่องของเรา": counted, so the secretary sees what nobody takes on."""
    question, refused = _open_question(data, context)
    if question is None:
        return refused
    number = thai_digits(question.id)
    question.passes = (question.passes or 0) + 1
    context.record("expert_pass", detail={"question_id": question.id})
    return [TextMessage(text=PASSED.format(number=number))]


def run_credit_command(arguments: str, context: HandlerContext) -> list[Message]:
    """`/credit ชื่อ`: an expert agrees to be named on their answers; `/credit ลบ` withdraws."""
    user = context.user
    if user is None:
        return [TextMessage(text=NO_ASKER)]
    if arguments.strip().lower() in CREDIT_OFF_WORDS:
        removed = withdraw_credit(context.session, user.id)
        return [TextMessage(text=CREDIT_REMOVED if removed else CREDIT_NONE)]
    try:
        credit = set_credit(context.session, user.id, arguments, context.received_at)
    except ExpertQuestionError as error:
        return [TextMessage(text=str(error))]
    return [TextMessage(text=CREDIT_SET.format(name=credit.name))]


# --- the asker's word on the answer ---------------------------------------------------------


def run_feedback_button(data: dict[str, str], context: HandlerContext) -> list[Message]:
    question = _question(data, context)
    helpful = data.get("helpful", "")
    if question is None or helpful not in ("0", "1"):
        return [TextMessage(text=NOT_UNDERSTOOD)]
    user = context.user
    if user is None or question.asker_user_id != user.id:
        return [TextMessage(text=NOT_UNDERSTOOD)]
    context.record("expert_feedback", value=int(helpful), article_id=question.article_id,
                   detail={"question_id": question.id})
    return [TextMessage(text=THANKS_HELPFUL if helpful == "1" else THANKS_UNHELPFUL)]


# --- the parts --------------------------------------------------------------------------------


def _number(text: str) -> int | None:
    digits = thai_digit_to_arabic_digit(text or "").strip()
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def _question(data: dict[str, str], context: HandlerContext) -> ExpertQuestion | None:
    question_id = _number(data.get("q", ""))
    return context.session.get(ExpertQuestion, question_id) if question_id is not None else None


def _after_commit(context: HandlerContext, task: Callable[[], None]) -> None:
    """Pushes wait for the event's commit: no network call inside its transaction."""
    context.after_commit.append(task)
