"""Read the activity tables of a KM plan: text in, plan drafts out (no database, no network).

Two kinds of file are read:

- the OPDC-style plan document as text (``.txt``/``.md``), where each "แผนการจัดการความรู้
  (KM Action Plan) ที่ N" table is tab-separated, may be split by repeated header rows
  (``ที่\\t...``), and is followed by its change-management table
  ("กระบวนการบริหารจัดการการเปลี่ยนแปลง");
- the template for offices writing their own plan, as CSV or YAML (``docs/plan-template.md``).

Nothing unreadable is guessed: a period that cannot be read keeps ``start``/``deadline`` None
and is reported in ``PlanReading.warnings`` with its table, row and suggested reading.
Warnings are Thai, for the KM committee and the secretary.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pythainlp.util import thai_digit_to_arabic_digit

from bot.core.calendar import thai_digits, to_common_era_year
from bot.core.steps import (
    RECOGNITION,
    STEP_CODE,
    STEPS,
    code_of,
    is_misprint,
    section_steps,
    step_name,
)
from kb.thai_period import PeriodReading, narrow_by_context, parse_period

__all__ = [
    "ActivityDraft",
    "PlanDraft",
    "PlanFormatError",
    "PlanReading",
    "TEMPLATE_COLUMNS",
    "read_plan_csv",
    "read_plan_file",
    "read_plan_text",
    "read_plan_yaml",
]


class PlanFormatError(ValueError):
    """The file is not a plan in any format this module reads."""


@dataclass(frozen=True)
class ActivityDraft:
    """One activity row. ``start``/``deadline``/``open_ended`` are what reminders should use:
    the period's reading, or the explicit dates of a template row that override it."""

    plan: int
    table: str
    number: int | None
    step: str | None
    name: str
    details: str
    period_text: str
    period: PeriodReading
    start: date | None
    deadline: date | None
    open_ended: bool
    indicator: str = ""
    target: str = ""
    target_group: str = ""
    responsible: str = ""
    evidence: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def location(self) -> str:
        """Where the row is, in Thai, e.g. "แผนที่ ๑ ตารางที่ ๒.๒ ลำดับที่ ๑ (KMP1)"."""
        number = "?" if self.number is None else str(self.number)
        step = f" ({self.step})" if self.step else ""
        return thai_digits(f"แผนที่ {self.plan} {self.table} ลำดับที่ {number}") + step

    @property
    def dates_unreadable(self) -> bool:
        return self.deadline is None and not self.period.certain


@dataclass(frozen=True)
class PlanDraft:
    number: int
    fiscal_year: int | None
    title: str
    knowledge: str
    unit: str
    activities: tuple[ActivityDraft, ...]
    warnings: tuple[str, ...] = ()
    strategy: str = ""
    outcome_indicator: str = ""


@dataclass(frozen=True)
class PlanReading:
    """Everything read from one source. ``warnings`` gathers the plan-level warnings and every
    activity's warnings, each prefixed with where it was found."""

    source: str
    plans: tuple[PlanDraft, ...]
    warnings: tuple[str, ...] = ()

    @property
    def activities(self) -> tuple[ActivityDraft, ...]:
        return tuple(activity for plan in self.plans for activity in plan.activities)

    @property
    def unreadable_activities(self) -> tuple[ActivityDraft, ...]:
        """Activities whose deadline could not be read: they get no reminders until fixed."""
        return tuple(activity for activity in self.activities if activity.dates_unreadable)


# --- steps ---------------------------------------------------------------------------------

_KNOWLEDGE_STEP_NAMES = {code: STEPS[code].names for code in section_steps("knowledge")}
_CHANGE_STEP_NAMES = {code: STEPS[code].names for code in section_steps("change")}
_STEP_NAMES = {code: step.names for code, step in STEPS.items()}

# A step code, with the brackets the plans put around it: "การเข้าถึงความรู้ (KMP ๕) ...".
_STEP_CODE = re.compile(rf"\(?\s*(?:{STEP_CODE.pattern})\s*\)?", re.IGNORECASE)
_RECOGNITION_CODE = re.compile(rf"RECOG(?:NITION)?|{STEPS[RECOGNITION].name}", re.IGNORECASE)


