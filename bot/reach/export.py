"""The reach report as files the secretary hands on: JSON, CSV, XLSX, a PNG chart and a table.

Everything here reads a `ReachReport` (already aggregated, with no LINE ids in it) and writes
bytes or text; nothing queries the database. Heavy libraries (matplotlib, openpyxl) are imported
when a format is asked for, never when this module is imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from typing import Any, Callable, Sequence

from bot.core.calendar import (
    THAI_ABBREVIATED_MONTHS,
    format_thai_date,
    format_thai_datetime,
)
from bot.core.fonts import sarabun_font_path
from bot.reach.figures import FIGURE_HEADINGS, FIGURE_KEYS, NOT_MEASURED, Indicator, ReachReport

FORMATS = ("table", "csv", "xlsx", "json", "png")
BINARY_FORMATS = ("xlsx", "png")
FILE_SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "json": ".json", "png": ".png", "table": ".txt"}

MET_TEXT = {True: "ผ่าน", False: "ไม่ผ่าน", None: "-"}
TOTAL_LABEL = "รวม"
REPORT_TITLE = "รายงานการเข้าถึงความรู้ (kmbot)"

MONTH_HEADINGS = ("เดือน", "ปี-เดือน (พ.ศ.)")
INDICATOR_HEADINGS = ("ตัวชี้วัด", "ค่าที่ได้", "ค่าเป้าหมาย", "ผลการประเมิน", "หน่วย", "วิธีนับ", "จำนวนเหตุการณ์ที่ใช้นับ",
                      "ที่มาของค่าเป้าหมาย", "หมายเหตุ")
RATE_HEADINGS = ("อัตราการตอบได้ (ร้อยละ)", "ความพึงพอใจ (ร้อยละ 4–5 คะแนน)", "คำตอบที่มีประโยชน์ (ร้อยละ)")


# --- JSON (SPEC's contract) ------------------------------------------------------------------


def report_json(report: ReachReport) -> dict[str, Any]:
    """SPEC's `reach report --format json` object, with the fields SPEC allows adding.

    `months[].month` is the Buddhist Era year and month, "2567-03", the same form `--month`
    takes, so a month of the report can be asked for by the label it carries. `totals` count
    the evidence channels only (`evidence_channels`); `by_channel` shows every channel, the
    simulators, the secretary, previews, robots and anonymous page views among them. Each
    indicator carries its `rule` and the number of `events` it rests on.
    """
    return {
        "organisation": report.organisation,
        "evidence_channels": report.evidence_channels,
        "fiscal_year": report.fiscal_year,
        "totals": report.totals.as_dict(),
        # `month` is BE like `--month`; `month_ce` is the same month for tools that want CE.
        "months": [{"month": row.label, "month_ce": f"{row.year:04d}-{row.month:02d}", **row.figures.as_dict()} for row in report.months],
        "indicators": [indicator.as_dict() for indicator in report.indicators],
        "gaps": [{"question": gap.question, "count": gap.count} for gap in report.gaps],
        "by_channel": [channel.as_dict() for channel in report.by_channel],
        "push_groups": report.push_groups,
        "feedback_by_article": [
            {"month": item.month, "article_id": item.article_id, "title": item.title,
             "helpful": item.helpful, "unhelpful": item.unhelpful}
            for item in report.article_feedback
        ],
        "comments": [{"month": item.month, "score": item.score, "comment": item.comment} for item in report.comments],
        "experts": report.experts,
    }


def to_json(report: ReachReport) -> str:
    return json.dumps(report_json(report), ensure_ascii=False, indent=2)


# --- rows shared by CSV, XLSX and the table ----------------------------------------------------


def _number(value: int | float | None) -> int | float | str:
    """A number, or "-" where there is none (text formats; the XLSX leaves the cell empty)."""
    return "-" if value is None else value


# OWASP's CSV-injection guidance: a cell that begins with one of these is a formula (or a DDE
# payload) to Excel and LibreOffice. Text from people (questions, titles, comments) is written
# with a leading apostrophe in CSV and as a plain string cell in XLSX.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """`value` made safe for a spreadsheet: numbers stay numbers, a text that could start a
    formula gets a leading apostrophe ("-" alone, the no-value mark, stays)."""
    if isinstance(value, str) and value and value != "-" and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def month_table_rows(report: ReachReport) -> list[list[Any]]:
    """Heading row, one row per month, and the total row."""
    heading = [*MONTH_HEADINGS, *(FIGURE_HEADINGS[key] for key in FIGURE_KEYS), *RATE_HEADINGS]
    rows: list[list[Any]] = [heading]
    for row in report.months:
        figures = row.figures
        rows.append([row.thai_label, row.label, *(getattr(figures, key) for key in FIGURE_KEYS),
                     _number(figures.answer_rate), _number(figures.satisfaction_percent), _number(figures.helpful_percent)])
    totals = report.totals
    rows.append([TOTAL_LABEL, report.month or str(report.fiscal_year), *(getattr(totals, key) for key in FIGURE_KEYS),
                 _number(totals.answer_rate), _number(totals.satisfaction_percent), _number(totals.helpful_percent)])
    return rows


def indicator_rows(report: ReachReport) -> list[list[Any]]:
    rows: list[list[Any]] = [list(INDICATOR_HEADINGS)]
    for indicator in report.indicators:
        met = NOT_MEASURED if not indicator.measured else MET_TEXT[indicator.met]
        rows.append([indicator.name, _number(indicator.value), _number(indicator.target), met,
                     indicator.unit, indicator.rule, _number(indicator.events), indicator.target_source, indicator.note])
    return rows


def channel_rows(report: ReachReport) -> list[list[Any]]:
    """Every channel's events: which are evidence and which are shown apart."""
    rows: list[list[Any]] = [["ช่องทาง", "รหัส", "นับเป็นหลักฐาน", "คำถาม (ครั้ง)", "ตอบได้ (ครั้ง)", "เปิดอ่านบทความ (ครั้ง)",
                              "ประเมิน 👍/👎 (ครั้ง)", "แบบสอบถาม (ครั้ง)", "แจ้งเตือนคณะทำงาน (ครั้ง)",
                              "ส่งความรู้ถึงบุคลากร (ครั้ง)", "ข้อความถึงสมาชิกกลุ่ม (หน่วยข้อความ)", "ผู้ใช้ไม่ซ้ำ (คน)",
                              "เหตุการณ์ทั้งหมด"]]
    for channel in report.by_channel:
        data = channel.as_dict()
        rows.append([channel.label, channel.channel, "นับ" if channel.evidence else "ไม่นับ", data["questions"], data["answered"],
                     data["article_views"], data["feedback"], data["survey_answers"], data["reminder_pushes"],
                     data["knowledge_pushes"], data["push_recipients"], data["distinct_users"], data["events"]])
    return rows


