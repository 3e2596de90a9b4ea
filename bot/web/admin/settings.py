"""ตั้งค่า: the settings the secretary edits without a terminal.

What is saved here lives in the `settings` table and reaches every process within seconds
(`bot.core.settings.LiveConfig`). An environment variable, where set, wins: its field is shown
read-only with the variable's name, so the page never pretends to change what it cannot.
Secrets (channel secret, access token, admin password) are not on this page at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.core.calendar import fiscal_year_bounds, format_thai_date, resolve_period
from bot.core.config import SETTINGS_BY_FIELD, Config, ConfigError, thai_public_holiday_names
from bot.core.settings import read_stored_settings, store_settings
from bot.web.admin import blueprint
from bot.web.extensions import get_config, get_database, get_live_config
from kb.plan_store import TypedDateError, parse_typed_date
from kb.tables import Article
from scheduler.knowledge_push import WEEKDAYS, parse_weekly_slot

WEEKDAY_CHOICES = (("mon", "วันจันทร์"), ("tue", "วันอังคาร"), ("wed", "วันพุธ"), ("thu", "วันพฤหัสบดี"),
                   ("fri", "วันศุกร์"), ("sat", "วันเสาร์"), ("sun", "วันอาทิตย์"))
RATE_WINDOWS = (("minute", "ต่อนาที"), ("hour", "ต่อชั่วโมง"))


@dataclass(frozen=True)
class FormError:
    field: str
    message: str


def _text(name: str) -> str:
    return " ".join(request.form.get(name, "").split())


def read_holiday_lines(text: str) -> tuple[list[str], list[str]]:
    """The office's own days, one a line ("12 มี.ค. 2567 วันก่อตั้ง อบจ." or "2024-03-12"), as the
    stored lines ("2024-03-12 วันก่อตั้ง อบจ."), and a Thai error per unreadable line."""
    stored, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            day, name = parse_typed_date(line)
        except TypedDateError as error:
            errors.append(f"บรรทัดที่ {number}: {error}")
            continue
        stored.append(f"{day.isoformat()} {name}".strip())
    return sorted(set(stored)), errors


def form_values() -> tuple[dict[str, str | None], list[FormError]]:
    """The posted form as stored texts (field → text; None clears it), with the errors found."""
    values: dict[str, str | None] = {
        "organisation_name": _text("organisation_name"),
        "division_name": _text("division_name"),
        "staff_count": _text("staff_count"),
        "public_base_url": _text("public_base_url"),
        "reminder_hour": _text("reminder_hour"),
        "reminder_days_before": _text("reminder_days_before"),
        "reminder_grace_hours": _text("reminder_grace_hours"),
        "overdue_until_fiscal_year_end": "on" if request.form.get("overdue_until_fiscal_year_end") else "off",
        "reminder_weekly_look_ahead": "on" if request.form.get("reminder_weekly_look_ahead") else "off",
        "public_holidays": "on" if request.form.get("public_holidays") else "off",
        "knowledge_push_article_id": _text("knowledge_push_article_id"),
    }
    errors: list[FormError] = []
    day, time_text = request.form.get("push_day", ""), _text("push_time") or "09:00"
    values["knowledge_push_schedule"] = f"{day} {time_text}" if day in WEEKDAYS else None
    limit, window = _text("question_limit"), request.form.get("question_window", "minute")
    values["question_rate"] = (f"{limit}/{window}" if limit not in ("", "0") else "off") if window in dict(RATE_WINDOWS) else None
    holidays, holiday_errors = read_holiday_lines(request.form.get("office_holidays", ""))
    values["office_holidays"] = "\n".join(holidays)
    errors.extend(FormError("office_holidays", message) for message in holiday_errors)
    if values["knowledge_push_schedule"]:
        try:
            parse_weekly_slot(values["knowledge_push_schedule"])
        except ValueError:
            errors.append(FormError("knowledge_push_schedule", "เวลาส่งความรู้ประจำสัปดาห์ต้องเป็นแบบ 09:30 ค่ะ"))
    for field_name, text in values.items():
        if text and not any(error.field == field_name for error in errors):
            try:
                SETTINGS_BY_FIELD[field_name].parse(text)
            except (ValueError, ConfigError):
                errors.append(FormError(field_name, FIELD_ERRORS[field_name]))
    return values, errors


FIELD_ERRORS = {
    "organisation_name": "ชื่อหน่วยงานอ่านไม่ได้ค่ะ",
    "division_name": "ชื่อกองอ่านไม่ได้ค่ะ",
    "staff_count": "จำนวนบุคลากรต้องเป็นจำนวนเต็มบวก เช่น 120 ค่ะ",
    "public_base_url": "ที่อยู่เว็บต้องขึ้นต้นด้วย https:// และเป็นชื่อโดเมนภาษาอังกฤษ (โดเมนภาษาไทยใช้รูป xn--) เช่น https://kmbot.example.go.th ค่ะ",
    "reminder_hour": "ชั่วโมงที่แจ้งเตือนต้องอยู่ระหว่าง 0 ถึง 23 ค่ะ",
    "reminder_days_before": "จำนวนวันก่อนครบกำหนดพิมพ์เป็นตัวเลขคั่นด้วยจุลภาค เช่น 7, 1 (1 ถึง 90 วัน) ค่ะ",
    "reminder_grace_hours": "ระยะผ่อนผันต้องมากกว่า 0 และไม่เกิน 336 ชั่วโมงค่ะ",
    "overdue_until_fiscal_year_end": "ค่าการแจ้งเตือนเลยกำหนดอ่านไม่ได้ค่ะ",
    "reminder_weekly_look_ahead": "ค่าการรวมแจ้งเตือนล่วงหน้าประจำสัปดาห์อ่านไม่ได้ค่ะ",
    "public_holidays": "ค่าวันหยุดราชการอ่านไม่ได้ค่ะ",
    "knowledge_push_schedule": "เวลาส่งความรู้ประจำสัปดาห์อ่านไม่ได้ค่ะ",
    "knowledge_push_article_id": "บทความที่ส่งประจำสัปดาห์ไม่ถูกต้องค่ะ",
    "question_rate": "จำนวนคำถามต่อคนต้องเป็นจำนวนเต็ม (0 คือไม่จำกัด) ค่ะ",
    "office_holidays": "วันหยุดของหน่วยงานอ่านไม่ได้ค่ะ",
}


def _field_views(config: Config, stored: dict[str, str]) -> dict[str, dict[str, object]]:
    """Per field: the value in force, whether the environment set it (and which variable)."""
    views: dict[str, dict[str, object]] = {}
    for field_name, setting in SETTINGS_BY_FIELD.items():
        views[field_name] = {
            "locked": field_name in config.environment_fields,
            "variable": setting.variable,
            "stored": stored.get(field_name, ""),
        }
    return views


def _holiday_rows(config: Config, stored: dict[str, str]) -> list[dict[str, str]]:
    """This fiscal year's holidays as reminders see them: the official ones and the office's own."""
    first, last = fiscal_year_bounds(resolve_period().fiscal_year)
    official = thai_public_holiday_names(first.year, last.year) if config.public_holidays else {}
    rows = [(day, name, "วันหยุดราชการ") for day, name in official.items()]
    rows += [(day, name or "วันหยุดของหน่วยงาน", "ของหน่วยงาน") for day, name in _office_days(config, stored)]
    return [{"date": format_thai_date(day, "arabic"), "name": name, "kind": kind}
            for day, name, kind in sorted(rows, key=lambda row: row[0]) if first <= day <= last]


def _office_days(config: Config, stored: dict[str, str]) -> list[tuple[date, str]]:
    """The office's own days with the names typed for them (names only where stored)."""
    typed = {}
    for line in stored.get("office_holidays", "").splitlines():
        if line.strip():
            parts = line.split(maxsplit=1)
            typed[date.fromisoformat(parts[0])] = parts[1] if len(parts) > 1 else ""
    return [(day, typed.get(day, "")) for day in (config.office_holidays or ())]