@dataclass(frozen=True)
class _StepReading:
    step: str | None
    name: str
    details: str
    warnings: tuple[str, ...]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _step_from_name(name: str, candidates: Mapping[str, tuple[str, ...]]) -> str | None:
    written = _squeezed(name)
    # Longest names first: "การยกย่องชมเชยและให้รางวัล" must not read as "การยกย่องชมเชย".
    ordered = sorted(
        ((spelling, step) for step, spellings in candidates.items() for spelling in spellings),
        key=lambda pair: -len(pair[0]),
    )
    for spelling, step in ordered:
        if written.startswith(spelling):
            return step
    return None


def _read_step(activity_text: str, section: str) -> _StepReading:
    """Split "การเข้าถึงความรู้ (KMP ๕) แลกเปลี่ยน..." into step code, name and details."""
    searchable = thai_digit_to_arabic_digit(activity_text)
    match = _STEP_CODE.search(searchable)
    warnings: list[str] = []
    names = {"change": _CHANGE_STEP_NAMES, "knowledge": _KNOWLEDGE_STEP_NAMES}.get(
        section, _STEP_NAMES
    )
    if match:
        step = code_of(match)
        written = activity_text[match.start() : match.end()].strip("() ")
        if is_misprint(match):
            warnings.append(f"เขียนรหัสขั้นตอนว่า “{written}” อ่านเป็น {step}")
        if step not in _STEP_NAMES:
            warnings.append(f"ไม่รู้จักรหัสขั้นตอน “{written}”")
            step = None
        name = activity_text[: match.start()].strip(" -")
        details = activity_text[match.end() :].strip()
        if not name and step is not None:
            name = step_name(step)
        return _StepReading(step, name, _clean_list(details), tuple(warnings))
    name, _, details = activity_text.partition(" - ")
    step = _step_from_name(name, names)
    if step is None:
        warnings.append("ไม่พบรหัสขั้นตอน (KMP/CMP)")
    elif step != RECOGNITION:
        warnings.append(f"ไม่ได้เขียนรหัสขั้นตอน อ่านจากชื่อกิจกรรมเป็น {step}")
    return _StepReading(step, name.strip(), _clean_list(details.strip()), tuple(warnings))


def _template_step(written: str, name: str, details: str) -> _StepReading:
    """A template row's step column ("KMP 5", "kmp๕", "RECOG"), or the step its name implies."""
    written, name = written.strip(), _clean_cell(name)
    details = _clean_list(_clean_cell(details))
    if not written:
        implied = _step_from_name(name, _STEP_NAMES)
        if implied is None:
            return _StepReading(None, name, details, ("ไม่ได้ระบุขั้นตอน (step)",))
        return _StepReading(implied, name, details, ())
    if _RECOGNITION_CODE.fullmatch(written):
        return _StepReading(RECOGNITION, name or step_name(RECOGNITION), details, ())
    if _STEP_CODE.fullmatch(thai_digit_to_arabic_digit(written)) is None:
        return _StepReading(None, name, details, (f"ไม่รู้จักรหัสขั้นตอน “{written}”",))
    code = _read_step(f"({written})", "any")
    return _StepReading(code.step, name or code.name, details, code.warnings)


# --- cells ---------------------------------------------------------------------------------

_HTML_BREAK = re.compile(r"<br\s*/?>|</?p\s*>|\\n", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>]+>")
_LIST_MARKER = re.compile(r"(?:^|\s)[-•]\s+")
_CELL_LABELS = {
    "responsible": re.compile(r"^ผู้รับผิดชอบ\s*[-:]\s*"),
    "method": re.compile(r"^วิธี(?:การ|จัดการ)?สู่ความสำเร็จ\s*[-:]\s*"),
}


def _clean_cell(text: str) -> str:
    """One line of text: line breaks (also HTML ones) become spaces, spaces collapse."""
    text = _HTML_TAG.sub("", _HTML_BREAK.sub(" ", text))
    return " ".join(text.split())