def feedback_rows(report: ReachReport) -> list[list[Any]]:
    return [["ปี-เดือน (พ.ศ.)", "รหัสบทความ", "ชื่อบทความ", "👍 มีประโยชน์ (ครั้ง)", "👎 ยังไม่ตรง (ครั้ง)"]] + [
        [item.month, item.article_id, item.title, item.helpful, item.unhelpful] for item in report.article_feedback
    ]


def comment_rows(report: ReachReport) -> list[list[Any]]:
    return [["ลำดับ", "ปี-เดือน (พ.ศ.)", "คะแนน (1–5)", "ข้อเสนอแนะ"]] + [
        [position, item.month, item.score, item.comment] for position, item in enumerate(report.comments, start=1)
    ]


def summary_rows(report: ReachReport) -> list[list[Any]]:
    totals = report.totals
    rows: list[list[Any]] = [
        ["หัวข้อ", "ค่า"],
        ["รายงาน", REPORT_TITLE],
        ["หน่วยงาน", report.organisation or "-"],
        ["ช่วงเวลา", report.period_label],
        ["ตั้งแต่", format_thai_date(report.period_start, "arabic")],
        ["ถึง", format_thai_date(report.period_end, "arabic")],
        ["จำนวนบุคลากรทั้งหมด (คน)", _number(report.staff_count)],
        ["ร้อยละของบุคลากรที่ใช้งานผ่าน LINE", _number(report.staff_reached_percent)],
        ["ช่องทางที่นับเป็นหลักฐาน", ", ".join(report.evidence_channels) or "-"],
    ]
    rows += [[FIGURE_HEADINGS[key], getattr(totals, key)] for key in FIGURE_KEYS]
    rows += [
        ["อัตราการตอบได้ (ร้อยละ)", _number(totals.answer_rate)],
        ["ความพึงพอใจ (ร้อยละผู้ให้ 4–5 คะแนน)", _number(totals.satisfaction_percent)],
        ["คะแนนความพึงพอใจเฉลี่ย (เต็ม 5)", _number(totals.satisfaction_mean)],
        ["คำตอบที่มีประโยชน์ (ร้อยละ)", _number(totals.helpful_percent)],
        ["เอกสารความรู้ที่เผยแพร่ (เรื่อง)", report.documents_disseminated],
        ["ช่องทางที่ใช้", ", ".join(report.channels) or "-"],
        ["กลุ่มที่ได้รับข้อความ (กลุ่ม)", report.push_groups],
        ["การส่งความรู้ที่ใช้จำนวนสมาชิกล่าสุดที่ทราบ (ครั้ง)", report.last_known_member_counts],
        *experts_rows(report),
        ["จัดทำเมื่อ", format_thai_datetime(report.generated_at, "arabic")],
    ]
    return rows


