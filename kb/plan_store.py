"""Saving a read KM plan in the database, and the committee's own changes to its activities.

A plan is keyed by (fiscal year, number) and an activity by (plan, step, number), so importing
the same (or a corrected) plan file again updates the rows instead of adding new ones. What
the committee did with an activity survives a re-import: its status, who marked it done and
when, the evidence note, and dates set by hand.

Every plan also lives in the knowledge store as a generated article (one passage per
activity), so a question such as "KMP 5 ต้องทำเมื่อไร" is answered from the activity's own
fields. The article is regenerated whenever the plan or an activity changes.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pythainlp.util import thai_digit_to_arabic_digit

from bot.core.calendar import format_thai_date, now, thai_digits, to_bangkok
from kb.parsed import ParsedDocument, ParsedPassage
from kb.plan_document import (
    ActivityDraft,
    PlanDraft,
    PlanFormatError,
    PlanReading,
    read_plan_csv,
    read_plan_text,
    read_plan_yaml,
)
from kb.store import SaveOutcome, save_document
from kb.tables import Activity, Plan
from kb.thai_period import month_from_name

__all__ = [
    "PlanImportSummary",
    "activity_dates_thai",
    "activity_label",
    "activity_number",
    "parse_typed_date",
    "find_activities_by_step",
    "mark_activity_done",
    "plan_article_source",
    "read_plan_upload",
    "reopen_activity",
    "refresh_plan_article",
    "save_plan_reading",
    "set_activity_dates",
]

PLAN_ARTICLE_CATEGORY = "แผนการจัดการความรู้"

# Warnings about the written period stop applying once the committee sets the dates by hand.
_PERIOD_WARNING_PREFIXES = ("อ่านระยะเวลา", "ระยะเวลา “", "วันเริ่มอยู่หลังวันสิ้นสุด")


@dataclass(frozen=True)
class PlanImportSummary:
    """What an import changed. ``warnings`` are Thai, each naming where it was found."""

    plans_created: int
    plans_updated: int
    activities_created: int
    activities_updated: int
    activities_removed: int
    kept_hand_set_dates: int
    plan_ids: tuple[int, ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "plans_created": self.plans_created,
            "plans_updated": self.plans_updated,
            "activities_created": self.activities_created,
            "activities_updated": self.activities_updated,
            "activities_removed": self.activities_removed,
            "kept_hand_set_dates": self.kept_hand_set_dates,
            "plan_ids": list(self.plan_ids),
            "warnings": list(self.warnings),
        }


def save_plan_reading(
    session: Session, reading: PlanReading, *, fiscal_year: int | None = None
) -> PlanImportSummary:
    """Create or update every plan and activity of ``reading``.

    ``fiscal_year`` is used for a plan whose file does not state one; a plan with no fiscal
    year at all is not saved (its reminders would fall in an unknown year) and is reported.
    Activities no longer in the file are removed unless already done: a done activity is the
    office's evidence and stays.
    """
    counts: dict[str, int] = defaultdict(int)
    warnings = list(reading.warnings)
    plan_ids: list[int] = []
    for draft in reading.plans:
        year = draft.fiscal_year or fiscal_year
        if year is None:
            warnings.append(
                thai_digits(f"แผนที่ {draft.number}: ไม่ได้บันทึก เพราะไม่ทราบปีงบประมาณ")
                + " (ระบุด้วย --fiscal-year)"
            )
            continue
        plan = session.scalars(
            select(Plan)
            .where(Plan.fiscal_year == year, Plan.number == draft.number)
            .options(selectinload(Plan.activities))
        ).one_or_none()
        if plan is None:
            plan = Plan(fiscal_year=year, number=draft.number, activities=[])
            session.add(plan)
            counts["plans_created"] += 1
        else:
            counts["plans_updated"] += 1
        plan.knowledge_topic = (draft.knowledge or draft.title)[:500]
        plan.unit = draft.unit[:300]
        plan.source = reading.source[:500]
        plan.warnings = list(draft.warnings)
        plan.imported_at = now()
        _merge_activities(plan, draft, counts, warnings)
        session.flush()
        refresh_plan_article(session, plan)
        plan_ids.append(plan.id)
    return PlanImportSummary(
        plans_created=counts["plans_created"],
        plans_updated=counts["plans_updated"],
        activities_created=counts["activities_created"],
        activities_updated=counts["activities_updated"],
        activities_removed=counts["activities_removed"],
        kept_hand_set_dates=counts["kept_hand_set_dates"],
        plan_ids=tuple(plan_ids),
        warnings=tuple(warnings),
    )


def _activity_key(step: str, number: int | None) -> tuple[str, int | None]:
    return (step, number)


def _merge_activities(
    plan: Plan, draft: PlanDraft, counts: dict[str, int], warnings: list[str]
) -> None:
    # Rows without a number are not unique in the database; they are matched in order.
    existing: dict[tuple[str, int | None], list[Activity]] = defaultdict(list)
    for activity in plan.activities:
        existing[_activity_key(activity.step, activity.number)].append(activity)
    seen: set[tuple[str, int | None]] = set()
    kept: list[Activity] = []
    for position, activity_draft in enumerate(draft.activities):
        key = _activity_key(activity_draft.step or "", activity_draft.number)
        if key in seen and activity_draft.number is not None:
            warnings.append(f"{activity_draft.location}: ซ้ำกับแถวก่อนหน้า ไม่ได้นำเข้าแถวนี้")
            continue
        seen.add(key)
        matches = existing.get(key)
        if matches:
            activity = matches.pop(0)
            counts["activities_updated"] += 1
        else:
            activity = Activity(status="pending", dates_set_by_hand=False)
            plan.activities.append(activity)
            counts["activities_created"] += 1
        _fill_activity(activity, activity_draft, position, counts)
        kept.append(activity)
    kept_ids = {id(activity) for activity in kept}
    for activity in list(plan.activities):
        if id(activity) in kept_ids:
            continue
        if activity.status == "done":
            note = f"{activity_label(activity)} ไม่อยู่ในไฟล์แล้ว แต่ทำเสร็จไปแล้วจึงเก็บไว้เป็นหลักฐาน"
            warnings.append(thai_digits(f"แผนที่ {plan.number}: ") + note)
            continue
        plan.activities.remove(activity)
        counts["activities_removed"] += 1


def _fill_activity(activity: Activity, draft: ActivityDraft, position: int, counts: dict[str, int]) -> None:
    activity.position = position
    activity.number = draft.number
    activity.step = draft.step or ""
    activity.name = draft.name[:300]
    activity.details = draft.details
    activity.period_text = draft.period_text[:300]
    activity.indicator = draft.indicator
    activity.target = draft.target
    activity.target_group = draft.target_group
    activity.responsible = draft.responsible
    activity.evidence = draft.evidence
    if activity.dates_set_by_hand:
        # The committee's dates win over whatever the file says; so do their consequences.
        counts["kept_hand_set_dates"] += 1
        activity.warnings = _without_period_warnings(draft.warnings)
        return
    activity.start = draft.start
    activity.deadline = draft.deadline
    activity.open_ended = draft.open_ended
    activity.warnings = list(draft.warnings)


def _without_period_warnings(warnings: tuple[str, ...] | list[str]) -> list[str]:
    return [warning for warning in warnings if not warning.startswith(_PERIOD_WARNING_PREFIXES)]


# --- the committee's changes ---------------------------------------------------------------


def set_activity_dates(session: Session, activity: Activity, start: date | None, deadline: date) -> Activity:
    """Dates the committee decided; a later import keeps them."""
    if start is not None and start > deadline:
        raise ValueError("วันเริ่มต้องไม่อยู่หลังวันครบกำหนด")
    activity.start = start
    activity.deadline = deadline
    activity.open_ended = False
    activity.dates_set_by_hand = True
    activity.warnings = _without_period_warnings(activity.warnings or [])
    session.flush()
    refresh_plan_article(session, activity.plan)
    return activity


def mark_activity_done(
    session: Session,
    activity: Activity,
    *,
    user_id: int | None,
    note: str | None,
    at: datetime | None = None,
) -> Activity:
    """Record that the activity was done, by whom and when. Its later reminders are cancelled
    because the reminder policy and the sender both skip done activities."""
    activity.status = "done"
    activity.done_at = at or now()
    activity.done_by_user_id = user_id
    activity.evidence_note = (note or "").strip() or None
    session.flush()
    refresh_plan_article(session, activity.plan)
    return activity


def reopen_activity(session: Session, activity: Activity) -> Activity:
    """Undo "done" (marked by mistake): the activity's remaining reminders come back."""
    activity.status = "pending"
    activity.done_at = None
    activity.done_by_user_id = None
    activity.evidence_note = None
    session.flush()
    refresh_plan_article(session, activity.plan)
    return activity


