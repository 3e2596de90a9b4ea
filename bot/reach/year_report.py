"""The year-end KM report and the draft memo to the executive, as Word documents.

Both follow the layout Thai government documents use (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ):
A4, margins 3 cm left, 2.5 cm top, 2 cm right and bottom, TH Sarabun New 16 pt (Sarabun where
that font is missing: Word substitutes), and Thai numerals unless the office chooses Arabic.
The office edits the drafts, so the structure is plain and every paragraph carries a real Word
style (Title, Heading 1/2, Normal, List Bullet, Table Grid, Caption): changing a style changes
the whole document.

`collect_year` reads the database once (plans, activities, evidence, reach figures, survey,
gaps, articles added); the builders only write. A year without a plan is `NoPlanForYear`.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import (
    BANGKOK,
    Digits,
    convert_digits,
    fiscal_year_bounds,
    format_thai_date,
    to_bangkok,
)
from bot.core.channels import evidence_channels
from bot.core.steps import STEPS
from bot.core.tables import InteractionEvent
from bot.reach.figures import SATISFIED_SCORES, ReachReport, SurveyAnswer, latest_answer_per_person, percent
from bot.reach.queries import collect_report
from bot.reach.register import Register, collect_register, fiscal_years_with_plans
from kb.quiz import PASS_SHARE, passed
from kb.tables import Article

FONT_NAME = "TH Sarabun New"
BODY_SIZE = 16
REPORT_TITLE = "รายงานผลการดำเนินงานตามแผนการจัดการความรู้ (KM Action Plan)"
MEMO_SUBJECT = "รายงานผลการดำเนินงานตามแผนการจัดการความรู้ ประจำปีงบประมาณ {year}"
DEFAULT_ADDRESSEE = "นายกองค์การบริหารส่วนจังหวัด"
MET_TEXT = {True: "บรรลุ", False: "ยังไม่บรรลุ", None: "-"}
SCORE_NAMES = {5: "มากที่สุด", 4: "มาก", 3: "ปานกลาง", 2: "น้อย", 1: "น้อยที่สุด"}

# The report's sections, in order; tests and the pack's manifest name them.
SECTIONS = (
    "ส่วนที่ 1 สรุปผลการดำเนินงาน",
    "ส่วนที่ 2 แผนการจัดการความรู้และองค์ความรู้",
    "ส่วนที่ 3 ผลการดำเนินงานรายกิจกรรมและหลักฐาน",
    "ส่วนที่ 4 ตัวชี้วัดการเข้าถึงความรู้เทียบกับค่าเป้าหมาย",
    "ส่วนที่ 5 ผลการสำรวจความพึงพอใจของบุคลากร",
    "ส่วนที่ 6 ช่องว่างความรู้และองค์ความรู้ที่เพิ่มในคลัง",
    "ส่วนที่ 7 แผนภูมิรายเดือน",
)


class NoPlanForYear(LookupError):
    """No KM plan of this fiscal year is imported; the message is Thai."""

    def __init__(self, fiscal_year: int, available: list[int]) -> None:
        known = ", ".join(str(year) for year in available) or "ยังไม่มี"
        super().__init__(
            f"ไม่พบแผนการจัดการความรู้ของปีงบประมาณ {fiscal_year} "
            f"(ปีที่นำเข้าแล้ว: {known}) นำเข้าแผนก่อนด้วย kmbot plan import ไฟล์แผน"
        )
        self.fiscal_year = fiscal_year


@dataclass(frozen=True)
class SurveySummary:
    responses: int
    distribution: dict[int, int]
    satisfied_percent: float | None
    mean: float | None
    comments: list[str] = field(default_factory=list)
    # The understanding quiz (`/quiz`): people who answered every question, and who passed.
    quiz_takers: int = 0
    quiz_passed: int = 0
    # Satisfaction per KM step (`/survey KMP6 4`): step -> (people, mean, percent satisfied).
    by_step: dict[str, tuple[int, float | None, float | None]] = field(default_factory=dict)

    @property
    def quiz_passed_percent(self) -> float | None:
        return percent(self.quiz_passed, self.quiz_takers)


@dataclass(frozen=True)
class AddedArticle:
    title: str
    category: str
    created_on: date


@dataclass(frozen=True)
class YearData:
    fiscal_year: int
    organisation: str | None
    register: Register
    reach: ReachReport
    survey: SurveySummary
    articles_added: list[AddedArticle]

    @property
    def activities(self) -> int:
        return len(self.register.rows)


def collect_year(session: Session, fiscal_year: int, *, organisation: str | None = None,
                 staff_count: int | None = None, declared_channels: tuple[str, ...] = ()) -> YearData:
    available = fiscal_years_with_plans(session)
    if fiscal_year not in available:
        raise NoPlanForYear(fiscal_year, available)
    return YearData(
        fiscal_year=fiscal_year,
        organisation=organisation,
        register=collect_register(session, fiscal_year, organisation),
        reach=collect_report(session, fiscal_year, staff_count=staff_count, declared_channels=declared_channels,
                             organisation=organisation),
        survey=collect_survey(session, fiscal_year, declared_channels),
        articles_added=_articles_added(session, fiscal_year),
    )


def _year_bounds(fiscal_year: int) -> tuple[datetime, datetime]:
    first_day, last_day = fiscal_year_bounds(fiscal_year)
    return (datetime.combine(first_day, time.min, tzinfo=BANGKOK), datetime.combine(last_day, time.max, tzinfo=BANGKOK))


def collect_survey(session: Session, fiscal_year: int, declared_channels: tuple[str, ...] = ()) -> SurveySummary:
    """Each person's latest answer of the year (as the reach report counts them), with comments."""
    start, end = _year_bounds(fiscal_year)
    rows = session.execute(
        select(InteractionEvent.user_id, InteractionEvent.occurred_at, InteractionEvent.value, InteractionEvent.detail)
        .where(InteractionEvent.kind == "survey_answer", InteractionEvent.occurred_at >= start,
               InteractionEvent.occurred_at <= end, InteractionEvent.value.is_not(None),
               InteractionEvent.channel.in_(evidence_channels(declared_channels)))
        .order_by(InteractionEvent.occurred_at, InteractionEvent.id)
    ).all()
    comments_by_moment = {}
    answers = []
    for user_id, occurred_at, value, detail in rows:
        answers.append(SurveyAnswer(user_id, occurred_at, int(value)))
        comment = (detail or {}).get("comment") if isinstance(detail, dict) else None
        if isinstance(comment, str) and comment.strip():
            comments_by_moment[(user_id, occurred_at)] = comment.strip()
    latest = latest_answer_per_person(answers)
    distribution = Counter(answer.score for answer in latest)
    responses = len(latest)
    satisfied = sum(count for score, count in distribution.items() if score in SATISFIED_SCORES)
    comments = [comments_by_moment[(answer.user_id, answer.occurred_at)] for answer in latest
                if (answer.user_id, answer.occurred_at) in comments_by_moment]
    takers, passers = _quiz_results(session, fiscal_year, declared_channels)
    return SurveySummary(
        responses=responses,
        distribution={score: distribution.get(score, 0) for score in (5, 4, 3, 2, 1)},
        satisfied_percent=percent(satisfied, responses),
        mean=round(sum(answer.score for answer in latest) / responses, 2) if responses else None,
        comments=comments,
        quiz_takers=takers,
        quiz_passed=passers,
        by_step=_step_satisfaction(session, fiscal_year, declared_channels),
    )


