"""`/quiz` (แบบทดสอบ): the staff survey's understanding quiz, a few multiple-choice questions drawn
from the knowledge store (`kb.quiz`), answered with quick-reply buttons
(postback `action=quiz&n=<question>&a=<chosen article>`).

Each answer is logged as a `quiz_answer` (value 1 right, 0 wrong, the question in `detail`); a
person's latest answer to each question counts, so answering again changes it instead of
counting twice. The year's summary (people who took it, percent passing) is in the report.
"""

from __future__ import annotations

from linebot.v3.messaging.models import Message, PostbackAction, QuickReply, QuickReplyItem, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import select

from bot.core.calendar import resolve_period, thai_digits, to_bangkok
from bot.core.tables import InteractionEvent
from handlers.context import HandlerContext
from kb.quiz import QuizQuestion, quiz_for_year

LETTERS = ("ก", "ข", "ค", "ง")
INTRO = "แบบทดสอบความเข้าใจเรื่องการจัดการความรู้ {count} ข้อค่ะ 📝 เลือกคำตอบจากปุ่มด้านล่างได้เลยนะคะ"
NO_QUIZ = "ขออภัยค่ะ ตอนนี้คลังความรู้ยังมีเรื่องไม่พอสำหรับแบบทดสอบ คณะทำงาน KM กำลังเพิ่มอยู่นะคะ"
NO_PERSON = "ขออภัยค่ะ น้องบอทระบุผู้ตอบไม่ได้ ลองทำแบบทดสอบในแชต 1:1 กับน้องบอทนะคะ"
RIGHT = "ถูกต้องค่ะ ✅"
WRONG = "ยังไม่ถูกนะคะ คำตอบคือ “{title}” ค่ะ"
FINISHED = "ครบ {count} ข้อแล้วค่ะ ได้ {score} คะแนน ขอบคุณที่ร่วมทำแบบทดสอบนะคะ 🙏"
NOT_UNDERSTOOD = "ขออภัยค่ะ น้องบอทอ่านปุ่มนี้ไม่ได้ ลองพิมพ์ /quiz เพื่อเริ่มใหม่นะคะ"


def _year(context: HandlerContext) -> int:
    return resolve_period(on=to_bangkok(context.received_at).date()).fiscal_year


def _quiz(context: HandlerContext) -> list[QuizQuestion]:
    return quiz_for_year(context.session, _year(context))


def question_message(question: QuizQuestion, total: int) -> TextMessage:
    lines = [f"ข้อ {thai_digits(question.number)}/{thai_digits(total)}: คำถาม “{question.prompt}” "
             "หาคำตอบได้จากเรื่องใดในคลังความรู้คะ"]
    lines += [f"{LETTERS[index]}. {title}" for index, (_, title) in enumerate(question.choices)]
    buttons = [
        QuickReplyItem(action=PostbackAction(
            label=f"ตอบ {LETTERS[index]}", display_text=f"ข้อ {thai_digits(question.number)} ตอบ {LETTERS[index]}",
            data=f"action=quiz&n={question.number}&a={article_id}",
        ))
        for index, (article_id, _) in enumerate(question.choices)
    ]
    return TextMessage(text="\n".join(lines), quick_reply=QuickReply(items=buttons))


def run(arguments: str, context: HandlerContext) -> list[Message]:
    quiz = _quiz(context)
    if not quiz:
        return [TextMessage(text=NO_QUIZ)]
    return [TextMessage(text=INTRO.format(count=thai_digits(len(quiz)))), question_message(quiz[0], len(quiz))]


def run_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    number, chosen = (thai_digit_to_arabic_digit(data.get(name, "")).strip() for name in ("n", "a"))
    quiz = _quiz(context)
    if not (number.isdigit() and chosen.isdigit()) or not 1 <= int(number) <= len(quiz):
        return [TextMessage(text=NOT_UNDERSTOOD)]
    if context.user is None:
        return [TextMessage(text=NO_PERSON)]
    question = quiz[int(number) - 1]
    right = int(chosen) == question.article_id
    context.record("quiz_answer", value=int(right), article_id=question.article_id,
                   detail={"question": question.number, "of": len(quiz), "fiscal_year": _year(context)})
    title = next(title for article_id, title in question.choices if article_id == question.article_id)
    replies: list[Message] = [TextMessage(text=RIGHT if right else WRONG.format(title=title))]
    if question.number < len(quiz):
        replies.append(question_message(quiz[question.number], len(quiz)))
    else:
        context.session.flush()
        replies.append(TextMessage(text=FINISHED.format(count=thai_digits(len(quiz)),
                                                        score=thai_digits(_score(context, len(quiz))))))
    return replies


def _score(context: HandlerContext, length: int) -> int:
    """The person's right answers in this year's quiz, their latest answer to each question."""
    year = _year(context)
    latest: dict[int, int] = {}
    for detail, value in context.session.execute(
        select(InteractionEvent.detail, InteractionEvent.value)
        .where(InteractionEvent.kind == "quiz_answer", InteractionEvent.user_id == context.user.id)  # type: ignore[union-attr]
        .order_by(InteractionEvent.occurred_at, InteractionEvent.id)
    ):
        if isinstance(detail, dict) and detail.get("fiscal_year") == year and detail.get("of") == length:
            latest[int(detail.get("question", 0))] = int(value or 0)
    return sum(latest.values())