# The range of a 32-bit INTEGER column (PostgreSQL's; SQLite's are 64-bit).
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1


def fits_integer_column(value: int) -> bool:
    """Whether `value`, typed by someone, can be compared with an INTEGER column in every database."""
    return INTEGER_MIN <= value <= INTEGER_MAX


def find_activity_by_id(session: Session, activity_id: int) -> Activity | None:
    """The activity with this id, or None, also for an id no INTEGER column could hold."""
    return session.get(Activity, activity_id) if fits_integer_column(activity_id) else None


def find_activities_by_step(session: Session, step: str, plan_number: int | None = None) -> list[Activity]:
    """Activities of the given step (``KMP5``), newest fiscal year first."""
    query = select(Activity).join(Plan).where(Activity.step == step.upper())
    if plan_number is not None and not fits_integer_column(plan_number):
        return []  # typed by someone, beyond any plan number: no plan has it
    if plan_number is not None:
        query = query.where(Plan.number == plan_number)
    return list(session.scalars(query.order_by(Plan.fiscal_year.desc(), Plan.number, Activity.position)))


# --- how an activity reads in Thai ---------------------------------------------------------


def activity_number(activity: Activity) -> int:
    """The one number an activity goes by everywhere: the admin page, `/plan`, `/done N`, the
    reminders' buttons and `kmbot plan list`. It is the row's id, unique across plans and years,
    so `/done 12` can never mean a different activity than the page showing "กิจกรรมที่ 12"."""
    return activity.id