def _step_satisfaction(session: Session, fiscal_year: int, declared_channels: tuple[str, ...]) -> dict[str, tuple[int, float | None, float | None]]:
    """Each step's latest answer per person, in the steps' plan order."""
    start, end = _year_bounds(fiscal_year)
    latest: dict[str, dict[object, int]] = {}
    for index, (user_id, value, detail) in enumerate(session.execute(
        select(InteractionEvent.user_id, InteractionEvent.value, InteractionEvent.detail)
        .where(InteractionEvent.kind == "step_survey_answer", InteractionEvent.occurred_at >= start,
               InteractionEvent.occurred_at <= end, InteractionEvent.value.between(1, 5),
               InteractionEvent.channel.in_(evidence_channels(declared_channels)))
        .order_by(InteractionEvent.occurred_at, InteractionEvent.id)
    )):
        step = detail.get("step") if isinstance(detail, dict) else None
        if step in STEPS:
            latest.setdefault(step, {})[user_id if user_id is not None else ("anonymous", index)] = int(value)
    result = {}
    for step in STEPS:
        scores = list(latest.get(step, {}).values())
        if scores:
            result[step] = (len(scores), round(sum(scores) / len(scores), 2),
                            percent(sum(1 for score in scores if score in SATISFIED_SCORES), len(scores)))
    return result

