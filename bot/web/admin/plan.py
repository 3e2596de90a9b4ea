"""The KM plan's activities as the secretary follows them: dates in Thai, status, reminders, evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import (
    convert_digits,
    format_thai_datetime,
    resolve_period,
    today,
)
from bot.web.admin import blueprint
from bot.web.extensions import get_database
from kb.plan_store import activity_dates_thai, activity_number
from kb.tables import Activity, Plan
from scheduler.deliveries import REMINDER
from scheduler.tables import Delivery

STATUS_NAMES = {"pending": "ยังไม่เสร็จ", "done": "เสร็จแล้ว"}


@dataclass(frozen=True)
class ReminderSummary:
    sent: int
    last_sent_at: datetime | None


def reminder_summaries(session: Session, activity_ids: list[int]) -> dict[int, ReminderSummary]:
    """Per activity: how many reminders went out (one per group) and when the latest did."""
    if not activity_ids:
        return {}
    rows = session.execute(
        select(Delivery.activity_id, func.count(), func.max(Delivery.sent_at))
        .where(Delivery.purpose == REMINDER, Delivery.activity_id.in_(activity_ids), Delivery.state == "sent")
        .group_by(Delivery.activity_id)
    )
    return {activity_id: ReminderSummary(int(count), last) for activity_id, count, last in rows}


@blueprint.get("/plan")
def plan() -> str:
    with get_database().session() as session:
        years = sorted(set(session.scalars(select(Plan.fiscal_year).distinct())), reverse=True)
        fiscal_year = resolve_period(request.args.get("fiscal_year", ""), available=years).fiscal_year
        plans = session.scalars(
            select(Plan).where(Plan.fiscal_year == fiscal_year).order_by(Plan.number).options(selectinload(Plan.activities))
        ).all()
        summaries = reminder_summaries(session, [activity.id for item in plans for activity in item.activities])
        plan_views = [
            {
                "number": item.number,
                "topic": item.knowledge_topic,
                "unit": item.unit,
                "done": sum(1 for activity in item.activities if activity.status == "done"),
                "activities": [_activity_view(activity, summaries.get(activity.id)) for activity in item.activities],
            }
            for item in plans
        ]
    return render_template("admin/plan.html", plans=plan_views, fiscal_year=fiscal_year, years=years)


def _activity_view(activity: Activity, reminders: ReminderSummary | None) -> dict[str, object]:
    overdue = activity.status != "done" and activity.deadline is not None and activity.deadline < today()
    return {
        "id": activity.id,
        "step": activity.step,
        # The number /done, /plan, the reminders and the CLI use too (not the row's place in the plan).
        "number": activity_number(activity),
        "name": activity.name,
        # Arabic digits, like every other figure on these pages.
        "dates": convert_digits(activity_dates_thai(activity), "arabic"),
        "period_text": activity.period_text,
        "status": activity.status,
        "status_name": "เลยกำหนด" if overdue else STATUS_NAMES.get(activity.status, activity.status),
        "overdue": overdue,
        "done_at": format_thai_datetime(activity.done_at, "arabic") if activity.done_at else "",
        "evidence_note": activity.evidence_note or "",
        "evidence": activity.evidence,
        "indicator": activity.indicator,
        "target": activity.target,
        "responsible": activity.responsible,
        "reminders_sent": reminders.sent if reminders else 0,
        "last_reminder": format_thai_datetime(reminders.last_sent_at, "arabic") if reminders and reminders.last_sent_at else "",
    }
