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

Only `handlers.commands` declares who may run it (its role check covers the button too).
"""

from __future__ import annotations

import re

from linebot.v3.messaging.models import Message, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy.orm import Session

from bot.core.calendar import (
    format_thai_date,
    format_thai_datetime,
    resolve_period,
    thai_digits,
    to_bangkok,
)
from bot.core.steps import STEP_CODE, code_of
from bot.core.text import shorten
from handlers.context import HandlerContext
from kb.plan_store import (
    activity_label,
    find_activities_by_step,
    mark_activity_done,
    refresh_plan_article,
)
from kb.tables import Activity

REFUSAL = (
    "ขออภัยค่ะ การบันทึกว่ากิจกรรมตามแผน KM ทำแล้ว สงวนไว้สำหรับกรรมการ KM และเลขานุการเท่านั้น "
    "หากท่านเป็นกรรมการ โปรดแจ้งเลขานุการให้เพิ่มสิทธิ์ก่อนนะคะ 🙏"
)
USAGE = (
    "พิมพ์ /done ตามด้วยเลขกิจกรรมหรือรหัสขั้นตอนได้เลยค่ะ เช่น /done 12 หรือ /done KMP5 "
    "และพิมพ์หลักฐานต่อท้ายได้ เช่น /done 12 รายงานการประชุมครั้งที่ 2/2567\n"
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
    return [TextMessage(text=mark_done(activity, note, context))]


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


def mark_done(activity: Activity, note: str | None, context: HandlerContext) -> str:
    label = activity_label(activity)
    where = f"แผนที่ {thai_digits(activity.plan.number)} ปีงบประมาณ {thai_digits(activity.plan.fiscal_year)}"
    if activity.status == "done":
        when = format_thai_date(to_bangkok(activity.done_at).date()) if activity.done_at else "ก่อนหน้านี้"
        if note:
            # Already done: a note typed now adds the evidence without changing who or when.
            activity.evidence_note = note
            context.session.flush()
            refresh_plan_article(context.session, activity.plan)
            return f"บันทึกหลักฐานของ {label} ({where}) เพิ่มแล้วค่ะ ✅\nหลักฐาน: {note}"
        return f"{label} ({where}) บันทึกว่าทำแล้วตั้งแต่ {when} ค่ะ"
    user = context.user
    mark_activity_done(
        context.session, activity, user_id=user.id if user is not None else None, note=note, at=context.received_at
    )
    lines = [
        f"บันทึกแล้วค่ะ ✅ {label} ({where}) ทำเสร็จเมื่อ {format_thai_datetime(context.received_at)}",
        "การแจ้งเตือนที่เหลือของกิจกรรมนี้ยกเลิกแล้วนะคะ",
    ]
    if note:
        lines.append(f"หลักฐาน: {note}")
    else:
        lines.append(f"หากมีหลักฐาน พิมพ์ /done {activity.id} ตามด้วยรายละเอียดเพื่อบันทึกเพิ่มได้ค่ะ")
    return "\n".join(lines)