EXPERT_HEADINGS = (
    ("sent", "คำถามที่ส่งถึงผู้รู้ (ข้อ)"),
    ("answered", "คำถามที่ผู้รู้ตอบแล้ว (ข้อ)"),
    ("median_hours_to_answer", "เวลาที่ผู้รู้ใช้ตอบ มัธยฐาน (ชั่วโมง)"),
    ("articles_published", "บทความถาม-ตอบจากผู้รู้ที่เผยแพร่ (เรื่อง)"),
)


def experts_rows(report: ReachReport) -> list[list[Any]]:
    """Questions sent to the experts group and what came of them (KMP 6 / CMP 6 evidence)."""
    if not report.experts:
        return []
    return [[heading, _number(report.experts.get(key))] for key, heading in EXPERT_HEADINGS]


def gap_rows(report: ReachReport) -> list[list[Any]]:
    return [["ลำดับ", "คำถาม", "จำนวนครั้งที่ถาม (ทั้งหมด)"]] + [
        [position, gap.question, gap.count] for position, gap in enumerate(report.gaps, start=1)
    ]


def article_rows(report: ReachReport) -> list[list[Any]]:
    return [["ลำดับ", "รหัสบทความ", "ชื่อบทความ", "เปิดอ่าน (ครั้ง)", "ใช้ตอบคำถาม (ครั้ง)", "ส่งเป็นความรู้ประจำสัปดาห์ (ครั้ง)", "รวม"]] + [
        [position, article.article_id, article.title, article.views, article.answers, article.pushes, article.total]
        for position, article in enumerate(report.top_articles, start=1)
    ]


# --- CSV -------------------------------------------------------------------------------------


def to_csv(report: ReachReport) -> bytes:
    """The monthly table (with its total row), a blank line, then the indicators.

    UTF-8 with a byte-order mark: without it Excel opens the file as ANSI and Thai is garbled.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for position, rows in enumerate((month_table_rows(report), indicator_rows(report), channel_rows(report),
                                     feedback_rows(report), comment_rows(report))):
        if position:
            writer.writerow([])
        writer.writerows([[inert(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")


# --- XLSX ------------------------------------------------------------------------------------

SHEETS: tuple[tuple[str, Callable[[ReachReport], list[list[Any]]]], ...] = (
    ("สรุป", summary_rows),
    ("รายเดือน", month_table_rows),
    ("ตัวชี้วัด", indicator_rows),
    ("คำถามที่ยังตอบไม่ได้", gap_rows),
    ("บทความยอดนิยม", article_rows),
    ("ช่องทาง", channel_rows),
    ("ความเห็นต่อบทความ", feedback_rows),
    ("ข้อเสนอแนะ", comment_rows),
)
# Columns that hold percentages (stored as fractions with a % format) per sheet, by heading.
PERCENT_HEADINGS = {*RATE_HEADINGS, "ร้อยละของบุคลากรที่ใช้งานผ่าน LINE", "อัตราการตอบได้ (ร้อยละ)",
                    "ความพึงพอใจ (ร้อยละผู้ให้ 4–5 คะแนน)", "คำตอบที่มีประโยชน์ (ร้อยละ)"}


def report_heading(report: ReachReport) -> str:
    """"รายงานการเข้าถึงความรู้ (kmbot) – <organisation> – ปีงบประมาณ 2567"."""
    parts = [REPORT_TITLE, report.organisation, report.period_label]
    return " – ".join(part for part in parts if part)


def set_up_table_sheet(sheet: Any, rows: list[list[Any]], heading_row: int, title: str, *, widest: int = 60) -> None:
    """A table sheet fit to file: a coloured heading row kept on screen and on every printed page,
    columns as wide as their text (up to `widest`), A4 landscape fit to the page width, the title
    in the page header and page numbers in the footer."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    for cell in sheet[heading_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1B4F72")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = f"A{heading_row + 1}"
    for column_index in range(1, len(rows[0]) + 1):
        longest = max((len(str(row[column_index - 1] or "")) for row in rows if len(row) >= column_index), default=10)
        sheet.column_dimensions[get_column_letter(column_index)].width = min(max(10, longest + 2), widest)
    sheet.print_title_rows = f"{heading_row}:{heading_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "หน้า &P / &N"
    sheet.oddHeader.center.text = title[:200].replace("&", "&&")


