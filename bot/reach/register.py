"""The progress and evidence register of a fiscal year: the monitoring record of the plan's
section 5.1 (every activity with its period, deadline, status, who marked it done and when,
its evidence, the reminders sent about it, and what the plan import warned about).

`collect_register` reads the database once; `to_xlsx` writes the workbook with the reach
export's standards (title with the organisation, heading row repeated on every printed page,
dates as dates, A4 landscape fitted to the width). Nothing here names a person by LINE id: who
did what is shown masked (`bot.core.people.masked_id`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import (
    fiscal_year_bounds,
    format_thai_date,
    format_thai_datetime,
    now,
    to_bangkok,
)
from bot.core.people import masked_id
from bot.core.steps import STEPS
from bot.core.tables import InteractionEvent, User
from bot.reach.export import set_up_table_sheet
from kb.evidence import KINDS, ActivityKey, evidence_of_year
from kb.tables import Activity, EvidenceFile, Plan

STATUS_NAMES = {"pending": "ยังไม่เสร็จ", "done": "เสร็จแล้ว"}
REGISTER_TITLE = "ทะเบียนติดตามความก้าวหน้าและหลักฐานการดำเนินงานตามแผนการจัดการความรู้"


@dataclass(frozen=True)
class EvidenceEntry:
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    sent_at: datetime
    sender: str
    origin: str
    note: str

    @property
    def stored_name(self) -> str:
        extension = next((ext for kind_type, ext, _ in KINDS.values() if kind_type == self.content_type), "")
        return f"{self.sha256}{extension}"

    @property
    def kind_name(self) -> str:
        return next((name for kind_type, _, name in KINDS.values() if kind_type == self.content_type), "ไฟล์")


@dataclass(frozen=True)
class RegisterRow:
    activity_id: int
    key: ActivityKey
    plan_number: int
    step: str
    step_name: str
    number: int | None
    name: str
    period_text: str
    start: date | None
    deadline: date | None
    status: str
    done_on: date | None
    done_by: str
    evidence_note: str
    expected_evidence: str
    indicator: str
    target: str
    responsible: str
    evidence: list[EvidenceEntry] = field(default_factory=list)
    reminders: list[date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)


@dataclass(frozen=True)
class PlanSummary:
    number: int
    knowledge_topic: str
    unit: str
    warnings: list[str]


@dataclass(frozen=True)
class Register:
    fiscal_year: int
    organisation: str | None
    generated_at: datetime
    plans: list[PlanSummary]
    rows: list[RegisterRow]

    @property
    def heading(self) -> str:
        parts = [REGISTER_TITLE, self.organisation, f"ปีงบประมาณ {self.fiscal_year}"]
        return " – ".join(part for part in parts if part)

    @property
    def done_count(self) -> int:
        return sum(1 for row in self.rows if row.status == "done")

    @property
    def evidence_count(self) -> int:
        return sum(len(row.evidence) for row in self.rows)


def fiscal_years_with_plans(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(Plan.fiscal_year))))


def collect_register(session: Session, fiscal_year: int, organisation: str | None = None) -> Register:
    plans = list(session.scalars(
        select(Plan).where(Plan.fiscal_year == fiscal_year).order_by(Plan.number)
        .options(selectinload(Plan.activities))
    ))
    users = _users(session)
    evidence = evidence_of_year(session, fiscal_year)
    reminders = _reminder_dates(session, fiscal_year)
    rows = []
    for plan in plans:
        for activity in sorted(plan.activities, key=lambda item: item.position):
            key = ActivityKey.of(activity)
            rows.append(RegisterRow(
                activity_id=activity.id, key=key, plan_number=plan.number, step=activity.step,
                step_name=STEPS[activity.step].name if activity.step in STEPS else "",
                number=activity.number, name=activity.name, period_text=activity.period_text,
                start=activity.start, deadline=activity.deadline, status=activity.status,
                done_on=to_bangkok(activity.done_at).date() if activity.done_at else None,
                done_by=_person(users, activity.done_by_user_id) if activity.status == "done" else "",
                evidence_note=activity.evidence_note or "", expected_evidence=activity.evidence,
                indicator=activity.indicator, target=activity.target, responsible=activity.responsible,
                evidence=[_entry(row, users) for row in evidence.get(key, [])],
                reminders=reminders.get(activity.id, []), warnings=list(activity.warnings or []),
            ))
    return Register(
        fiscal_year=fiscal_year, organisation=organisation, generated_at=now(),
        plans=[PlanSummary(plan.number, plan.knowledge_topic, plan.unit, list(plan.warnings or [])) for plan in plans],
        rows=rows,
    )


def _users(session: Session) -> dict[int, User]:
    """The people the register names: who marked activities done and who sent evidence."""
    named = select(Activity.done_by_user_id).where(Activity.done_by_user_id.is_not(None)).union(
        select(EvidenceFile.user_id).where(EvidenceFile.user_id.is_not(None))
    )
    return {user.id: user for user in session.scalars(select(User).where(User.id.in_(named)))}


ROLE_NAMES = {"secretary": "เลขานุการ", "committee": "กรรมการ", "staff": "บุคลากร"}


def _person(users: dict[int, User], user_id: int | None) -> str:
    """Who, as the register shows it: the role and a masked LINE id, never the id itself."""
    if user_id is None:
        return "ไม่ระบุตัวบุคคล"
    user = users.get(user_id)
    if user is None or user.line_user_id is None:
        return "(ลบข้อมูลตัวตนแล้ว)"
    return f"{ROLE_NAMES.get(user.role, user.role)} {masked_id(user.line_user_id)}"


def _entry(row: EvidenceFile, users: dict[int, User]) -> EvidenceEntry:
    sender = "เลขานุการ (อัปโหลดผ่านเว็บ)" if row.origin == "admin" else _person(users, row.user_id)
    return EvidenceEntry(row.id, row.original_name, row.content_type, row.size, row.sha256, row.sent_at, sender,
                         row.origin, row.note)


def _reminder_dates(session: Session, fiscal_year: int) -> dict[int, list[date]]:
    """Per activity, the days a reminder about it went out (from the reach log's pushes)."""
    first_day, last_day = fiscal_year_bounds(fiscal_year)
    # A reminder may go out before the year (a start reminder) or after it (overdue): a margin.
    start = datetime(first_day.year - 1, first_day.month, 1)
    end = datetime(last_day.year + 1, last_day.month, 28)
    found: dict[int, set[date]] = {}
    events = session.execute(
        select(InteractionEvent.activity_id, InteractionEvent.detail, InteractionEvent.occurred_at)
        .where(InteractionEvent.kind == "reminder_push", InteractionEvent.occurred_at >= start, InteractionEvent.occurred_at <= end)
    )
    for activity_id, detail, occurred_at in events:
        ids = set((detail or {}).get("activity_ids") or [])
        if activity_id is not None:
            ids.add(activity_id)
        for one in ids:
            if isinstance(one, int):
                found.setdefault(one, set()).add(to_bangkok(occurred_at).date())
    return {activity_id: sorted(days) for activity_id, days in found.items()}


# --- XLSX -------------------------------------------------------------------------------------

REGISTER_HEADINGS = (
    "แผนที่", "ขั้นตอน", "ลำดับ", "กิจกรรม", "ระยะเวลาตามแผน", "วันเริ่ม", "วันครบกำหนด", "สถานะ",
    "วันที่ทำเสร็จ", "ผู้บันทึก", "บันทึกหลักฐาน", "ไฟล์หลักฐาน", "จำนวนไฟล์", "วันที่แจ้งเตือน",
    "เอกสารที่แสดงผลสำเร็จตามแผน", "ข้อสังเกตจากการนำเข้าแผน",
)
EVIDENCE_HEADINGS = ("แผนที่", "ขั้นตอน", "กิจกรรม", "ชื่อไฟล์", "ประเภท", "ขนาด (ไบต์)", "ส่งเมื่อ", "ผู้ส่ง",
                     "SHA-256", "ชื่อไฟล์ในชุดหลักฐาน")
DATE_COLUMNS = {"วันเริ่ม", "วันครบกำหนด", "วันที่ทำเสร็จ"}


def register_rows(register: Register) -> list[list[object]]:
    rows: list[list[object]] = [list(REGISTER_HEADINGS)]
    for row in register.rows:
        rows.append([
            row.plan_number, row.step, row.number, row.name, row.period_text, row.start, row.deadline,
            row.status_name, row.done_on, row.done_by, row.evidence_note,
            "\n".join(entry.name for entry in row.evidence), len(row.evidence),
            ", ".join(format_thai_date(day, "arabic") for day in row.reminders),
            row.expected_evidence, "\n".join(row.warnings),
        ])
    return rows


def evidence_rows(register: Register) -> list[list[object]]:
    rows: list[list[object]] = [list(EVIDENCE_HEADINGS)]
    for row in register.rows:
        for entry in row.evidence:
            rows.append([
                row.plan_number, row.step, row.name, entry.name, entry.kind_name, entry.size,
                format_thai_datetime(entry.sent_at, "arabic"), entry.sender, entry.sha256,
                f"{row.key.folder_name()}/{entry.name}",
            ])
    return rows


def plan_rows(register: Register) -> list[list[object]]:
    rows: list[list[object]] = [["แผนที่", "องค์ความรู้", "เจ้าภาพ", "ข้อสังเกตจากการนำเข้าแผน"]]
    for plan in register.plans:
        rows.append([plan.number, plan.knowledge_topic, plan.unit, "\n".join(plan.warnings)])
    return rows


def to_xlsx(register: Register) -> bytes:
    """Three sheets (activities, evidence files, plans), each titled with the organisation and
    fiscal year, its heading row repeated on every printed page; A4 landscape fitted to width."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    heading_row = 3
    for sheet_title, rows in (("ทะเบียนกิจกรรม", register_rows(register)), ("ไฟล์หลักฐาน", evidence_rows(register)),
                              ("แผน", plan_rows(register))):
        sheet = workbook.create_sheet(sheet_title)
        sheet.append([register.heading])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([f"{sheet_title} – จัดทำเมื่อ {format_thai_datetime(register.generated_at, 'arabic')}"])
        date_columns = {index for index, heading in enumerate(rows[0]) if heading in DATE_COLUMNS}
        for row_number, row in enumerate(rows):
            sheet.append(row)
            for column, cell in enumerate(sheet[sheet.max_row]):
                if isinstance(cell.value, str):
                    cell.data_type = TYPE_STRING  # never a formula
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif column in date_columns and row_number and cell.value is not None:
                    cell.number_format = "d mmm yyyy"
                elif isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    cell.number_format = "#,##0" if column != 0 else "0"
        set_up_table_sheet(sheet, rows, heading_row, register.heading, widest=50)
    workbook.properties.title = register.heading
    workbook.properties.creator = register.organisation or "kmbot"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
