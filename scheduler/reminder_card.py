"""The Flex message a reminder becomes in the committee's LINE group."""

from __future__ import annotations

from datetime import date
from typing import Any

from linebot.v3.messaging.models import FlexContainer, FlexMessage, Message

from bot.core.calendar import format_thai_date, thai_digits
from bot.core.text import shorten
from kb.plan_store import activity_label
from kb.tables import Activity

# LINE's limits: alt text 400 characters; a button label 20 (the postback's display text 300).
ALT_TEXT_LIMIT = 400
FIELD_LIMIT = 300
NAME_LIMIT = 120

ACCENT_BY_KIND = {
    "start": "#1B4F72",
    "before_7d": "#1B4F72",
    "before_1d": "#B9770E",
    "due": "#B9770E",
    "overdue": "#A93226",
}


def reminder_title(kind: str, deadline: date, reminder_day: date) -> str:
    """The card's headline, from the days actually left: a reminder moved off a weekend or a
    holiday must not say "พรุ่งนี้" when the deadline is three days away."""
    if kind == "start":
        return "เริ่มกิจกรรม"
    days_left = (deadline - reminder_day).days
    if kind == "overdue" or days_left < 0:
        return f"เลยกำหนดแล้ว {thai_digits(-days_left)} วัน" if days_left < 0 else "เลยกำหนดแล้ว"
    if days_left == 0:
        return "วันนี้ครบกำหนด"
    if days_left == 1:
        return "พรุ่งนี้ถึงกำหนด"
    return f"อีก {thai_digits(days_left)} วันถึงกำหนด"


def reminder_messages(activity: Activity, kind: str, reminder_day: date, plan_number: int | None = None) -> list[Message]:
    """One Flex bubble for the reminder, with a plain-text alternative for notifications."""
    deadline = activity.deadline
    assert deadline is not None, "reminders are planned only for activities with a deadline"
    title = reminder_title(kind, deadline, reminder_day)
    label = activity_label(activity)
    alt_text = shorten(f"แจ้งเตือนแผน KM: {title} – {label} (กำหนดเสร็จ {format_thai_date(deadline)})", ALT_TEXT_LIMIT)
    bubble = reminder_bubble(activity, kind, title, plan_number)
    return [FlexMessage(alt_text=alt_text, contents=FlexContainer.from_dict(bubble))]


def reminder_bubble(activity: Activity, kind: str, title: str, plan_number: int | None = None) -> dict[str, Any]:
    deadline = activity.deadline
    assert deadline is not None
    accent = ACCENT_BY_KIND.get(kind, "#1B4F72")
    label = " ".join(part for part in (activity.step, shorten(activity.name, NAME_LIMIT)) if part)
    where = thai_digits(f"แผนที่ {plan_number}") if plan_number is not None else ""
    deadline_text = format_thai_date(deadline)
    if activity.open_ended:
        deadline_text += " (ทำต่อเนื่องจนสิ้นปีงบประมาณ)"
    rows = [
        ("ครบกำหนด", deadline_text),
        ("ระยะเวลา", activity.period_text),
        ("ตัวชี้วัด", activity.indicator),
        ("เป้าหมาย", activity.target),
        ("ผู้รับผิดชอบ", activity.responsible),
        ("หลักฐาน", activity.evidence),
    ]
    body: list[dict[str, Any]] = [
        {"type": "text", "text": label, "weight": "bold", "size": "md", "wrap": True},
    ]
    if where:
        body.append({"type": "text", "text": where, "size": "xs", "color": "#7F8C8D", "margin": "xs"})
    body.append({"type": "separator", "margin": "md"})
    body.extend(_field_row(name, value) for name, value in rows if value and value.strip())
    done_label = f"ทำแล้ว: {activity.step or activity.name}"
    return {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": accent,
            "contents": [
                {"type": "text", "text": "แจ้งเตือนแผนการจัดการความรู้", "size": "xs", "color": "#FFFFFF"},
                {"type": "text", "text": title, "weight": "bold", "size": "lg", "color": "#FFFFFF", "wrap": True},
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {"type": "text", "text": "เมื่อดำเนินการเสร็จแล้ว กด “ทำแล้ว” เพื่อบันทึกได้เลยค่ะ", "size": "xs", "color": "#7F8C8D", "wrap": True},
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "color": accent,
                    "action": {
                        "type": "postback",
                        "label": "ทำแล้ว",
                        "data": f"action=done&activity={activity.id}",
                        "displayText": shorten(done_label, 300),
                    },
                },
            ],
        },
    }


def _field_row(name: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "sm",
        "margin": "sm",
        "contents": [
            {"type": "text", "text": name, "size": "xs", "color": "#7F8C8D", "flex": 2},
            {"type": "text", "text": shorten(value, FIELD_LIMIT), "size": "sm", "wrap": True, "flex": 5},
        ],
    }