def to_xlsx(report: ReachReport) -> bytes:
    """One sheet per view, a document to file: the title (organisation, fiscal year) above a
    bold heading row that repeats on every printed page; numbers as numbers with thousands
    separators, percentages as percentages, no value as an empty cell, every text inert;
    A4 landscape, fit to the page width."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    title = report_heading(report)
    for sheet_title, rows_of in SHEETS:
        sheet = workbook.create_sheet(sheet_title)
        rows = rows_of(report)
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        heading_row = 3
        sheet.append([f"{sheet_title} – จัดทำเมื่อ {format_thai_datetime(report.generated_at, 'arabic')}"])
        percent_columns = {index for index, heading in enumerate(rows[0]) if heading in PERCENT_HEADINGS}
        for row_number, row in enumerate(rows):
            cells = []
            for column, value in enumerate(row):
                if row_number and value == "-":
                    value = None  # no value: an empty cell, never text in a numeric column
                if row_number and column in percent_columns and isinstance(value, (int, float)):
                    value = value / 100.0
                cells.append(value)
            sheet.append(cells)
            for column, cell in enumerate(sheet[sheet.max_row]):
                if isinstance(cell.value, str):
                    # Written as a string cell, never parsed: "=HYPERLINK(...)" stays text.
                    cell.data_type = TYPE_STRING
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif isinstance(cell.value, bool) or cell.value is None:
                    pass
                elif column in percent_columns and row_number:
                    cell.number_format = "0.0%"
                elif isinstance(cell.value, int):
                    cell.number_format = "#,##0"
                elif isinstance(cell.value, float):
                    cell.number_format = "#,##0.0#"
        set_up_table_sheet(sheet, rows, heading_row, title, widest=60)
    if report.months:
        total_row = workbook["รายเดือน"][len(report.months) + 4]
        for cell in total_row:
            cell.font = Font(bold=True)
    workbook.properties.title = title
    workbook.properties.creator = report.organisation or "kmbot"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PNG -------------------------------------------------------------------------------------

CHART_SERIES = (("questions", "คำถาม", "#1B4F72"), ("answered", "ตอบได้", "#28B463"), ("article_views", "เปิดอ่านบทความ", "#F39C12"))
CHART_TITLE = "คำถาม คำตอบ และการเปิดอ่านบทความ รายเดือน"
USER_SERIES = (("distinct_users", "ผู้ใช้งาน (คน)", "#8E44AD"),)
USER_CHART_TITLE = "จำนวนผู้ใช้งานรายเดือน (คน)"
_font_lock = threading.Lock()
_font_registered = False


def _register_thai_font() -> str:
    """Teach matplotlib the Sarabun font once per process; returns its family name."""
    global _font_registered
    from matplotlib import font_manager

    with _font_lock:
        if not _font_registered:
            for weight in ("Regular", "Bold"):
                path = sarabun_font_path(weight)
                if path.exists():
                    font_manager.fontManager.addfont(str(path))
            _font_registered = True
    return "Sarabun"


def to_png(report: ReachReport, *, dpi: int = 100) -> bytes:
    """Bars per fiscal month (questions, answered, article views) over a panel of indicators
    against their targets."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = _register_thai_font()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        figure = Figure(figsize=(12, 9), dpi=dpi, layout="constrained")
        FigureCanvasAgg(figure)
        month_axes, indicator_axes = figure.subplots(2, 1, height_ratios=(3, 2))
        _draw_months(month_axes, report)
        _draw_indicators(indicator_axes, report.indicators)
        figure.suptitle(f"การเข้าถึงความรู้ {report.period_label}", fontsize=16, fontweight="bold")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _draw_months(
    axes: Any, report: ReachReport, series: Sequence[tuple[str, str, str]] = CHART_SERIES, title: str | None = CHART_TITLE,
) -> None:
    """Grouped bars per fiscal month, one bar per series (figure key, Thai label, colour)."""
    positions = list(range(len(report.months)))
    width = 0.8 / len(series)
    for series_index, (key, label, color) in enumerate(series):
        offsets = [position + (series_index - (len(series) - 1) / 2) * width for position in positions]
        values = [getattr(row.figures, key) for row in report.months]
        axes.bar(offsets, values, width=width, label=label, color=color)
    axes.set_xticks(positions, [f"{THAI_ABBREVIATED_MONTHS[row.month - 1]}\n{(row.year + 543) % 100:02d}" for row in report.months])
    if series is CHART_SERIES:
        axes.set_ylabel("ครั้ง")
    if title:
        axes.set_title(title)
    # Head room above the tallest bar, so the legend never covers one.
    tallest = max((getattr(row.figures, key) for row in report.months for key, _label, _color in series), default=0)
    axes.set_ylim(0, max(tallest * 1.25, 5))
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper right", ncols=len(series))
    axes.grid(axis="y", alpha=0.3)