def _clean_list(text: str) -> str:
    """"- a - b" (a bulleted cell) becomes "a; b"; text that is not a list is kept as is."""
    if not re.match(r"[-•]\s", text):
        return text
    items = [item.strip() for item in _LIST_MARKER.split(text) if item.strip()]
    return "; ".join(items)


def _number_in(text: str) -> int | None:
    match = re.fullmatch(r"(\d+)\s*[.)]?", thai_digit_to_arabic_digit(text.strip()))
    return int(match.group(1)) if match else None


# --- activities (shared by every format) --------------------------------------------------

_SECTION_TITLES = {
    "knowledge": "กิจกรรมการจัดการความรู้",
    "change": "กระบวนการบริหารจัดการการเปลี่ยนแปลง",
}


@dataclass
class _Row:
    """One activity row as found, before its period is read."""

    plan: int
    table: str
    section: str
    number: int | None
    step: _StepReading
    fields: dict[str, Any]
    fiscal_year: int | None


def _explicit_date(value: Any, *, end: bool) -> tuple[date | None, str | None]:
    """A template's start/deadline cell in any common form: ISO (CE or BE year), d/m/yyyy,
    a date object from YAML, or Thai text ("๑๕ ม.ค. ๒๕๖๗", or a month: its first or last day)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    written = str(value).strip()
    plain = thai_digit_to_arabic_digit(written)
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", plain)
    slashed = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", plain)
    try:
        if iso:
            year, month, day = (int(part) for part in iso.groups())
        elif slashed:
            day, month, year = (int(part) for part in slashed.groups())
        else:
            year = month = day = 0
        if year:
            # Thai offices write ISO-like dates with BE years too ("2567-03-01").
            return date(to_common_era_year(year) if year >= 2400 else year, month, day), None
    except ValueError:
        return None, f"อ่านวันที่ “{written}” ไม่ได้"
    reading = parse_period(written)
    if reading.certain and not reading.open_ended:
        return (reading.deadline if end else reading.start or reading.deadline), None
    return None, f"อ่านวันที่ “{written}” ไม่ได้"


def _activity_from_row(row: _Row, period: PeriodReading) -> ActivityDraft:
    fields = row.fields
    step, name, details = row.step.step, row.step.name, row.step.details
    warnings = list(row.step.warnings)
    method = _cell(fields, "method")
    if method:
        details = "; ".join(part for part in (details, method) if part)
    if step and row.number is not None and step.startswith(("KMP", "CMP")):
        if int(step[3:]) != row.number:
            warnings.append(thai_digits(f"ลำดับที่ {row.number} ไม่ตรงกับรหัสขั้นตอน {step}"))
    if step in STEPS and (row.section == "change") != (STEPS[step].section == "change"):
        warnings.append(f"ขั้นตอน {step} อยู่ผิดตาราง")

    start, deadline, open_ended = period.start, period.deadline, period.open_ended
    explicit_start, start_problem = _explicit_date(fields.get("start"), end=False)
    explicit_deadline, deadline_problem = _explicit_date(fields.get("deadline"), end=True)
    warnings.extend(problem for problem in (start_problem, deadline_problem) if problem)
    period_overridden = explicit_deadline is not None and (
        explicit_start is not None or period.certain
    )
    if explicit_start is not None:
        start = explicit_start
    if explicit_deadline is not None:
        deadline, open_ended = explicit_deadline, False
    if not period_overridden:
        warnings.extend(_period_warnings(period))
    if start is not None and deadline is not None and start > deadline:
        warnings.append("วันเริ่มอยู่หลังวันสิ้นสุด")

    return ActivityDraft(
        plan=row.plan,
        table=row.table,
        number=row.number,
        step=step,
        name=name,
        details=details,
        period_text=_period_text(row),
        period=period,
        start=start,
        deadline=deadline,
        open_ended=open_ended,
        indicator=_cell(fields, "indicator"),
        target=_cell(fields, "target"),
        target_group=_cell(fields, "target_group"),
        responsible=_cell(fields, "responsible"),
        evidence=_cell(fields, "evidence"),
        warnings=tuple(warnings),
    )


def _period_text(row: _Row) -> str:
    # Kept as written (only trimmed): the committee should recognise their own text.
    value = row.fields.get("period")
    return "" if value is None else str(value).strip()


def _cell(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    text = "" if value is None else _clean_cell(str(value))
    label = _CELL_LABELS.get(name)
    if label is not None:
        text = label.sub("", text)
    return _clean_list(text)


def _period_warnings(period: PeriodReading) -> list[str]:
    if period.certain:
        return [f"ระยะเวลา “{period.text}”: {problem}" for problem in period.problems]
    # An uncertain reading states its reason first; the rest are suggestions, shown once.
    reason = period.problems[0] if period.problems else "ไม่ทราบสาเหตุ"
    message = f"อ่านระยะเวลา “{period.text}” ไม่ได้ ({reason})"
    if period.suggestion:
        message += f" ข้อเสนอ: {period.suggestion}"
    return [message + " โปรดกำหนดวันเริ่มและวันสิ้นสุดเอง"]


def _activities_of(rows: list[_Row]) -> list[ActivityDraft]:
    """Read each row's period, sharpening suggestions with the neighbouring rows' dates."""
    readings = [parse_period(_period_text(row), fiscal_year=row.fiscal_year) for row in rows]
    for index, row in enumerate(rows):
        if readings[index].certain:
            continue
        same_table = [
            position
            for position, other in enumerate(rows)
            if (other.plan, other.section) == (row.plan, row.section)
        ]
        earlier = [readings[p].start for p in same_table if p < index and readings[p].start]
        later = [readings[p].start for p in same_table if p > index and readings[p].start]
        readings[index] = narrow_by_context(
            readings[index],
            not_before=earlier[-1] if earlier else None,
            not_after=later[0] if later else None,
        )
    return [_activity_from_row(row, reading) for row, reading in zip(rows, readings)]


_EXPECTED_STEPS = {
    "knowledge": tuple(_KNOWLEDGE_STEP_NAMES),
    "change": tuple(_CHANGE_STEP_NAMES),
}


def _table_warnings(table: str, section: str, activities: list[ActivityDraft]) -> list[str]:
    numbers = [activity.number for activity in activities if activity.number is not None]
    findings: list[str] = []
    if numbers:
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            findings.append(thai_digits(f"ไม่มีลำดับที่ {_ranges(missing)}"))
        repeated = sorted({number for number in numbers if numbers.count(number) > 1})
        if repeated:
            findings.append(thai_digits(f"ลำดับที่ซ้ำกัน {', '.join(map(str, repeated))}"))
    steps = {activity.step for activity in activities}
    absent = [step for step in _EXPECTED_STEPS[section] if step not in steps]
    if absent:
        findings.append(f"ไม่มีขั้นตอน {', '.join(absent)}")
    # A gap in the numbering and the steps it lost are one finding, reported once.
    return [f"{table}: " + " และ".join(findings)] if findings else []


def _ranges(numbers: list[int]) -> str:
    groups: list[list[int]] = []
    for number in numbers:
        if groups and number == groups[-1][-1] + 1:
            groups[-1].append(number)
        else:
            groups.append([number])
    return ", ".join(
        str(group[0]) if len(group) == 1 else f"{group[0]}–{group[-1]}" for group in groups
    )


@dataclass
class _PlanParts:
    number: int
    fiscal_year: int | None = None
    title: str = ""
    knowledge: str = ""
    unit: str = ""
    strategy: str = ""
    outcome_indicator: str = ""
    knowledge_table: str = ""
    rows: list[_Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _assemble(source: str, parts: Iterable[_PlanParts], warnings: list[str]) -> PlanReading:
    plans: list[PlanDraft] = []
    all_warnings = list(warnings)
    for part in parts:
        activities = _activities_of(part.rows)
        plan_warnings = list(part.warnings)
        for section in ("knowledge", "change"):
            in_section = [
                activity for activity, row in zip(activities, part.rows) if row.section == section
            ]
            if not in_section:
                plan_warnings.append(f"ไม่พบตาราง{_SECTION_TITLES[section]}")
                continue
            plan_warnings.extend(_table_warnings(in_section[0].table, section, in_section))
        plan_prefix = thai_digits(f"แผนที่ {part.number}")
        all_warnings.extend(f"{plan_prefix} {warning}" for warning in plan_warnings)
        for activity in activities:
            all_warnings.extend(f"{activity.location}: {warning}" for warning in activity.warnings)
        plans.append(
            PlanDraft(
                number=part.number,
                fiscal_year=part.fiscal_year,
                title=part.title,
                knowledge=part.knowledge,
                unit=part.unit,
                activities=tuple(activities),
                warnings=tuple(plan_warnings),
                strategy=part.strategy,
                outcome_indicator=part.outcome_indicator,
            )
        )
    if not plans:
        all_warnings.append("ไม่พบตารางแผนการจัดการความรู้ (KM Action Plan) ในเอกสาร")
    return PlanReading(source=source, plans=tuple(plans), warnings=tuple(all_warnings))


# --- the plan document as text ------------------------------------------------------------

_PLAN_TITLE = re.compile(
    r"^(ตารางที่\s*[\d.]+)\s*แผนการจัดการความรู้\s*(?:\(KM Action Plan\))?\s*ที่\s*(\d+)",
    re.IGNORECASE,
)
_FISCAL_YEAR = re.compile(r"ปีงบประมาณ\s*(?:พ\.\s*ศ\.\s*)?(\d{4})")
_QUOTED = re.compile(r"[“\"](.+?)[”\"]")
_HEADER_FIELDS = (
    ("ชื่อองค์ความรู้", "knowledge"),
    ("เจ้าภาพ", "unit"),
    ("ประเด็นยุทธศาสตร์", "strategy"),
    ("ตัวชี้วัดผลสัมฤทธิ์", "outcome_indicator"),
)
_COLUMNS = (
    ("กิจกรรมการจัดการความรู้", "activity"),
    ("กิจกรรม", "activity"),
    ("ระยะเวลา", "period"),
    ("เป้าหมายตัวชี้วัด", "target"),
    ("ตัวชี้วัด", "indicator"),
    ("กลุ่มเป้าหมาย", "target_group"),
    ("เป้าหมาย", "target"),
    ("ผู้รับผิดชอบ", "responsible"),
    ("เอกสารที่แสดงผลสำเร็จ", "evidence"),
    ("วิธีการสู่ความสำเร็จ", "method"),
    ("ที่", "number"),
)


def _strip_markup(line: str) -> str:
    return line.strip().strip("*#").strip()


def _column_of(header: str) -> str | None:
    written = _squeezed(header)
    for label, column in _COLUMNS:
        if written == label or (column == "evidence" and written.startswith(label)):
            return column
    return None


@dataclass
class _Table:
    section: str
    label: str
    columns: list[str | None]


def read_plan_text(text: str, *, source: str) -> PlanReading:
    """Read the plan document's tab-separated action-plan and change-management tables."""
    lines = text.splitlines()
    document_match = _FISCAL_YEAR.search(thai_digit_to_arabic_digit(text))
    document_fiscal_year = int(document_match.group(1)) if document_match else None
    parts: list[_PlanParts] = []
    table: _Table | None = None
    change_heading_seen = False
    for line in lines:
        plain = thai_digit_to_arabic_digit(_strip_markup(line))
        title = _PLAN_TITLE.match(plain)
        if title:
            plan_year = _FISCAL_YEAR.search(plain)
            part = _PlanParts(
                number=int(title.group(2)),
                fiscal_year=int(plan_year.group(1)) if plan_year else document_fiscal_year,
                title=_clean_cell(_strip_markup(line)),
                knowledge_table=thai_digits(title.group(1)),
            )
            quoted = _QUOTED.search(_strip_markup(line))
            part.knowledge = _clean_cell(quoted.group(1)) if quoted else ""
            if part.fiscal_year is None:
                part.warnings.append("ไม่พบปีงบประมาณของแผน")
            parts.append(part)
            table, change_heading_seen = None, False
            continue
        if not parts:
            continue
        part = parts[-1]
        if "\t" not in line:
            change_heading_seen |= _squeezed(plain).startswith(_SECTION_TITLES["change"])
            if table is None:
                _read_header_field(part, _strip_markup(line))
            continue
        cells = line.split("\t")
        if _squeezed(cells[0]) == "ที่":
            table = _open_table(part, cells, change_heading_seen, table)
            change_heading_seen = False
            continue
        if table is not None:
            _read_row(part, table, cells)
    return _assemble(source, parts, [])


