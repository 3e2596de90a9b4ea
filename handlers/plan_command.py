"""`/plan` (แผน, งาน, กำหนดส่ง): the plan activities to follow up next, overdue first."""

from __future__ import annotations

import re
from datetime import date

from linebot.v3.messaging.models import Message, TextMessage
from pythainlp.util import thai_digit_to_arabic_digit
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import (
    format_thai_date,
    resolve_period,
    thai_digits,
    today,
)
from bot.core.line_client import TEXT_LIMIT
from bot.core.text import shorten
from handlers.context import HandlerContext
from kb.plan_store import activity_label
from kb.tables import Activity, Plan

MAX_LISTED = 10

NO_PLAN_REPLY = "ยังไม่มีแผน KM ในระบบค่ะ เมื่อเลขานุการนำเข้าแผนแล้ว พิมพ์ /plan อีกครั้งได้เลยนะคะ"


def days_left_text(deadline: date, on: date) -> str:
    days = (deadline - on).days
    if days < 0:
        return f"เลยกำหนดมา {thai_digits(-days)} วัน"
    if days == 0:
        return "ครบกำหนดวันนี้"
    if days == 1:
        return "ครบกำหนดพรุ่งนี้"
    return f"อีก {thai_digits(days)} วัน"


def chosen_fiscal_year(session: Session, wanted: int | None, on: date) -> int | None:
    """The asked-for year, else the current fiscal year if a plan exists for it, else the latest."""
    years = set(session.scalars(select(Plan.fiscal_year)))
    if not years:
        return None
    return resolve_period(wanted, available=years, on=on).fiscal_year


def run(arguments: str, context: HandlerContext) -> list[Message]:
    on = today()
    wanted_match = re.search(r"\b(25\d\d)\b", thai_digit_to_arabic_digit(arguments))
    fiscal_year = chosen_fiscal_year(context.session, int(wanted_match.group(1)) if wanted_match else None, on)
    if fiscal_year is None:
        return [TextMessage(text=NO_PLAN_REPLY)]
    activities = list(
        context.session.scalars(
            select(Activity)
            .join(Plan)
            .where(Plan.fiscal_year == fiscal_year)
            .options(selectinload(Activity.plan))
            .order_by(Plan.number, Activity.position)
        )
    )
    return [TextMessage(text=plan_text(activities, fiscal_year, on))]


def plan_text(activities: list[Activity], fiscal_year: int, on: date) -> str:
    open_activities = [activity for activity in activities if activity.status != "done"]
    dated = sorted(
        (activity for activity in open_activities if activity.deadline is not None),
        key=lambda activity: (activity.deadline, activity.plan.number, activity.position),
    )
    undated = [activity for activity in open_activities if activity.deadline is None]
    heading = f"📋 กิจกรรมตามแผน KM ปีงบประมาณ {thai_digits(fiscal_year)}"
    if not open_activities:
        return f"{heading}\nทำครบทุกกิจกรรมแล้วค่ะ ขอบคุณคณะทำงานทุกท่านนะคะ 🎉"
    overdue = [activity for activity in dated if activity.deadline < on]
    upcoming = [activity for activity in dated if activity.deadline >= on]
    listed_overdue = overdue[:MAX_LISTED]
    listed_upcoming = upcoming[: MAX_LISTED - len(listed_overdue)]
    lines = [f"{heading} ที่ต้องติดตามค่ะ"]
    if listed_overdue:
        lines.append("\n⚠️ เลยกำหนดแล้ว")
        lines.extend(_item_lines(activity, on) for activity in listed_overdue)
    if listed_upcoming:
        lines.append("\n📅 ใกล้ถึงกำหนด")
        lines.extend(_item_lines(activity, on) for activity in listed_upcoming)
    hidden = len(dated) - len(listed_overdue) - len(listed_upcoming)
    if hidden:
        lines.append(f"\nและอีก {thai_digits(hidden)} กิจกรรมที่กำหนดส่งถัดไป")
    if undated:
        names = ", ".join(f"{activity.step or activity.name} แผนที่ {thai_digits(activity.plan.number)}" for activity in undated)
        lines.append(f"\n❔ ยังไม่ได้กำหนดวัน {thai_digits(len(undated))} กิจกรรม ({names}) รอเลขานุการกำหนดวันค่ะ")
    lines.append("\nกรรมการ KM บันทึกว่าทำแล้วได้ด้วย /done ตามด้วยเลขกิจกรรม เช่น "
                 f"/done {(listed_overdue or listed_upcoming or undated)[0].id} ค่ะ")
    return shorten("\n".join(lines), TEXT_LIMIT, squeeze=False)


def _item_lines(activity: Activity, on: date) -> str:
    assert activity.deadline is not None
    label = shorten(activity_label(activity), 200)
    continuing = " (ทำต่อเนื่อง)" if activity.open_ended else ""
    return (
        f"• [{activity.id}] {label} – แผนที่ {thai_digits(activity.plan.number)}\n"
        f"   ครบกำหนด {format_thai_date(activity.deadline)}{continuing} · {days_left_text(activity.deadline, on)}"
    )
