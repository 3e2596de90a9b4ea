"""`/survey` (แบบสอบถาม, ประเมิน, ความพึงพอใจ): satisfaction from 1 to 5, then an optional comment.

The score comes from a quick-reply button (postback `action=survey&score=N`) or typed after
the command (`/survey 5`). Every answer is logged; the report counts each person's latest
answer in its period, so answering again changes one's score instead of voting twice.

Satisfaction with one KM step is asked and answered the same way with the step's code:
`/survey KMP6` asks, `/survey KMP6 4` answers (buttons `action=survey&score=N&step=KMP6`).
Those answers are `step_survey_answer` events, apart from the overall score the reach report
counts, so rating a step never replaces one's overall answer.

The comment is `/comment ข้อความ` (ความเห็น, ข้อเสนอแนะ): it is attached to the person's latest
answer of the current fiscal year. A command rather than "the next message" because in a
group the next message is usually not for the bot, and a later question must never be
mistaken for a comment.
"""

from __future__ import annotations

from datetime import datetime, time

from linebot.v3.messaging.models import (
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import select

from bot.core.calendar import (
    BANGKOK,
    fiscal_year_bounds,
    resolve_period,
    thai_digits,
    to_bangkok,
)
from bot.core.steps import STEP_CODE, STEPS, code_of, normalise_code
from bot.core.tables import InteractionEvent
from handlers.context import HandlerContext
from handlers.unsend import note_kept_text

MAX_COMMENT_LENGTH = 1000

SCORE_LABELS = {5: "5 มากที่สุด", 4: "4 มาก", 3: "3 ปานกลาง", 2: "2 น้อย", 1: "1 น้อยที่สุด"}

QUESTION = (
    "น้องบอทขอความเห็นสั้น ๆ ค่ะ 🙏\n"
    "ท่านพึงพอใจการใช้งานน้องบอทและคลังความรู้ KM ของหน่วยงานมากน้อยเพียงใดคะ\n"
    "(5 = มากที่สุด, 1 = น้อยที่สุด) เลือกจากปุ่มด้านล่างได้เลยค่ะ"
)
THANKS = (
    "ขอบคุณสำหรับคะแนน {score} ค่ะ 😊 ความเห็นของท่านช่วยให้คณะทำงาน KM ปรับปรุงได้ตรงจุดนะคะ\n"
    "หากมีข้อเสนอแนะเพิ่มเติม พิมพ์ /ความเห็น ตามด้วยข้อความได้เลยค่ะ (ไม่บังคับค่ะ)"
)
THANKS_AGAIN = (
    "ปรับคะแนนของท่านเป็น {score} เรียบร้อยแล้วค่ะ ขอบคุณนะคะ 😊\n"
    "หากมีข้อเสนอแนะเพิ่มเติม พิมพ์ /ความเห็น ตามด้วยข้อความได้เลยค่ะ"
)
NOT_A_SCORE = "ขออภัยค่ะ คะแนนต้องเป็นเลข ๑ ถึง ๕ ลองเลือกจากปุ่มด้านล่างได้เลยนะคะ"
COMMENT_USAGE = "พิมพ์ /ความเห็น ตามด้วยข้อเสนอแนะได้เลยค่ะ เช่น /ความเห็น อยากให้เพิ่มความรู้เรื่องการเขียนรายงาน KM"
COMMENT_NEEDS_SCORE = "ก่อนส่งข้อเสนอแนะ รบกวนให้คะแนนความพึงพอใจก่อนนะคะ 🙏 เลือกจากปุ่มด้านล่างได้เลยค่ะ"
COMMENT_THANKS = "ได้รับข้อเสนอแนะของท่านแล้วค่ะ ขอบคุณมากนะคะ 🙏 คณะทำงาน KM จะนำไปปรับปรุงต่อไปค่ะ"
NO_PERSON = "ขออภัยค่ะ น้องบอทระบุผู้ตอบไม่ได้ ลองตอบแบบสอบถามในแชต 1:1 กับน้องบอทนะคะ"


PUSH_INVITATION = (
    "📋 แบบสำรวจความคิดเห็นต่อการจัดการความรู้ (KM) ของหน่วยงาน ประจำปีค่ะ\n"
    "ใช้เวลาไม่ถึง ๑ นาที: ให้คะแนนความพึงพอใจจากปุ่มด้านล่าง แล้วพิมพ์ /quiz เพื่อทำแบบทดสอบความเข้าใจสั้น ๆ "
    "และ /ความเห็น ตามด้วยข้อเสนอแนะได้ค่ะ ขอบคุณทุกท่านนะคะ 🙏"
)


def survey_push_messages() -> list[Message]:
    """The survey as pushed once a year to the staff groups: the invitation and the score buttons."""
    return [TextMessage(text=PUSH_INVITATION), TextMessage(text=QUESTION, quick_reply=score_quick_reply())]


STEP_QUESTION = (
    "ท่านพึงพอใจขั้นตอน {step} {name} ของการจัดการความรู้ในหน่วยงานมากน้อยเพียงใดคะ\n"
    "(5 = มากที่สุด, 1 = น้อยที่สุด) เลือกจากปุ่มด้านล่างได้เลยค่ะ"
)
STEP_THANKS = "ขอบคุณสำหรับคะแนน {score} ของขั้นตอน {step} {name}ค่ะ 😊"
UNKNOWN_STEP = "ขออภัยค่ะ ไม่รู้จักขั้นตอน “{written}” ลองพิมพ์รหัสขั้นตอน เช่น /survey KMP6 ได้เลยค่ะ"


def score_quick_reply(step: str | None = None) -> QuickReply:
    suffix = f"&step={step}" if step else ""
    return QuickReply(items=[
        QuickReplyItem(action=PostbackAction(label=label, data=f"action=survey&score={score}{suffix}", display_text=label))
        for score, label in SCORE_LABELS.items()
    ])


def run(arguments: str, context: HandlerContext) -> list[Message]:
    """`/survey` asks; `/survey 4` answers at once; `/survey KMP6 [4]` is about one step."""
    typed = thai_digit_to_arabic_digit(arguments).strip()
    match = STEP_CODE.match(typed)
    if match:
        return _run_step(code_of(match), match.group(0), typed[match.end():].strip(), context)
    if not typed:
        return [TextMessage(text=QUESTION, quick_reply=score_quick_reply())]
    if typed not in ("1", "2", "3", "4", "5"):
        return [TextMessage(text=NOT_A_SCORE, quick_reply=score_quick_reply())]
    return record_score(int(typed), context, via="typed")


def _run_step(step: str, written: str, typed: str, context: HandlerContext) -> list[Message]:
    if step not in STEPS:
        return [TextMessage(text=UNKNOWN_STEP.format(written=written[:20]))]
    if not typed:
        return [TextMessage(text=STEP_QUESTION.format(step=step, name=STEPS[step].name), quick_reply=score_quick_reply(step))]
    if typed not in ("1", "2", "3", "4", "5"):
        return [TextMessage(text=NOT_A_SCORE, quick_reply=score_quick_reply(step))]
    return record_step_score(int(typed), step, context, via="typed")


def record_step_score(score: int, step: str, context: HandlerContext, *, via: str) -> list[Message]:
    if context.user is None:
        return [TextMessage(text=NO_PERSON)]
    context.record("step_survey_answer", value=score, detail={"via": via, "step": step})
    return [TextMessage(text=STEP_THANKS.format(score=thai_digits(score), step=step, name=STEPS[step].name))]


def run_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    score = thai_digit_to_arabic_digit(data.get("score", "")).strip()
    if data.get("step"):
        step = normalise_code(data["step"])
        if step is None:
            return [TextMessage(text=UNKNOWN_STEP.format(written=data["step"][:20]))]
        if score not in ("1", "2", "3", "4", "5"):
            return [TextMessage(text=NOT_A_SCORE, quick_reply=score_quick_reply(step))]
        return record_step_score(int(score), step, context, via="button")
    if score not in ("1", "2", "3", "4", "5"):
        return [TextMessage(text=NOT_A_SCORE, quick_reply=score_quick_reply())]
    return record_score(int(score), context, via="button")


def record_score(score: int, context: HandlerContext, *, via: str) -> list[Message]:
    if context.user is None:
        return [TextMessage(text=NO_PERSON)]
    answered_before = latest_answer_this_year(context) is not None
    context.record("survey_answer", value=score, detail={"via": via})
    template = THANKS_AGAIN if answered_before else THANKS
    return [TextMessage(text=template.format(score=thai_digits(score)))]


def latest_answer_this_year(context: HandlerContext) -> InteractionEvent | None:
    """The person's latest survey answer of the current fiscal year, if any."""
    user = context.user
    if user is None:
        return None
    first_day, _ = fiscal_year_bounds(resolve_period(on=to_bangkok(context.received_at).date()).fiscal_year)
    since = datetime.combine(first_day, time.min, tzinfo=BANGKOK)
    return context.session.scalars(
        select(InteractionEvent)
        .where(
            InteractionEvent.kind == "survey_answer",
            InteractionEvent.user_id == user.id,
            InteractionEvent.occurred_at >= since,
        )
        .order_by(InteractionEvent.occurred_at.desc(), InteractionEvent.id.desc())
        .limit(1)
    ).first()


def run_comment(arguments: str, context: HandlerContext) -> list[Message]:
    """`/comment ข้อความ`: kept with the person's latest answer (so it is removed with them)."""
    comment = " ".join(arguments.split())[:MAX_COMMENT_LENGTH]
    if not comment:
        return [TextMessage(text=COMMENT_USAGE)]
    answer = latest_answer_this_year(context)
    if answer is None:
        return [TextMessage(text=COMMENT_NEEDS_SCORE, quick_reply=score_quick_reply())]
    # A new dict, so the JSON column is seen as changed.
    answer.detail = {**(answer.detail or {}), "comment": comment, "commented_at": context.received_at.isoformat()}
    note_kept_text(context, "comment", answer.id)
    return [TextMessage(text=COMMENT_THANKS)]