def _read_header_field(part: _PlanParts, line: str) -> None:
    key, separator, value = line.partition(":")
    if not separator:
        return
    for label, attribute in _HEADER_FIELDS:
        if _squeezed(key).startswith(label):
            setattr(part, attribute, _clean_cell(value))


def _open_table(
    part: _PlanParts, cells: list[str], change_heading_seen: bool, previous: _Table | None
) -> _Table:
    columns = [_column_of(cell) for cell in cells]
    section = "change" if change_heading_seen or "method" in columns else "knowledge"
    if previous is not None and previous.section == section:
        # A repeated header row (a page break in the original) continues the same table.
        return _Table(section, previous.label, columns)
    if section == "knowledge":
        label = part.knowledge_table or "ตาราง" + _SECTION_TITLES["knowledge"]
    else:
        label = "ตาราง" + _SECTION_TITLES["change"]
    return _Table(section, label, columns)


def _read_row(part: _PlanParts, table: _Table, cells: list[str]) -> None:
    number = _number_in(cells[0])
    if number is None:
        if not cells[0].strip() and part.rows and part.rows[-1].section == table.section:
            _continue_row(part.rows[-1], table, cells)
        return
    fields: dict[str, Any] = {}
    for column, cell in zip(table.columns, cells):
        if column is not None and column != "number":
            fields[column] = cell
    step = _read_step(_clean_cell(fields.get("activity", "")), table.section)
    part.rows.append(
        _Row(part.number, table.label, table.section, number, step, fields, part.fiscal_year)
    )


