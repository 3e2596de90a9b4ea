"""The KM plan's activities as the secretary follows them: dates in Thai, status, reminders, evidence;
and the secretary's own changes without a terminal: importing a plan file (with a preview of
every activity and warning before anything is saved), setting an activity's dates, marking it
done and reopening it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from bot.core.calendar import (
    BANGKOK,
    convert_digits,
    format_thai_date,
    format_thai_datetime,
    now,
    resolve_period,
    today,
)
from bot.web.admin import blueprint
from bot.web.extensions import get_database
from kb.plan_document import PlanFormatError, PlanReading
from kb.plan_store import (
    PLAN_UPLOAD_SUFFIXES,
    TypedDateError,
    activity_dates_thai,
    activity_number,
    find_activity_by_number,
    mark_activity_done,
    parse_typed_date,
    read_plan_upload,
    reopen_activity,
    save_plan_reading,
    set_activity_dates,
)
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
                "warnings": list(item.warnings or []),
                "done": sum(1 for activity in item.activities if activity.status == "done"),
                "activities": [_activity_view(activity, summaries.get(activity.id)) for activity in item.activities],
            }
            for item in plans
        ]
    return render_template("admin/plan.html", plans=plan_views, fiscal_year=fiscal_year, years=years,
                           upload_types=", ".join(PLAN_UPLOAD_SUFFIXES))


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
        "warnings": list(activity.warnings or []),
        "start_typed": format_thai_date(activity.start, "arabic") if activity.start else "",
        "deadline_typed": format_thai_date(activity.deadline, "arabic") if activity.deadline else "",
        "reminders_sent": reminders.sent if reminders else 0,
        "last_reminder": format_thai_datetime(reminders.last_sent_at, "arabic") if reminders and reminders.last_sent_at else "",
    }


# --- importing a plan file: preview first, then save -------------------------------------------

# A plan file is tables of text; the sample is 125 kB. The preview carries the file back in a
# form field as base64, which must stay under Flask's 500 kB limit for a form field.
MAX_PLAN_FILE_BYTES = 360_000


def _preview_view(reading: PlanReading) -> list[dict[str, object]]:
    return [
        {
            "number": draft.number,
            "fiscal_year": draft.fiscal_year,
            "topic": draft.knowledge or draft.title,
            "activities": [
                {"step": activity.step or "?", "name": activity.name, "period_text": activity.period_text,
                 "dates": _draft_dates(activity.start, activity.deadline), "unreadable": activity.dates_unreadable,
                 "warnings": list(activity.warnings)}
                for activity in draft.activities
            ],
        }
        for draft in reading.plans
    ]


def _draft_dates(start: date | None, deadline: date | None) -> str:
    if deadline is None:
        return "อ่านวันไม่ได้"
    if start is None or start == deadline:
        return format_thai_date(deadline, "arabic")
    return f"{format_thai_date(start, 'arabic')} – {format_thai_date(deadline, 'arabic')}"


def _uploaded() -> tuple[str, bytes]:
    """The posted plan file: from the file input, or carried from the preview as base64."""
    upload = request.files.get("plan_file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_PLAN_FILE_BYTES + 1)
        name = upload.filename
    else:
        name = request.form.get("filename", "")
        try:
            data = base64.b64decode(request.form.get("content", ""), validate=True)
        except (binascii.Error, ValueError):
            data = b""
    if not data:
        raise PlanFormatError("ยังไม่ได้เลือกไฟล์แผนค่ะ")
    if len(data) > MAX_PLAN_FILE_BYTES:
        raise PlanFormatError("ไฟล์ใหญ่เกิน 360 kB ค่ะ (ไฟล์แผนตัวอย่างมีขนาด 125 kB) ลบรูปภาพหรือส่วนที่ไม่ใช่ตารางกิจกรรมออกก่อน")
    return name, data


@blueprint.post("/plan/preview")
def preview_plan() -> Response | str:
    """What the file would import, with every warning; nothing is saved yet."""
    try:
        name, data = _uploaded()
        reading = read_plan_upload(name, data)
    except PlanFormatError as error:
        flash(f"อ่านไฟล์แผนไม่ได้ค่ะ: {error}", "error")
        return redirect(url_for("admin.plan"))
    if not reading.plans:
        flash("ไม่พบตารางกิจกรรมในไฟล์นี้ค่ะ", "error")
        return redirect(url_for("admin.plan"))
    return render_template(
        "admin/plan_preview.html", filename=name, content=base64.b64encode(data).decode("ascii"),
        plans=_preview_view(reading), warnings=list(reading.warnings),
        activity_count=len(reading.activities), unreadable=len(reading.unreadable_activities),
    )


@blueprint.post("/plan/import")
def import_plan() -> Response:
    try:
        name, data = _uploaded()
        reading = read_plan_upload(name, data)
    except PlanFormatError as error:
        flash(f"อ่านไฟล์แผนไม่ได้ค่ะ: {error}", "error")
        return redirect(url_for("admin.plan"))
    with get_database().session() as session:
        summary = save_plan_reading(session, reading)
        years = sorted(set(session.scalars(select(Plan.fiscal_year).where(Plan.id.in_(summary.plan_ids)))))
    flash(f"นำเข้าแผนแล้วค่ะ: แผนใหม่ {summary.plans_created} แผน ปรับปรุง {summary.plans_updated} แผน "
          f"กิจกรรมใหม่ {summary.activities_created} ปรับปรุง {summary.activities_updated} "
          f"มีข้อสังเกต {len(summary.warnings)} ข้อ (ดูที่แต่ละกิจกรรม)", "success")
    return redirect(url_for("admin.plan", fiscal_year=years[-1] if years else None))


# --- one activity: dates, done, reopen ---------------------------------------------------------


def _activity_or_404(session: Session, number: int) -> Activity:
    activity = find_activity_by_number(session, number)
    if activity is None:
        abort(404)
    return activity


def _back_to(activity: Activity) -> Response:
    return redirect(url_for("admin.plan", fiscal_year=activity.plan.fiscal_year) + f"#activity-{activity_number(activity)}")


@blueprint.post("/plan/activities/<int:number>/dates")
def set_dates(number: int) -> Response:
    start_text, deadline_text = request.form.get("start", "").strip(), request.form.get("deadline", "").strip()
    try:
        deadline = parse_typed_date(deadline_text)[0] if deadline_text else None
        start = parse_typed_date(start_text)[0] if start_text else None
    except TypedDateError as error:
        flash(f"ยังไม่ได้บันทึกวันค่ะ: {error}", "error")
        deadline = start = None
        error_shown = True
    else:
        error_shown = False
    with get_database().session() as session:
        activity = _activity_or_404(session, number)
        if deadline is None:
            if not error_shown:
                flash("โปรดระบุวันครบกำหนดค่ะ", "error")
            return _back_to(activity)
        try:
            set_activity_dates(session, activity, start, deadline)
        except ValueError as error:
            flash(f"ยังไม่ได้บันทึกวันค่ะ: {error}", "error")
            return _back_to(activity)
        flash(f"บันทึกวันของกิจกรรมเลข {number} แล้วค่ะ: {activity_dates_thai(activity)} "
              "การแจ้งเตือนจะคำนวณจากวันใหม่นี้", "success")
        return _back_to(activity)


@blueprint.post("/plan/activities/<int:number>/done")
def mark_done(number: int) -> Response:
    day_text, note = request.form.get("done_on", "").strip(), " ".join(request.form.get("note", "").split())[:2000]
    try:
        day = parse_typed_date(day_text)[0] if day_text else today()
    except TypedDateError as error:
        flash(f"ยังไม่ได้บันทึกค่ะ: {error}", "error")
        with get_database().session() as session:
            return _back_to(_activity_or_404(session, number))
    if day > today():
        flash("วันที่ทำเสร็จต้องไม่อยู่ในอนาคตค่ะ", "error")
        with get_database().session() as session:
            return _back_to(_activity_or_404(session, number))
    at = now() if day == today() else datetime.combine(day, time(12), tzinfo=BANGKOK)
    with get_database().session() as session:
        activity = _activity_or_404(session, number)
        mark_activity_done(session, activity, user_id=None, note=note or None, at=at)
        flash(f"บันทึกว่ากิจกรรมเลข {number} เสร็จแล้วค่ะ การแจ้งเตือนที่เหลือยกเลิกแล้ว", "success")
        return _back_to(activity)


@blueprint.post("/plan/activities/<int:number>/reopen")
def reopen(number: int) -> Response:
    with get_database().session() as session:
        activity = _activity_or_404(session, number)
        reopen_activity(session, activity)
        flash(f"เปิดกิจกรรมเลข {number} อีกครั้งแล้วค่ะ การแจ้งเตือนที่ยังไม่ถึงเวลาจะกลับมา", "success")
        return _back_to(activity)