def _quiz_results(session: Session, fiscal_year: int, declared_channels: tuple[str, ...]) -> tuple[int, int]:
    """People who answered every question of the year's quiz, and how many of them passed
    (their latest answer to each question counts)."""
    start, end = _year_bounds(fiscal_year)
    answers: dict[int, dict[int, int]] = {}
    lengths: dict[int, int] = {}
    for user_id, value, detail in session.execute(
        select(InteractionEvent.user_id, InteractionEvent.value, InteractionEvent.detail)
        .where(InteractionEvent.kind == "quiz_answer", InteractionEvent.occurred_at >= start,
               InteractionEvent.occurred_at <= end, InteractionEvent.user_id.is_not(None),
               InteractionEvent.channel.in_(evidence_channels(declared_channels)))
        .order_by(InteractionEvent.occurred_at, InteractionEvent.id)
    ):
        if not isinstance(detail, dict) or not isinstance(detail.get("question"), int) or not isinstance(detail.get("of"), int):
            continue
        answers.setdefault(user_id, {})[detail["question"]] = int(value or 0)
        lengths[user_id] = detail["of"]
    finished = {user: marks for user, marks in answers.items() if len(marks) >= lengths[user]}
    return len(finished), sum(1 for user, marks in finished.items() if passed(sum(marks.values()), lengths[user]))


def _articles_added(session: Session, fiscal_year: int) -> list[AddedArticle]:
    """Articles the office added to the store during the year (not the generated plan articles
    nor the starter pack shipped with kmbot)."""
    start, end = _year_bounds(fiscal_year)
    rows = session.scalars(
        select(Article).where(Article.created_at >= start, Article.created_at <= end,
                              Article.source.not_like("plan:%"), Article.source.not_like("starter:%"))
        .order_by(Article.created_at, Article.id)
    )
    return [AddedArticle(row.title, row.category, to_bangkok(row.created_at).date()) for row in rows]


