"""`/done <activity id or step> [evidence]` (ทำแล้ว, เสร็จแล้ว) and the reminder's "ทำแล้ว" button.

Who may mark an activity done: a person whose own role is ``committee`` or ``secretary``
(given with `kmbot users grant`). Being in the committee's LINE group is not enough: the bot
cannot tell a committee member from anyone else added to that group, and the plan's record of
who did what is audit evidence, so the right belongs to a person, not to a chat. The one
exception is an event LINE sends without a userId (a group message from LINE for PC, or a
button press LINE does not name the presser of): then the committee group itself is the
authority, and the activity is recorded as marked from that group (`handlers.commands.permitted`).

The activity is recorded with who marked it and when, plus any evidence note typed after the
id; its reminders from then on are cancelled (the sender and the preview skip done activities).
The day it was done may be given after the id (`/done 5 เมื่อ 12 มี.ค. 2567 ...`); otherwise it
is the moment of the command. Then the bot asks for the evidence: photos and files the same
person sends in the same chat within `Config.evidence_window_minutes` attach to the activity
(`handlers.evidence`).

Only `handlers.commands` declares who may run it (its role check covers the button too).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from linebot.v3.messaging.models import Message, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy.orm import Session

from bot.core.calendar import (
    BANGKOK,
    format_thai_date,
    format_thai_datetime,
    resolve_period,
    thai_digits,
    to_bangkok,
)
from bot.core.steps import STEP_CODE, code_of
from bot.core.text import shorten
from handlers.context import HandlerContext
from kb.evidence import ALLOWED_TEXT, ActivityKey, open_request
from kb.plan_store import (
    activity_label,
    find_activities_by_step,
    mark_activity_done,
    refresh_plan_article,
)
from kb.tables import Activity
from kb.thai_period import parse_period

REFUSAL = (
    "ขออภัยค่ะ การบันทึกว่ากิจกรรมตามแผน KM ทำแล้ว สงวนไว้สำหรับกรรมการ KM และเลขานุการเท่านั้น "
    "หากท่านเป็นกรรมการ โปรดแจ้งเลขานุการให้เพิ่มสิทธิ์ก่อนนะคะ 🙏"
)
USAGE = (
    "พิมพ์ /done ตามด้วยเลขกิจกรรมหรือรหัสขั้นตอนได้เลยค่ะ เช่น /done 12 หรือ /done KMP5 "
    "และพิมพ์หลักฐานต่อท้ายได้ เช่น /done 12 รายงานการประชุมครั้งที่ 2/2567\n"
    "หากทำเสร็จก่อนวันนี้ ระบุวันได้ เช่น /done 12 เมื่อ 12 มี.ค. 2567\n"
    "ดูเลขกิจกรรมได้ด้วยคำสั่ง /plan ค่ะ"
)
NOT_FOUND = "ไม่พบกิจกรรม “{written}” ในแผน KM ค่ะ พิมพ์ /plan เพื่อดูเลขกิจกรรมได้เลยนะคะ"
NOT_AN_ACTIVITY_NUMBER = (
    "เลขกิจกรรม “{written}” ยาวเกินกว่าจะเป็นเลขกิจกรรมในแผน KM ค่ะ "
    "พิมพ์ /plan เพื่อดูเลขกิจกรรม แล้วพิมพ์ /done ตามด้วยเลขนั้นได้เลยนะคะ"
)
# What is echoed back of what the person typed: enough to recognise it, never a wall of text.
ECHO_LIMIT = 40
# An evidence note is kept and echoed up to this many UTF-16 units (the reply stays well within
# LINE's 5,000 for a text message).
NOTE_LIMIT = 2000
# Activity ids are database integers; a longer number cannot be one (and must not reach the query).
MAX_ACTIVITY_DIGITS = 9

BAD_DONE_DATE = (
    "ขออภัยค่ะ อ่านวันที่ “{written}” ไม่ได้ โปรดเขียนวัน เดือน ปี พ.ศ. เช่น /done {activity} เมื่อ 12 มี.ค. 2567 "
    "ยังไม่ได้บันทึกอะไรนะคะ"
)
FUTURE_DONE_DATE = "ขออภัยค่ะ วันที่ {day} ยังมาไม่ถึง บันทึกว่าทำเสร็จล่วงหน้าไม่ได้ ยังไม่ได้บันทึกอะไรนะคะ"
ASK_FOR_EVIDENCE = (
    "📎 ส่งรูปถ่ายหรือไฟล์หลักฐานเป็น{kinds} ในแชตนี้ได้ภายใน {minutes} นาที "
    "น้องบอทจะแนบไว้กับกิจกรรมนี้ให้ค่ะ"
)
# "เมื่อ 12 มี.ค. 2567" or "วันที่ 12 มี.ค. 2567" right after the activity.
_WHEN = re.compile(r"^(?:เมื่อ(?:วันที่)?|วันที่)\s*")

_ACTIVITY_ID = re.compile(r"#?(\d+)(?!\d)")
_PLAN = re.compile(r"(?:แผน(?:ที่)?|plan)\s*(\d+)(?!\d)", re.IGNORECASE)


def run(arguments: str, context: HandlerContext) -> list[Message]:
    arguments = arguments.strip()
    if not arguments:
        return [TextMessage(text=USAGE)]
    found = find_activity(context.session, arguments)
    if isinstance(found, str):
        return [TextMessage(text=found)]
    activity, note = found
    when = split_done_date(note, activity.plan.fiscal_year, to_bangkok(context.received_at).date(), activity.id)
    if isinstance(when, str):
        return [TextMessage(text=when)]
    done_on, note = when
    return [TextMessage(text=mark_done(activity, note, context, done_on=done_on))]


def split_done_date(note: str, fiscal_year: int, today: date, activity_id: int = 0) -> tuple[date | None, str] | str:
    """The done day written at the start of the note ("เมื่อ 12 มี.ค. 2567") and the rest of the
    note; (None, note) when no day is written; a Thai reply when the day cannot be taken."""
    match = _WHEN.match(note)
    if match is None:
        return None, note
    words = note[match.end():].split()
    for count in (3, 2, 1):
        if len(words) < count:
            continue
        reading = parse_period(" ".join(words[:count]), fiscal_year=fiscal_year)
        if reading.certain and reading.deadline is not None and reading.start in (None, reading.deadline):
            if reading.deadline > today:
                return FUTURE_DONE_DATE.format(day=format_thai_date(reading.deadline))
            return reading.deadline, " ".join(words[count:])
    if words and thai_digit_to_arabic_digit(words[0])[:1].isdigit():
        return BAD_DONE_DATE.format(written=shorten(" ".join(words[:3]), ECHO_LIMIT), activity=activity_id)
    return None, note  # "เมื่อประชุม..." is a note that starts with the word, not a date


def run_from_postback(data: dict[str, str], context: HandlerContext) -> list[Message]:
    activity_id = thai_digit_to_arabic_digit(data.get("activity", "")).strip()
    valid = activity_id.isdigit() and len(activity_id) <= MAX_ACTIVITY_DIGITS
    activity = context.session.get(Activity, int(activity_id)) if valid else None
    if activity is None:
        return [TextMessage(text=NOT_FOUND.format(written=shorten(activity_id, ECHO_LIMIT) or "?"))]
    context.record("command", activity_id=activity.id, detail={"command": "done", "via": "button"})
    return [TextMessage(text=mark_done(activity, None, context))]


def find_activity(session: Session, arguments: str) -> tuple[Activity, str] | str:
    """The activity named at the start of ``arguments`` and the evidence note after it, or a
    reply explaining why none was chosen."""
    # Thai digits become Arabic one character for one, so positions match the original text.
    plain = thai_digit_to_arabic_digit(arguments)
    written = shorten(arguments.split()[0], ECHO_LIMIT)
    match = _ACTIVITY_ID.match(plain)
    if match:
        if len(match.group(1)) > MAX_ACTIVITY_DIGITS:
            return NOT_AN_ACTIVITY_NUMBER.format(written=written)
        activity = session.get(Activity, int(match.group(1)))
        if activity is None:
            return NOT_FOUND.format(written=written)
        return activity, shorten(arguments[match.end():].strip(), NOTE_LIMIT, squeeze=False)
    match = STEP_CODE.match(plain)
    if match is None:
        return NOT_FOUND.format(written=written)
    step = code_of(match)
    rest_start = match.end()
    plan_number = None
    plan_match = _PLAN.match(plain[rest_start:].lstrip())
    if plan_match:
        plan_number = int(plan_match.group(1))
        rest_start = len(plain) - len(plain[rest_start:].lstrip()) + plan_match.end()
    candidates = _current_candidates(find_activities_by_step(session, step, plan_number))
    if not candidates:
        return NOT_FOUND.format(written=shorten(arguments[: match.end()].strip(), ECHO_LIMIT))
    if len(candidates) > 1:
        choices = "\n".join(
            f"• /done {activity.id} – แผนที่ {thai_digits(activity.plan.number)} {activity.name}" for activity in candidates
        )
        return f"กิจกรรม {step} มีอยู่ในหลายแผนค่ะ โปรดพิมพ์เลขกิจกรรมที่ต้องการ:\n{choices}"
    return candidates[0], shorten(arguments[rest_start:].strip(), NOTE_LIMIT, squeeze=False)


def _current_candidates(activities: list[Activity]) -> list[Activity]:
    """Of one step's activities, those of the current fiscal year (or the latest imported)."""
    if not activities:
        return []
    year = resolve_period(available={activity.plan.fiscal_year for activity in activities}).fiscal_year
    return [activity for activity in activities if activity.plan.fiscal_year == year]