def find_activity_by_number(session: Session, number: int) -> Activity | None:
    """The activity that `activity_number` calls ``number``."""
    return find_activity_by_id(session, number)


def activity_label(activity: Activity) -> str:
    """"KMP5 การเข้าถึงความรู้": the step code and the activity's name."""
    return " ".join(part for part in (activity.step, activity.name) if part)


def activity_dates_thai(activity: Activity) -> str:
    """The dates as the committee reads them, e.g. "๑ ก.ค. ๒๕๖๗ – ๓๐ ก.ย. ๒๕๖๗"."""
    if activity.deadline is None:
        return "ยังไม่ได้กำหนดวัน"
    deadline = format_thai_date(activity.deadline)
    if activity.start is None or activity.start == activity.deadline:
        return deadline
    return f"{format_thai_date(activity.start)} – {deadline}"


def plan_article_source(fiscal_year: int, number: int) -> str:
    return f"plan:{fiscal_year}:{number}"


def refresh_plan_article(session: Session, plan: Plan) -> SaveOutcome:
    """Write the plan's knowledge article from its current rows (unchanged text is not rewritten)."""
    document = plan_document(plan)
    return save_document(session, document, source=plan_article_source(plan.fiscal_year, plan.number))


def plan_document(plan: Plan) -> ParsedDocument:
    year = thai_digits(plan.fiscal_year)
    number = thai_digits(plan.number)
    title = f"แผนการจัดการความรู้ที่ {number} ปีงบประมาณ {year}"
    if plan.knowledge_topic:
        title += f": {plan.knowledge_topic}"
    title = title[:300]
    activities = sorted(plan.activities, key=lambda activity: activity.position)
    passages = tuple(
        ParsedPassage(heading_path=(title, activity_label(activity)), text=activity_passage_text(plan, activity), position=position)
        for position, activity in enumerate(activities)
    )
    introduction = f"{title}\nเจ้าภาพ: {plan.unit or '-'}\nกิจกรรมตามแผนและกำหนดเวลาของแต่ละขั้นตอน"
    body = "\n\n".join([introduction, *(f"## {activity_label(activity)}\n{passage.text}" for activity, passage in zip(activities, passages))])
    steps = [activity.step for activity in activities if activity.step]
    return ParsedDocument(
        title=title,
        body=body,
        source=plan_article_source(plan.fiscal_year, plan.number),
        content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        passages=passages,
        slug=f"plan-{plan.fiscal_year}-{plan.number}",
        category=PLAN_ARTICLE_CATEGORY,
        tags=("แผน KM", "กำหนดการ", *steps),
        aliases=(f"แผน KM ที่ {plan.number}", f"KM Action Plan {plan.number}"),
        # Step codes stay out of the sample questions: they are indexed with every passage and
        # would make each activity of the plan match every step.
        sample_questions=(f"แผน KM ที่ {number} มีกิจกรรมอะไรบ้าง",),
    )