def read_stored() -> dict[str, str]:
    with get_database().session() as session:
        return read_stored_settings(session)


def _render(errors: list[FormError] | None = None, typed: dict[str, str] | None = None) -> str:
    config = get_config()
    stored = read_stored()
    with get_database().session() as session:
        articles = session.execute(
            select(Article.id, Article.title).where(Article.status == "published").order_by(Article.title).limit(500)
        ).all()
    push_day, _, push_time = (config.knowledge_push_schedule or "").partition(" ")
    rate = config.question_rate
    office_lines = "\n".join(
        f"{format_thai_date(day, 'arabic')} {name}".strip() for day, name in _office_days(config, stored)
    )
    return render_template(
        "admin/settings.html",
        config=config,
        fields=_field_views(config, stored),
        errors={error.field: error.message for error in errors or []},
        typed=typed or {},
        holidays=_holiday_rows(config, stored),
        office_lines=office_lines,
        weekdays=WEEKDAY_CHOICES,
        push_day=push_day,
        push_time=push_time or "09:00",
        rate_limit=rate.limit if rate else 0,
        rate_window="hour" if rate and rate.window.total_seconds() >= 3600 else "minute",
        rate_windows=RATE_WINDOWS,
        articles=articles,
        days_before=", ".join(str(day) for day in config.reminder_days_before),
    ), 200 if not errors else 400


@blueprint.get("/settings")
def settings() -> tuple[str, int]:
    return _render()


@blueprint.post("/settings")
def save_settings() -> Response | tuple[str, int]:
    values, errors = form_values()
    if errors:
        flash("ยังไม่ได้บันทึกค่ะ โปรดแก้ช่องที่มีข้อความสีแดง", "error")
        return _render(errors, typed={key: request.form.get(key, "") for key in request.form})
    locked = get_config().environment_fields
    with get_database().session() as session:
        store_settings(session, {key: value for key, value in values.items() if key not in locked})
    get_live_config().invalidate()
    flash("บันทึกการตั้งค่าแล้วค่ะ มีผลทันทีกับการแจ้งเตือนและคำตอบถัดไป", "success")
    return redirect(url_for("admin.settings"))