def done_moment(day: date) -> datetime:
    """A written done day as a moment: noon in Bangkok, so no viewer's time zone moves the day."""
    return datetime.combine(day, time(12, 0), tzinfo=BANGKOK)


def mark_done(activity: Activity, note: str | None, context: HandlerContext, *, done_on: date | None = None) -> str:
    label = activity_label(activity)
    where = f"แผนที่ {thai_digits(activity.plan.number)} ปีงบประมาณ {thai_digits(activity.plan.fiscal_year)}"
    if activity.status == "done":
        if done_on is not None:
            activity.done_at = done_moment(done_on)
        when = format_thai_date(to_bangkok(activity.done_at).date()) if activity.done_at else "ก่อนหน้านี้"
        if note or done_on is not None:
            # Already done: a note or a day typed now corrects the record without changing who.
            if note:
                activity.evidence_note = note
            context.session.flush()
            refresh_plan_article(context.session, activity.plan)
            lines = [f"บันทึกข้อมูลของ {label} ({where}) เพิ่มแล้วค่ะ ✅ ทำเสร็จเมื่อ {when}"]
            if note:
                lines.append(f"หลักฐาน: {note}")
        else:
            lines = [f"{label} ({where}) บันทึกว่าทำแล้วตั้งแต่ {when} ค่ะ"]
        lines += _ask_for_evidence(activity, context)
        return "\n".join(lines)
    user = context.user
    at = done_moment(done_on) if done_on is not None else context.received_at
    mark_activity_done(context.session, activity, user_id=user.id if user is not None else None, note=note, at=at)
    when = format_thai_date(done_on) if done_on is not None else format_thai_datetime(context.received_at)
    lines = [
        f"บันทึกแล้วค่ะ ✅ {label} ({where}) ทำเสร็จเมื่อ {when}",
        "การแจ้งเตือนที่เหลือของกิจกรรมนี้ยกเลิกแล้วนะคะ",
    ]
    if note:
        lines.append(f"หลักฐาน: {note}")
    asked = _ask_for_evidence(activity, context)
    if not asked and not note:
        lines.append(f"หากมีหลักฐาน พิมพ์ /done {activity.id} ตามด้วยรายละเอียดเพื่อบันทึกเพิ่มได้ค่ะ")
    return "\n".join(lines + asked)


def _ask_for_evidence(activity: Activity, context: HandlerContext) -> list[str]:
    """Open the window in which this person's files in this chat attach to the activity; the
    line asking for them (none in the simulators, which cannot send files)."""
    source = context.source
    chat_id = source.chat_id or source.user_id
    if source.is_simulated or not chat_id:
        return []
    user = context.user
    minutes = context.config.evidence_window_minutes
    open_request(context.session, ActivityKey.of(activity), chat_id=chat_id,
                 user_id=user.id if user is not None else None, at=context.received_at, minutes=minutes)
    return [ASK_FOR_EVIDENCE.format(kinds=ALLOWED_TEXT, minutes=thai_digits(minutes))]
