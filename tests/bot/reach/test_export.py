"""The report's files: JSON in SPEC's shape, CSV that Excel reads as Thai, XLSX sheets, a real PNG."""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from bot.core.calendar import BANGKOK, fiscal_months
from bot.reach.export import render, report_json, to_csv, to_png, to_table_text, to_xlsx
from bot.reach.figures import (
    ArticleReach,
    Gap,
    KindCount,
    PlanTargetText,
    RawCounts,
    SurveyAnswer,
    assemble_report,
)

FIGURE_KEYS = {"questions", "answered", "fallbacks", "distinct_users", "article_views", "feedback_helpful",
               "feedback_unhelpful", "pushes", "push_recipients", "survey_responses"}


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    raw = RawCounts(
        kind_counts={
            (2023, 10): {"question": KindCount(40), "answer": KindCount(30), "fallback": KindCount(10),
                         "article_view": KindCount(12), "feedback": KindCount(8, 0, 6)},
            (2024, 3): {"question": KindCount(25), "answer": KindCount(20), "fallback": KindCount(5),
                        "knowledge_push": KindCount(2, 44, 0), "reminder_push": KindCount(1, 9, 0)},
        },
        month_users={(2023, 10): 14, (2024, 3): 9},
        total_users=18,
        survey_answers=[SurveyAnswer(1, datetime(2024, 3, 2, 9, tzinfo=BANGKOK), 5),
                        SurveyAnswer(2, datetime(2024, 3, 3, 9, tzinfo=BANGKOK), 3)],
        documents_disseminated=4,
        raw_channels=["1:1", "group", "line"],
        gaps=[Gap("เบิกค่าเดินทางไปอบรมอย่างไร", 4), Gap("ลาพักผ่อนได้กี่วัน", 2)],
        open_gaps=2,
        top_articles=[ArticleReach(3, "ความรู้ฝังลึกคืออะไร", 12, 20, 1)],
        plan_activities=[PlanTargetText(1, "KMP7", "ความพึงพอใจ", "ร้อยละ ๘๐")],
    )
    return assemble_report(raw, fiscal_year=2567, months=fiscal_months(2567), period_start=date(2023, 10, 1),
                           period_end=date(2024, 9, 30), staff_count=25, generated_at=datetime(2024, 10, 2, 9, tzinfo=BANGKOK))


def test_json_has_the_keys_of_the_contract(report):
    data = json.loads(render(report, "json"))

    assert set(data) >= {"fiscal_year", "totals", "months", "indicators", "gaps", "by_channel"}
    assert data["fiscal_year"] == 2567
    assert set(data["totals"]) == FIGURE_KEYS | {"reminder_pushes", "knowledge_pushes"}
    assert len(data["months"]) == 12
    assert all(set(month) == FIGURE_KEYS | {"month", "month_ce", "reminder_pushes", "knowledge_pushes"} for month in data["months"])
    assert data["months"][0]["month"] == "2566-10" and data["months"][-1]["month"] == "2567-09"
    assert data["months"][0]["month_ce"] == "2023-10" and data["months"][-1]["month_ce"] == "2024-09"
    assert all(set(indicator) >= {"name", "value", "target", "met", "rule", "events"} for indicator in data["indicators"])
    assert data["gaps"] == [{"question": "เบิกค่าเดินทางไปอบรมอย่างไร", "count": 4}, {"question": "ลาพักผ่อนได้กี่วัน", "count": 2}]
    assert data["totals"]["questions"] == 65 and data["totals"]["feedback_helpful"] == 6 and data["totals"]["feedback_unhelpful"] == 2
    assert data["totals"]["push_recipients"] == 53 and data["totals"]["survey_responses"] == 2
    assert data == report_json(report)


def test_csv_has_a_byte_order_mark_and_thai_headings(report):
    content = to_csv(report)

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["เดือน", "ปี-เดือน (พ.ศ.)", "คำถามผ่าน LINE (ครั้ง)"]
    assert rows[1][:3] == ["ต.ค. 2566", "2566-10", "40"]
    assert rows[13][0] == "รวม" and rows[13][2] == "65"
    assert rows[14] == []
    assert rows[15][0] == "ตัวชี้วัด"
    assert any(row and row[0].startswith("ความพึงพอใจ") and row[2] == "80" and row[3] == "ไม่ผ่าน" for row in rows)


def test_xlsx_has_one_sheet_per_view_with_the_values(report):
    workbook = load_workbook(io.BytesIO(to_xlsx(report)))

    assert workbook.sheetnames == ["สรุป", "รายเดือน", "ตัวชี้วัด", "คำถามที่ยังตอบไม่ได้", "บทความยอดนิยม",
                                   "ช่องทาง", "ความเห็นต่อบทความ", "ข้อเสนอแนะ"]
    months = workbook["รายเดือน"]
    # A title row and a subtitle above the heading row (row 3).
    assert months["A1"].value.startswith("รายงานการเข้าถึงความรู้") and "ปีงบประมาณ 2567" in months["A1"].value
    assert months["A3"].value == "เดือน" and months["C3"].value == "คำถามผ่าน LINE (ครั้ง)"
    assert [months.cell(row=4, column=column).value for column in (1, 2, 3, 4, 5)] == ["ต.ค. 2566", "2566-10", 40, 30, 10]
    assert months.cell(row=16, column=1).value == "รวม" and months.cell(row=16, column=3).value == 65
    summary = {row[0]: row[1] for row in workbook["สรุป"].iter_rows(min_row=4, values_only=True)}
    assert summary["จำนวนบุคลากรทั้งหมด (คน)"] == 25
    assert summary["ร้อยละของบุคลากรที่ใช้งานผ่าน LINE"] == 72
    assert summary["ช่องทางที่ใช้"] == "LINE, เว็บไซต์"
    gaps = list(workbook["คำถามที่ยังตอบไม่ได้"].iter_rows(min_row=4, values_only=True))
    assert gaps == [(1, "เบิกค่าเดินทางไปอบรมอย่างไร", 4), (2, "ลาพักผ่อนได้กี่วัน", 2)]
    articles = list(workbook["บทความยอดนิยม"].iter_rows(min_row=4, values_only=True))
    assert articles == [(1, 3, "ความรู้ฝังลึกคืออะไร", 12, 20, 1, 33)]
    indicators = list(workbook["ตัวชี้วัด"].iter_rows(min_row=4, values_only=True))
    satisfaction = next(row for row in indicators if row[0].startswith("ความพึงพอใจ"))
    assert satisfaction[1:4] == (50.0, 80, "ไม่ผ่าน")


def test_png_is_a_real_chart_of_sensible_size(report):
    content = to_png(report)

    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    assert (width, height) == (1200, 900)
    assert 20_000 < len(content) < 2_000_000


def test_the_table_shows_every_view_in_thai(report):
    text = to_table_text(report)
    for heading in ("สรุป", "รายเดือน", "ตัวชี้วัด", "คำถามที่ยังตอบไม่ได้", "บทความยอดนิยม", "ต.ค. 2566"):
        assert heading in text


def test_an_unknown_format_is_refused(report):
    with pytest.raises(ValueError):
        render(report, "pdf")
