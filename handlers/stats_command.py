"""`/stats` (สถิติ, รายงาน): this fiscal year's reach at a glance, for the secretary and committee.

Who may see it is a person's own role (`kmbot users grant`, or a registration code), as for
`/done`: being in the committee's group is not enough.
"""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging.models import FlexContainer, FlexMessage, Message, TextMessage

from bot.core.calendar import (
    convert_digits,
    fiscal_year_of,
    format_thai_datetime,
    to_bangkok,
)
from bot.reach.figures import ReachReport
from bot.reach.queries import collect_report
from handlers.context import HandlerContext

ALLOWED_ROLES = ("secretary", "committee")
REPORT_PATH = "/admin/reach"

REFUSAL = (
    "ขออภัยค่ะ สรุปสถิติการใช้งานเปิดให้เฉพาะเลขานุการและกรรมการ KM นะคะ "
    "หากต้องการข้อมูล โปรดติดต่อเลขานุการได้เลยค่ะ 🙏"
)


def _thai(value: object) -> str:
    return convert_digits(str(value), "thai")


def _percent_text(value: float | None) -> str:
    return "ยังไม่มีข้อมูล" if value is None else f"ร้อยละ {_thai(f'{value:g}')}"


def run(arguments: str, context: HandlerContext) -> list[Message]:
    if context.user is None or context.user_role not in ALLOWED_ROLES:
        return [TextMessage(text=REFUSAL)]
    fiscal_year = fiscal_year_of(to_bangkok(context.received_at).date())
    report = collect_report(context.session, fiscal_year, staff_count=context.config.staff_count)
    report_url = f"{context.base_url.rstrip('/')}{REPORT_PATH}" if context.base_url else None
    return [FlexMessage(alt_text=summary_text(report), contents=FlexContainer.from_dict(stats_bubble(report, report_url)))]


def summary_text(report: ReachReport) -> str:
    """The card's alt text: what a notification or an old LINE version shows."""
    totals = report.totals
    return (
        f"สรุปการใช้งาน ปีงบประมาณ {_thai(report.fiscal_year)}: คำถาม {_thai(totals.questions)} ครั้ง "
        f"ตอบได้ {_percent_text(totals.answer_rate)} ผู้ใช้งาน {_thai(totals.distinct_users)} คน"
    )[:400]


def stats_rows(report: ReachReport) -> list[tuple[str, str]]:
    totals = report.totals
    staff = (
        f"{_thai(totals.distinct_users)} คน ({_percent_text(report.staff_reached_percent)} จาก {_thai(report.staff_count)} คน)"
        if report.staff_count
        else f"{_thai(totals.distinct_users)} คน"
    )
    satisfaction = _percent_text(totals.satisfaction_percent)
    if totals.survey_responses:
        satisfaction += f" ({_thai(totals.survey_responses)} คน)"
    return [
        ("คำถาม", f"{_thai(totals.questions)} ครั้ง"),
        ("ตอบได้", _percent_text(totals.answer_rate)),
        ("บุคลากรที่ใช้งาน", staff),
        ("เปิดอ่านบทความ", f"{_thai(totals.article_views)} ครั้ง"),
        ("ความพึงพอใจ (๔–๕ คะแนน)", satisfaction),
        ("ส่งข้อความถึงกลุ่ม", f"{_thai(totals.pushes)} ครั้ง (ผู้รับ {_thai(totals.push_recipients)} คน)"),
        ("คำถามที่ยังตอบไม่ได้", f"{_thai(report.open_gaps)} เรื่อง"),
    ]


def stats_bubble(report: ReachReport, report_url: str | None) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {
            "type": "box", "layout": "horizontal", "margin": "md",
            "contents": [
                {"type": "text", "text": label, "size": "sm", "color": "#566573", "flex": 5, "wrap": True},
                {"type": "text", "text": value, "size": "sm", "weight": "bold", "align": "end", "flex": 6, "wrap": True},
            ],
        }
        for label, value in stats_rows(report)
    ]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "header": {
            "type": "box", "layout": "vertical", "backgroundColor": "#1B4F72",
            "contents": [
                {"type": "text", "text": "📊 สรุปการใช้งานน้องบอท KM", "weight": "bold", "color": "#FFFFFF", "size": "md"},
                {"type": "text", "text": f"ปีงบประมาณ {_thai(report.fiscal_year)}", "color": "#D6EAF8", "size": "sm"},
            ],
        },
        "body": {
            "type": "box", "layout": "vertical",
            "contents": [
                *rows,
                {"type": "separator", "margin": "lg"},
                {"type": "text", "text": f"ข้อมูล ณ {format_thai_datetime(report.generated_at)}", "size": "xxs",
                 "color": "#7F8C8D", "margin": "md", "wrap": True},
            ],
        },
    }
    if report_url:
        bubble["footer"] = {
            "type": "box", "layout": "vertical",
            "contents": [{"type": "button", "style": "primary", "height": "sm", "color": "#1B4F72",
                          "action": {"type": "uri", "label": "ดูรายงานฉบับเต็ม", "uri": report_url}}],
        }
    return bubble
