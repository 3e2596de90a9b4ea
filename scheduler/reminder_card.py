"""The Flex message a reminder becomes in the committee's LINE group, and the daily digest:
every reminder due for a group at one tick in one message."""

from __future__ import annotations

import json
from dataclasses import dataclass
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


def reminder_title(kind: str, deadline: date, reminder_day: date, start: date | None = None) -> str:
    """The card's headline, from the days actually left on the day it is sent: a reminder moved
    off a weekend or a holiday, or into the week's look-ahead on Monday, must not say "พรุ่งนี้"
    when the deadline is three days away, nor "อีก ๗ วัน" when it is nine."""
    if kind == "start":
        days_to_start = (start - reminder_day).days if start is not None else 0
        if days_to_start == 1:
            return "พรุ่งนี้เริ่มกิจกรรม"
        if days_to_start > 1:
            return f"อีก {thai_digits(days_to_start)} วันเริ่มกิจกรรม"
        return "เริ่มกิจกรรม"
    days_left = (deadline - reminder_day).days
    if kind == "overdue" or days_left < 0:
        return f"เลยกำหนดแล้ว {thai_digits(-days_left)} วัน" if days_left < 0 else "เลยกำหนดแล้ว"
    if days_left == 0:
        return "วันนี้ครบกำหนด"
    if days_left == 1:
        return "พรุ่งนี้ถึงกำหนด"
    return f"อีก {thai_digits(days_left)} วันถึงกำหนด"


# LINE's carousel (Messaging API reference, #f-carousel): at most 12 bubbles and 50 KB of JSON.
CAROUSEL_BUBBLES = 12
CAROUSEL_BYTES = 50 * 1024
# Kept under the limit with room for what the SDK adds when it serialises the message.
CAROUSEL_BUDGET = CAROUSEL_BYTES - 4 * 1024
# Lines the summary bubble lists by name; the rest are counted ("และอีก N รายการ").
SUMMARY_LINES = 30
SUMMARY_NAME_LIMIT = 60


@dataclass(frozen=True)
class DigestEntry:
    """One reminder of a digest: the activity, the reminder's kind, the day it is sent (the
    headline counts the days left from it), and its plan."""

    activity: Activity
    kind: str
    reminder_day: date
    plan_number: int | None = None
    plan_name: str | None = None


def plan_heading(plan_number: int | None, plan_name: str | None) -> str:
    """"แผนที่ ๒ การจัดการความรู้ด้านงบประมาณ": the plan's number and its knowledge topic."""
    number = thai_digits(f"แผนที่ {plan_number}") if plan_number is not None else ""
    name = shorten(plan_name, 60) if plan_name and plan_name.strip() else ""
    return " ".join(part for part in (number, name) if part)


def digest_messages(entries: list[DigestEntry]) -> list[Message]:
    """Every reminder due for one group at one tick as one message, in deadline order.

    One reminder is its own bubble (as it always was). Several are a carousel of their bubbles,
    each with its plan's name; past what a carousel holds (12 bubbles, 50 KB) the last bubble
    is a summary listing the rest, so the group still gets one push.
    """
    assert entries, "a digest has at least one reminder"
    ordered = sorted(entries, key=lambda entry: (entry.activity.deadline or date.max, entry.activity.step or "", entry.activity.id))
    if len(ordered) == 1:
        entry = ordered[0]
        return reminder_messages(entry.activity, entry.kind, entry.reminder_day, entry.plan_number, entry.plan_name)
    bubbles = [_entry_bubble(entry) for entry in ordered]
    shown = min(len(bubbles), CAROUSEL_BUBBLES)
    if shown < len(bubbles):
        shown = CAROUSEL_BUBBLES - 1
    while shown > 1 and _size(bubbles[:shown] + _summary(ordered[shown:])) > CAROUSEL_BUDGET:
        shown -= 1
    contents = bubbles[:shown] + _summary(ordered[shown:])
    first = ordered[0].activity
    assert first.deadline is not None
    alt_text = shorten(
        f"แจ้งเตือนแผน KM {thai_digits(len(ordered))} รายการ: "
        + "; ".join(
            f"{reminder_title(entry.kind, entry.activity.deadline, entry.reminder_day, entry.activity.start)} – {activity_label(entry.activity)}"
            for entry in ordered
            if entry.activity.deadline is not None
        ),
        ALT_TEXT_LIMIT,
    )
    return [FlexMessage(alt_text=alt_text, contents=FlexContainer.from_dict({"type": "carousel", "contents": contents}))]