def month_chart_svg(
    report: ReachReport, series: Sequence[tuple[str, str, str]] = CHART_SERIES, *, label: str = CHART_TITLE,
) -> str:
    """The month bars of the PNG as an SVG element for a web page (the admin reach page): the same
    drawing code, text kept as text in the page's Sarabun font, sized by the page's CSS."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    family = _register_thai_font()
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False, "svg.fonttype": "none",
                                "svg.hashsalt": "kmbot"}):
        figure = Figure(figsize=(5.6, 2.6), dpi=100, layout="constrained")
        FigureCanvasSVG(figure)
        _draw_months(figure.subplots(), report, series, title=None)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'^<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", svg, count=1)
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{escaped}" ', 1)


def _draw_indicators(axes: Any, indicators: list[Indicator]) -> None:
    """Each indicator with a target as a share of that target; the line at 100% is "met"."""
    with_target = [indicator for indicator in indicators if indicator.target]
    axes.set_title("ตัวชี้วัดเทียบค่าเป้าหมาย (ร้อยละของเป้าหมาย)")
    if not with_target:
        axes.text(0.5, 0.5, "ยังไม่มีตัวชี้วัดที่มีค่าเป้าหมาย", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    names = [indicator.name for indicator in with_target]
    shares = [0.0 if indicator.value is None else 100.0 * indicator.value / indicator.target for indicator in with_target]
    colors = ["#28B463" if indicator.met else ("#BDC3C7" if indicator.met is None else "#E74C3C") for indicator in with_target]
    positions = list(range(len(with_target)))
    axes.barh(positions, [min(share, 150.0) for share in shares], color=colors)
    axes.axvline(100, color="#34495E", linestyle="--", linewidth=1)
    for position, indicator in zip(positions, with_target):
        axes.text(2, position, _value_against_target(indicator), va="center", fontsize=9)
    axes.set_yticks(positions, names, fontsize=9)
    axes.invert_yaxis()
    axes.set_xlim(0, 155)
    axes.set_xlabel("ร้อยละของค่าเป้าหมาย")


def _value_against_target(indicator: Indicator) -> str:
    def amount(number: int | float) -> str:
        return f"ร้อยละ {number:g}" if indicator.unit == "ร้อยละ" else f"{number:g} {indicator.unit}"

    value = "ยังไม่มีข้อมูล" if indicator.value is None else amount(indicator.value)
    return f"{value} (เป้าหมาย {amount(indicator.target or 0)})"


# --- table (terminal) ------------------------------------------------------------------------


def print_table(report: ReachReport, console: Any | None = None) -> None:
    """The report for a terminal, readable at 80 columns: each sheet with at most three
    columns side by side is a table; a wider one (months, indicators, channels) is printed
    one record at a time, heading beside value."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    console.print(report_heading(report), style="bold")
    for title, rows_of in SHEETS:
        rows = rows_of(report)
        if len(rows) == 1:
            continue
        if len(rows[0]) <= 3 or title == "สรุป":
            table = Table(title=f"{title} – {report.period_label}", title_justify="left")
            for heading in rows[0]:
                table.add_column(str(heading), overflow="fold")
            for row in rows[1:]:
                table.add_row(*(str(cell) for cell in row))
            console.print(table)
            continue
        console.print(f"{title} – {report.period_label}", style="bold underline")
        for row in rows[1:]:
            table = Table(show_header=False, box=None, padding=(0, 1))
            table.add_column(overflow="fold", style="dim", max_width=38)
            table.add_column(overflow="fold")
            for heading, cell in zip(rows[0], row):
                table.add_row(str(heading), str(cell))
            console.print(table)
            console.print()


def to_table_text(report: ReachReport, width: int = 80) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    print_table(report, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


def render(report: ReachReport, format_name: str) -> bytes:
    """The report in one of FORMATS, as the bytes of a file."""
    if format_name == "json":
        return (to_json(report) + "\n").encode("utf-8")
    if format_name == "csv":
        return to_csv(report)
    if format_name == "xlsx":
        return to_xlsx(report)
    if format_name == "png":
        return to_png(report)
    if format_name == "table":
        return to_table_text(report).encode("utf-8")
    raise ValueError(f"unknown format {format_name!r}; choose one of {', '.join(FORMATS)}")