def activity_passage_text(plan: Plan, activity: Activity) -> str:
    """The activity in plain Thai sentences, one fact a line, for search and for the answer card.

    The labels are phrased the way staff ask ("ต้องทำเมื่อไร", "ใครรับผิดชอบ"), so a question
    about when or who meets the line that answers it.
    """
    number = "" if activity.number is None else thai_digits(f" ลำดับที่ {activity.number}")
    lines = [
        f"{activity_label(activity)} ({thai_digits(f'แผนที่ {plan.number}')}{number}"
        f" ปีงบประมาณ {thai_digits(plan.fiscal_year)})",
    ]
    if activity.details:
        lines.append(f"รายละเอียด: {activity.details}")
    lines.append(f"ต้องทำเมื่อไร (ช่วงเวลา กำหนดส่ง): {activity.period_text or '-'} ({_dates_sentence(activity)})")
    for label, value in (
        ("ตัวชี้วัด", activity.indicator),
        ("เป้าหมาย", activity.target),
        ("กลุ่มเป้าหมาย", activity.target_group),
        ("ใครรับผิดชอบ (ผู้รับผิดชอบ)", activity.responsible),
        ("เอกสารที่แสดงผลสำเร็จ", activity.evidence),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(f"สถานะ: {_status_sentence(activity)}")
    return "\n".join(lines)


def _dates_sentence(activity: Activity) -> str:
    if activity.deadline is None:
        return "ยังไม่ได้กำหนดวันที่แน่นอน คณะทำงานจะกำหนดวันให้"
    parts = []
    if activity.start is not None:
        parts.append(f"เริ่ม {format_thai_date(activity.start)}")
    parts.append(f"ครบกำหนด {format_thai_date(activity.deadline)}")
    sentence = " ".join(parts)
    if activity.open_ended:
        sentence += " และทำต่อเนื่องจนสิ้นปีงบประมาณ"
    if activity.dates_set_by_hand:
        sentence += " ตามวันที่คณะทำงานกำหนด"
    return sentence


def _status_sentence(activity: Activity) -> str:
    if activity.status != "done":
        return "ยังไม่เสร็จ"
    sentence = "ทำแล้ว"
    if activity.done_at is not None:
        sentence += f" เมื่อ {format_thai_date(to_bangkok(activity.done_at).date())}"
    if activity.evidence_note:
        sentence += f" หลักฐาน: {activity.evidence_note}"
    return sentence


# --- a date typed by the secretary -----------------------------------------------------------

_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
# "12 มี.ค. 2567", "๑๒ มีนาคม ๒๕๖๗", "12 มี.ค. 67": day, a Thai month name, a BE (or CE) year.
_THAI_DATE = re.compile(r"\s*(\d{1,2})\s*([ก-๏.]+?)\s*(\d{4}|\d{2})(?!\d)")


class TypedDateError(ValueError):
    """A date that cannot be read; the message is Thai and says what was typed."""


def parse_typed_date(text: str) -> tuple[date, str]:
    """The date at the start of ``text`` and what follows it (a holiday's name, a note).

    Accepts ISO (``2024-03-12``) and Thai (``12 มี.ค. 2567``, Thai or Arabic digits, full or
    abbreviated month, a BE year in four or two digits, or a CE year such as 2024).
    """
    plain = thai_digit_to_arabic_digit(text)
    match = _ISO_DATE.match(plain)
    if match:
        year, month, day = (int(group) for group in match.groups())
    else:
        match = _THAI_DATE.match(plain)
        month = month_from_name(match.group(2)) if match else None
        if match is None or month is None:
            raise TypedDateError(f"อ่านวันที่ “{text.strip()[:40]}” ไม่ได้ค่ะ พิมพ์เช่น 12 มี.ค. 2567 หรือ 2024-03-12")
        day, year = int(match.group(1)), int(match.group(3))
        if year < 100:
            year += 2500
        if year > 2400:
            year -= 543
    try:
        return date(year, month, day), text[match.end():].strip()
    except ValueError:
        raise TypedDateError(f"ไม่มีวันที่ “{text[:match.end()].strip()}” ในปฏิทินค่ะ") from None


# --- a plan file uploaded in the browser -----------------------------------------------------

PLAN_UPLOAD_SUFFIXES = (".txt", ".md", ".csv", ".yaml", ".yml", ".xlsx")


def read_plan_upload(filename: str, data: bytes) -> PlanReading:
    """Read an uploaded plan: the sample's text tables, the CSV or YAML template, or an Excel
    workbook whose first sheet has the template's columns (docs/plan-template.md)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in PLAN_UPLOAD_SUFFIXES:
        raise PlanFormatError(f"ไม่รองรับไฟล์ชนิด “{suffix or filename}” ค่ะ (ใช้ .txt .csv .yaml .xlsx)")
    if suffix == ".xlsx":
        return read_plan_csv(_xlsx_as_csv(data), filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlanFormatError(f"{filename}: ไฟล์ไม่ได้เข้ารหัสเป็น UTF-8 ค่ะ (บันทึกเป็น UTF-8 แล้วลองใหม่)") from None
    if suffix == ".csv":
        return read_plan_csv(text, filename)
    if suffix in (".yaml", ".yml"):
        return read_plan_yaml(text, filename)
    return read_plan_text(text, source=filename)


def _xlsx_as_csv(data: bytes) -> str:
    """The first sheet as the CSV template reads it; a date cell becomes an ISO date."""
    import csv
    import io
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise PlanFormatError("เปิดไฟล์ Excel ไม่ได้ค่ะ (ต้องเป็นไฟล์ .xlsx)") from None
    out = io.StringIO()
    writer = csv.writer(out)
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        writer.writerow(["" if cell is None else _cell_text(cell) for cell in row])
    workbook.close()
    return out.getvalue()


def _cell_text(cell: object) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