def _entry_bubble(entry: DigestEntry) -> dict[str, Any]:
    deadline = entry.activity.deadline
    assert deadline is not None, "reminders are planned only for activities with a deadline"
    title = reminder_title(entry.kind, deadline, entry.reminder_day, entry.activity.start)
    return reminder_bubble(entry.activity, entry.kind, title, entry.plan_number, entry.plan_name)


def _size(bubbles: list[dict[str, Any]]) -> int:
    carousel = {"type": "carousel", "contents": bubbles}
    return len(json.dumps(carousel, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _summary(rest: list[DigestEntry]) -> list[dict[str, Any]]:
    """The last bubble when a carousel cannot hold them all: the rest by name and deadline."""
    if not rest:
        return []
    lines: list[dict[str, Any]] = []
    for entry in rest[:SUMMARY_LINES]:
        deadline = entry.activity.deadline
        assert deadline is not None
        lines.append({
            "type": "text",
            "text": shorten(f"• {activity_label(entry.activity)}", SUMMARY_NAME_LIMIT),
            "size": "sm",
            "wrap": True,
        })
        lines.append({
            "type": "text",
            "text": f"{reminder_title(entry.kind, deadline, entry.reminder_day, entry.activity.start)} · ครบกำหนด {format_thai_date(deadline)}"
            + (f" · {thai_digits(f'แผนที่ {entry.plan_number}')}" if entry.plan_number is not None else ""),
            "size": "xs",
            "color": "#7F8C8D",
            "wrap": True,
        })
    if len(rest) > SUMMARY_LINES:
        lines.append({"type": "text", "text": f"และอีก {thai_digits(len(rest) - SUMMARY_LINES)} รายการ", "size": "sm", "wrap": True})
    return [{
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": "#1B4F72",
            "contents": [
                {"type": "text", "text": "แจ้งเตือนแผนการจัดการความรู้", "size": "xs", "color": "#FFFFFF"},
                {"type": "text", "text": f"อีก {thai_digits(len(rest))} รายการวันนี้", "weight": "bold", "size": "lg", "color": "#FFFFFF", "wrap": True},
            ],
        },
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": lines},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "secondary",
                    "height": "sm",
                    "action": {"type": "postback", "label": "ดูกิจกรรมที่ใกล้ครบกำหนด", "data": "action=ask&q=/plan", "displayText": "/plan"},
                },
            ],
        },
    }]


def reminder_messages(
    activity: Activity, kind: str, reminder_day: date, plan_number: int | None = None, plan_name: str | None = None
) -> list[Message]:
    """One Flex bubble for the reminder, with a plain-text alternative for notifications."""
    deadline = activity.deadline
    assert deadline is not None, "reminders are planned only for activities with a deadline"
    title = reminder_title(kind, deadline, reminder_day, activity.start)
    label = activity_label(activity)
    alt_text = shorten(f"แจ้งเตือนแผน KM: {title} – {label} (กำหนดเสร็จ {format_thai_date(deadline)})", ALT_TEXT_LIMIT)
    bubble = reminder_bubble(activity, kind, title, plan_number, plan_name)
    return [FlexMessage(alt_text=alt_text, contents=FlexContainer.from_dict(bubble))]


def reminder_bubble(
    activity: Activity, kind: str, title: str, plan_number: int | None = None, plan_name: str | None = None
) -> dict[str, Any]:
    deadline = activity.deadline
    assert deadline is not None
    accent = ACCENT_BY_KIND.get(kind, "#1B4F72")
    label = " ".join(part for part in (activity.step, shorten(activity.name, NAME_LIMIT)) if part)
    where = plan_heading(plan_number, plan_name)
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
        body.append({"type": "text", "text": where, "size": "xs", "color": "#7F8C8D", "margin": "xs", "wrap": True})
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