def _continue_row(row: _Row, table: _Table, cells: list[str]) -> None:
    # A cell broken over two lines arrives as a row with an empty number: its text belongs
    # to the row above, after a space.
    for column, cell in zip(table.columns, cells):
        if column is not None and column != "number" and cell.strip():
            row.fields[column] = f"{row.fields.get(column, '')} {cell}".strip()
    row.step = _read_step(_clean_cell(row.fields.get("activity", "")), row.section)


# --- the template (CSV, YAML) -------------------------------------------------------------

TEMPLATE_COLUMNS = (
    "plan",
    "fiscal_year",
    "number",
    "step",
    "name",
    "details",
    "period",
    "start",
    "deadline",
    "indicator",
    "target",
    "target_group",
    "responsible",
    "evidence",
)
_PLAN_COLUMNS = ("knowledge", "unit")


def read_plan_csv(text: str, source: str = "<csv>") -> PlanReading:
    """Read the CSV template (UTF-8, a BOM is fine; first row = English column names)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        raise PlanFormatError(f"{source}: ไฟล์ CSV ไม่มีหัวตาราง")
    columns = [name.strip().lower() for name in reader.fieldnames]
    missing = [name for name in ("name", "period") if name not in columns]
    if "step" in columns and "name" in missing:
        missing.remove("name")
    if "deadline" in columns and "period" in missing:
        missing.remove("period")
    if missing:
        raise PlanFormatError(f"{source}: ไม่มีคอลัมน์ {', '.join(missing)}")
    records = []
    for raw in reader:
        record = {key.strip().lower(): value for key, value in raw.items() if key is not None}
        if any(str(value or "").strip() for value in record.values()):
            records.append(record)
    unknown = [name for name in columns if name not in TEMPLATE_COLUMNS + _PLAN_COLUMNS]
    warnings = [f"ไม่รู้จักคอลัมน์ “{name}” (ไม่ได้นำเข้า)" for name in unknown]
    return _read_records(source, records, warnings)


def read_plan_yaml(text: str, source: str = "<yaml>") -> PlanReading:
    """Read the YAML template: a list of activities, or a mapping whose ``activities`` (or
    ``plans``, each with its own ``activities``) inherit the keys written beside them."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PlanFormatError(f"{source}: อ่าน YAML ไม่ได้ ({error})") from None
    records = list(_flatten_yaml(document or [], {}, source))
    return _read_records(source, records, [])