def survey_summary_csv(survey: SurveySummary) -> bytes:
    """The survey summary as CSV (UTF-8 with BOM, so Excel reads the Thai)."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ระดับความพึงพอใจ", "จำนวนผู้ตอบ"])
    for score, count in survey.distribution.items():
        writer.writerow([f"{score} {SCORE_NAMES[score]}", count])
    writer.writerow(["รวมผู้ตอบ", survey.responses])
    writer.writerow(["ร้อยละผู้พึงพอใจ (4–5 คะแนน)", "" if survey.satisfied_percent is None else survey.satisfied_percent])
    writer.writerow(["คะแนนเฉลี่ย", "" if survey.mean is None else survey.mean])
    for step, (people, mean, satisfied) in survey.by_step.items():
        writer.writerow([f"ขั้นตอน {step}: ผู้ตอบ / คะแนนเฉลี่ย / ร้อยละพึงพอใจ", people, mean, "" if satisfied is None else satisfied])
    writer.writerow(["ผู้ทำแบบทดสอบความเข้าใจครบ", survey.quiz_takers])
    writer.writerow(["ร้อยละผู้ผ่านแบบทดสอบ", "" if survey.quiz_passed_percent is None else survey.quiz_passed_percent])
    writer.writerow([])
    writer.writerow(["ข้อเสนอแนะ"])
    for comment in survey.comments:
        writer.writerow([comment])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- Word documents ---------------------------------------------------------------------------


class Verbatim(str):
    """Text written as it is, digits included: a file name must match the file in the pack."""


# Step codes are identifiers ("KMP2"), written the same in every document and chat.
_STEP_CODES = re.compile(r"((?:KMP|CMP)\s?\d)")


class _Writer:
    """A document in the government layout, writing text with the office's digits."""

    def __init__(self, digits: Digits) -> None:
        from docx import Document
        from docx.shared import Cm

        self.digits = digits
        self.document = Document()
        for section in self.document.sections:
            section.page_width, section.page_height = Cm(21), Cm(29.7)
            section.left_margin, section.top_margin = Cm(3), Cm(2.5)
            section.right_margin, section.bottom_margin = Cm(2), Cm(2)
        for name, size, bold in (("Normal", BODY_SIZE, False), ("Title", 20, True), ("Heading 1", 18, True),
                                 ("Heading 2", 16, True), ("List Bullet", BODY_SIZE, False), ("Caption", 14, False)):
            self._thai_style(name, size, bold)

    def _thai_style(self, name: str, size: int, bold: bool) -> None:
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt, RGBColor

        style = self.document.styles[name]
        style.font.name = FONT_NAME
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        properties = style.element.get_or_add_rPr()
        fonts = properties.get_or_add_rFonts()
        # Thai is a complex script in Word: without w:cs and w:szCs the font and size do not apply to it.
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attribute), FONT_NAME)
        # A theme font (the headings' default) would win over the named one.
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        for tag in ("w:szCs",):
            element = properties.find(qn(tag))
            if element is None:
                element = OxmlElement(tag)
                properties.append(element)
            element.set(qn("w:val"), str(size * 2))
        if bold and properties.find(qn("w:bCs")) is None:
            properties.append(OxmlElement("w:bCs"))

    def text(self, value: object) -> str:
        if isinstance(value, Verbatim):
            return str(value)
        parts = _STEP_CODES.split(str(value))
        return "".join(part if index % 2 else convert_digits(part, self.digits) for index, part in enumerate(parts))

    def paragraph(self, value: object = "", style: str | None = None, *, indent_first: bool = False, align: str | None = None):  # type: ignore[no-untyped-def]
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        paragraph = self.document.add_paragraph(self.text(value), style=style)
        if indent_first:
            paragraph.paragraph_format.first_line_indent = Cm(2.5)
        if align:
            paragraph.alignment = getattr(WD_ALIGN_PARAGRAPH, align)
        return paragraph

    def heading(self, value: object, level: int) -> None:
        self.document.add_heading(self.text(value), level=level)

    def table(self, headings: list[str], rows: list[list[object]], widths_cm: list[float] | None = None) -> None:
        from docx.shared import Cm

        table = self.document.add_table(rows=1, cols=len(headings))
        table.style = self.document.styles["Table Grid"]
        for cell, heading in zip(table.rows[0].cells, headings):
            cell.text = self.text(heading)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row):
                cell.text = self.text("" if value is None else value)
        if widths_cm:
            # Word reads the cells' widths, LibreOffice the grid's: both are set.
            table.autofit = False
            for column, width in zip(table.columns, widths_cm):
                column.width = Cm(width)
            for row in table.rows:
                for cell, width in zip(row.cells, widths_cm):
                    cell.width = Cm(width)
        self.document.add_paragraph()

    def picture(self, data: bytes, width_cm: float, caption: str) -> None:
        from docx.shared import Cm

        self.document.add_picture(io.BytesIO(data), width=Cm(width_cm))
        self.paragraph(caption, "Caption", align="CENTER")

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def _number(value: int | float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{text}{unit}"


def _title(data: YearData) -> str:
    return f"{REPORT_TITLE} ประจำปีงบประมาณ {data.fiscal_year}"


def build_report_docx(data: YearData, *, digits: Digits = "thai", chart_png: bytes | None = None) -> bytes:
    writer = _Writer(digits)
    writer.document.core_properties.title = writer.text(_title(data))
    writer.document.core_properties.author = data.organisation or "kmbot"
    writer.paragraph(_title(data), "Title", align="CENTER")
    if data.organisation:
        writer.paragraph(data.organisation, align="CENTER")
    writer.paragraph(f"จัดทำเมื่อ {format_thai_date(to_bangkok(data.register.generated_at).date(), digits)}", align="CENTER")
    _summary_section(writer, data)
    _plans_section(writer, data)
    _activities_section(writer, data)
    _indicators_section(writer, data)
    _survey_section(writer, data)
    _gaps_section(writer, data)
    writer.heading(SECTIONS[6], 1)
    if chart_png is None:
        from bot.reach.export import to_png

        chart_png = to_png(data.reach)
    writer.picture(chart_png, 16, f"แผนภูมิ: การเข้าถึงความรู้รายเดือน ปีงบประมาณ {data.fiscal_year}")
    return writer.save()


def _summary_section(writer: _Writer, data: YearData) -> None:
    register = data.register
    totals = data.reach.totals
    writer.heading(SECTIONS[0], 1)
    writer.paragraph(
        f"ในปีงบประมาณ {data.fiscal_year} มีแผนการจัดการความรู้ {len(register.plans)} แผน รวม {data.activities} กิจกรรม "
        f"ดำเนินการแล้วเสร็จ {register.done_count} กิจกรรม "
        f"(ร้อยละ {_number(percent(register.done_count, data.activities))}) "
        f"มีไฟล์หลักฐานประกอบ {register.evidence_count} ไฟล์",
        indent_first=True,
    )
    met = sum(1 for indicator in data.reach.indicators if indicator.met)
    measured = sum(1 for indicator in data.reach.indicators if indicator.met is not None)
    writer.paragraph(
        f"ผ่านช่องทาง LINE บุคลากรถามคำถาม {_number(totals.questions)} ครั้ง ตอบได้ {_number(totals.answered)} ครั้ง "
        f"เปิดอ่านบทความ {_number(totals.article_views)} ครั้ง ผู้ใช้งาน {_number(totals.distinct_users)} คน "
        f"ตัวชี้วัดที่วัดได้บรรลุค่าเป้าหมาย {met} จาก {measured} ตัวชี้วัด",
        indent_first=True,
    )


def _plans_section(writer: _Writer, data: YearData) -> None:
    writer.heading(SECTIONS[1], 1)
    writer.table(["แผนที่", "องค์ความรู้", "เจ้าภาพ"],
                 [[plan.number, plan.knowledge_topic, plan.unit] for plan in data.register.plans], [1.8, 9, 5.2])


def _activities_section(writer: _Writer, data: YearData) -> None:
    writer.heading(SECTIONS[2], 1)
    digits = writer.digits
    for plan in data.register.plans:
        writer.heading(f"แผนที่ {plan.number} {plan.knowledge_topic}".strip(), 2)
        rows = []
        for row in (row for row in data.register.rows if row.plan_number == plan.number):
            deadline = format_thai_date(row.deadline, digits) if row.deadline else "ยังไม่ได้กำหนด"
            done = format_thai_date(row.done_on, digits) if row.done_on else "-"
            evidence = [writer.text(row.evidence_note)] if row.evidence_note else []
            evidence += [f"• {entry.name}" for entry in row.evidence]
            rows.append([f"{row.step} {row.name}", row.period_text or "-", deadline, row.status_name, done,
                         Verbatim("\n".join(evidence) or "-")])
        writer.table(["กิจกรรม", "ระยะเวลาตามแผน", "ครบกำหนด", "สถานะ", "วันที่ทำเสร็จ", "หลักฐาน"], rows,
                     [4.2, 2.6, 2.2, 1.8, 2.2, 3])


def _indicators_section(writer: _Writer, data: YearData) -> None:
    writer.heading(SECTIONS[3], 1)
    rows = [[indicator.name, _number(indicator.value), _number(indicator.target), MET_TEXT[indicator.met],
             indicator.rule or "-"] for indicator in data.reach.indicators]
    writer.table(["ตัวชี้วัด", "ผล", "ค่าเป้าหมาย", "ผลการประเมิน", "วิธีนับ"], rows, [4.5, 1.8, 2, 2, 5.7])


def _survey_section(writer: _Writer, data: YearData) -> None:
    survey = data.survey
    writer.heading(SECTIONS[4], 1)
    if survey.quiz_takers:
        writer.paragraph(
            f"แบบทดสอบความเข้าใจ (คำถามจากคลังความรู้) มีผู้ทำครบ {survey.quiz_takers} คน "
            f"ผ่านเกณฑ์ (ตอบถูกอย่างน้อย {round(PASS_SHARE * 100)}%) {survey.quiz_passed} คน "
            f"คิดเป็นร้อยละ {_number(survey.quiz_passed_percent)}",
            indent_first=True,
        )
    if not survey.responses:
        writer.paragraph("ยังไม่มีผู้ตอบแบบสำรวจความพึงพอใจในปีงบประมาณนี้", indent_first=True)
        _step_table(writer, survey)
        return
    writer.paragraph(
        f"มีผู้ตอบแบบสำรวจ {survey.responses} คน พึงพอใจระดับมากถึงมากที่สุด (๔–๕ คะแนน) "
        f"ร้อยละ {_number(survey.satisfied_percent)} คะแนนเฉลี่ย {_number(survey.mean)} จาก 5",
        indent_first=True,
    )
    writer.table(["ระดับความพึงพอใจ", "จำนวน (คน)", "ร้อยละ"],
                 [[f"{score} {SCORE_NAMES[score]}", count, _number(percent(count, survey.responses))]
                  for score, count in survey.distribution.items()], [6, 4, 4])
    _step_table(writer, survey)
    if survey.comments:
        writer.paragraph("ข้อเสนอแนะจากบุคลากร")
        for comment in survey.comments:
            writer.paragraph(comment, "List Bullet")


def _step_table(writer: _Writer, survey: SurveySummary) -> None:
    if not survey.by_step:
        return
    writer.paragraph("ความพึงพอใจรายขั้นตอนของกระบวนการจัดการความรู้")
    writer.table(["ขั้นตอน", "ผู้ตอบ (คน)", "คะแนนเฉลี่ย", "ร้อยละพึงพอใจ"],
                 [[f"{step} {STEPS[step].name}", people, _number(mean), _number(satisfied)]
                  for step, (people, mean, satisfied) in survey.by_step.items()], [7, 3, 3, 3])


def _gaps_section(writer: _Writer, data: YearData) -> None:
    writer.heading(SECTIONS[5], 1)
    gaps = data.reach.gaps
    writer.paragraph(
        f"คำถามที่น้องบอทยังตอบไม่ได้ (ช่องว่างความรู้) ที่ยังไม่ได้เพิ่มคำตอบ {data.reach.open_gaps} เรื่อง "
        f"และเพิ่มองค์ความรู้ใหม่ในคลังระหว่างปี {len(data.articles_added)} เรื่อง",
        indent_first=True,
    )
    if gaps:
        writer.table(["คำถามที่ยังตอบไม่ได้", "จำนวนครั้ง"], [[gap.question, gap.count] for gap in gaps], [12, 4])
    if data.articles_added:
        writer.table(["องค์ความรู้ที่เพิ่ม", "หมวด", "วันที่เพิ่ม"],
                     [[article.title, article.category or "-", format_thai_date(article.created_on, writer.digits)]
                      for article in data.articles_added], [9, 4, 3])


def build_memo_docx(data: YearData, *, digits: Digits = "thai", addressee: str = DEFAULT_ADDRESSEE,
                    on: date | None = None) -> bytes:
    """The draft บันทึกข้อความ reporting the year to the executive, with the report attached."""
    from docx.shared import Cm, Pt

    writer = _Writer(digits)
    heading = writer.paragraph("บันทึกข้อความ", "Title", align="CENTER")
    for run in heading.runs:
        run.font.size = Pt(29)
    day = on or to_bangkok(data.register.generated_at).date()
    writer.paragraph(f"ส่วนราชการ  {data.organisation or '.................................................'}")
    writer.paragraph("ที่  ..............................        " + f"วันที่  {format_thai_date(day, digits)}")
    writer.paragraph(f"เรื่อง  {MEMO_SUBJECT.format(year=data.fiscal_year)}")
    writer.paragraph(f"เรียน  {addressee}")
    register = data.register
    topics = ", ".join(plan.knowledge_topic for plan in register.plans if plan.knowledge_topic) or "-"
    writer.paragraph("สิ่งที่ส่งมาด้วย  " + _title(data) + "  จำนวน 1 ฉบับ")
    writer.paragraph(
        f"ตามที่ได้จัดทำแผนการจัดการความรู้ ประจำปีงบประมาณ {data.fiscal_year} จำนวน {len(register.plans)} แผน "
        f"ในองค์ความรู้ {topics} และได้แต่งตั้งคณะทำงานการจัดการความรู้เพื่อขับเคลื่อนแผนดังกล่าว นั้น",
        indent_first=True,
    )
    met = sum(1 for indicator in data.reach.indicators if indicator.met)
    measured = sum(1 for indicator in data.reach.indicators if indicator.met is not None)
    survey = data.survey
    survey_text = (f" และผลการสำรวจความพึงพอใจของบุคลากร {survey.responses} คน พึงพอใจในระดับมากขึ้นไป "
                   f"ร้อยละ {_number(survey.satisfied_percent)}") if survey.responses else ""
    writer.paragraph(
        f"บัดนี้ คณะทำงานได้ดำเนินการตามแผนแล้วเสร็จ {register.done_count} จาก {data.activities} กิจกรรม "
        f"โดยมีการบ่งชี้ความรู้ การสร้างและแสวงหาความรู้ การจัดความรู้ให้เป็นระบบ และการประมวลและกลั่นกรองความรู้ "
        f"พร้อมหลักฐานการดำเนินงาน {register.evidence_count} ไฟล์ ผลการเข้าถึงความรู้ผ่านช่องทาง LINE "
        f"บรรลุค่าเป้าหมาย {met} จาก {measured} ตัวชี้วัด{survey_text} รายละเอียดปรากฏตามสิ่งที่ส่งมาด้วย",
        indent_first=True,
    )
    writer.paragraph("จึงเรียนมาเพื่อโปรดทราบ", indent_first=True)
    for line in ("", "", "(.................................................)",
                 "ตำแหน่ง .................................................", "เลขานุการคณะทำงานการจัดการความรู้"):
        paragraph = writer.paragraph(line, align="CENTER")
        paragraph.paragraph_format.left_indent = Cm(7)
    return writer.save()