def _flatten_yaml(node: Any, inherited: dict[str, Any], source: str) -> Iterable[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _flatten_yaml(item, inherited, source)
        return
    if not isinstance(node, Mapping):
        raise PlanFormatError(f"{source}: รูปแบบ YAML ไม่ถูกต้อง (ต้องเป็นรายการกิจกรรม)")
    own = {str(key).strip().lower(): value for key, value in node.items()}
    children = [own.pop(key) for key in ("plans", "activities") if key in own]
    merged = {**inherited, **own}
    if not children:
        yield merged
        return
    for child in children:
        yield from _flatten_yaml(child, merged, source)


def _read_records(
    source: str, records: list[Mapping[str, Any]], warnings: list[str]
) -> PlanReading:
    parts: dict[int, _PlanParts] = {}
    for index, record in enumerate(records, start=1):
        plan_number = _number_in(str(record.get("plan") or "1"))
        if plan_number is None:
            warnings.append(thai_digits(f"แถวที่ {index}: อ่านเลขแผน “{record.get('plan')}” ไม่ได้"))
            continue
        part = parts.setdefault(plan_number, _PlanParts(number=plan_number))
        fiscal_year = _number_in(str(record.get("fiscal_year") or ""))
        if fiscal_year is not None and part.fiscal_year not in (None, fiscal_year):
            mismatch = f"ปีงบประมาณไม่ตรงกัน ({part.fiscal_year} และ {fiscal_year})"
            part.warnings.append(thai_digits(mismatch))
        part.fiscal_year = part.fiscal_year or fiscal_year
        for attribute in _PLAN_COLUMNS:
            value = _clean_cell(str(record.get(attribute) or ""))
            if value and not getattr(part, attribute):
                setattr(part, attribute, value)
        step = _template_step(
            str(record.get("step") or ""),
            str(record.get("name") or ""),
            str(record.get("details") or ""),
        )
        section = "change" if (step.step or "").startswith("CMP") else "knowledge"
        table = "ตาราง" + _SECTION_TITLES[section]
        number = _number_in(str(record.get("number") or ""))
        fields = {key: record.get(key) for key in TEMPLATE_COLUMNS if key in record}
        part.rows.append(_Row(plan_number, table, section, number, step, fields, fiscal_year))
    for part in parts.values():
        if not part.title:
            part.title = part.knowledge
        if part.fiscal_year is None:
            part.warnings.append("ไม่ได้ระบุปีงบประมาณ (fiscal_year)")
        part.rows = [
            replace(row, fiscal_year=row.fiscal_year or part.fiscal_year) for row in part.rows
        ]
    return _assemble(source, parts.values(), warnings)


# --- files ---------------------------------------------------------------------------------


def read_plan_file(path: str | Path) -> PlanReading:
    """Read a plan file, choosing the format by its extension."""
    path = Path(path)
    readers = {
        ".txt": lambda text: read_plan_text(text, source=str(path)),
        ".md": lambda text: read_plan_text(text, source=str(path)),
        ".csv": lambda text: read_plan_csv(text, str(path)),
        ".yaml": lambda text: read_plan_yaml(text, str(path)),
        ".yml": lambda text: read_plan_yaml(text, str(path)),
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise PlanFormatError(
            f"{path}: ไม่รองรับไฟล์ชนิด “{path.suffix}” (ใช้ .txt .md .csv .yaml .yml)"
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise PlanFormatError(f"{path}: ไฟล์ไม่ได้เข้ารหัสเป็น UTF-8") from None
    return reader(text)
