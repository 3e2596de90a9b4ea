"""End to end over the sample plan: a year simulated with a frozen clock (reminders, `/done` with a
photo and a PDF fetched from the LINE stub's content endpoint, survey answers), then the
year-end report, the memo, the register and the audit pack, opened as a reviewer would."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.core.calendar import BANGKOK, convert_digits
from bot.core.people import ensure_user
from bot.reach.year_report import SECTIONS
from kb.tables import Activity

MEMBER = "U2222222222222222222222222222cccc"
COMMITTEE_GROUP = "C0000000000000000000000000committee"
STAFF = [f"U{index:031d}ab" for index in range(1, 5)]
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def app_config(app_config, tmp_path):  # type: ignore[no-untyped-def]
    return {**app_config, "evidence_dir": str(tmp_path / "evidence"), "organisation_name": "องค์การบริหารส่วนจังหวัดตัวอย่าง"}


@pytest.fixture
def simulated_year(database, imported_plan, committee_group, webhook, line_events, line_stub, cli, at):  # type: ignore[no-untyped-def]
    """Reminders through the year, KMP2 of plan 1 done with a photo and a PDF, four survey answers."""
    with database.session() as session:
        ensure_user(session, MEMBER, datetime(2023, 10, 1, 9, tzinfo=BANGKOK)).role = "committee"
    group = line_events.group(COMMITTEE_GROUP, MEMBER)
    for moment in (at(2024, 1, 24), at(2024, 1, 31), at(2024, 5, 24)):
        with time_machine.travel(moment, tick=False):
            assert cli("scheduler", "tick", "--now", moment.isoformat()).exit_code == 0
    photo = photo_bytes()
    line_stub.serve_content("710000000000000001", photo, "image/jpeg")
    line_stub.serve_content("710000000000000002", PDF_BYTES, "application/pdf")
    with time_machine.travel(at(2024, 5, 28, 14, 0), tick=False) as clock:
        webhook.send(line_events.text(f"/done {imported_plan[(1, 'KMP2')]} เมื่อ 12 มี.ค. 2567 รายงานการประชุมครั้งที่ 1/2567", group))
        clock.shift(60)
        webhook.send(line_events.image("710000000000000001", group))
        clock.shift(60)
        webhook.send(line_events.file("710000000000000002", "สรุปองค์ความรู้.pdf", len(PDF_BYTES), group))
    with time_machine.travel(at(2024, 8, 15, 10, 0), tick=False):
        for user, score in zip(STAFF, (5, 4, 4, 2)):
            webhook.send(line_events.text(f"/survey {score}", line_events.user(user)))
        webhook.send(line_events.text("/ความเห็น อยากให้มีคู่มือการเขียนรายงาน KM", line_events.user(STAFF[0])))
    replies = [call.body["messages"][0]["text"] for call in line_stub.replies]
    assert sum(text.startswith("รับหลักฐานแล้วค่ะ") for text in replies) == 2
    return {"photo": photo}


def thai(text: str) -> str:
    return convert_digits(text, "thai")


def test_the_report_shows_the_years_events_in_word_styles_and_the_government_layout(
    simulated_year, cli, tmp_path, imported_plan, database,
) -> None:
    out = tmp_path / "report.docx"
    with time_machine.travel(datetime(2024, 10, 5, 9, tzinfo=BANGKOK), tick=False):
        result = cli("report", "year", "--fiscal-year", "2567", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["done"], summary["evidence_files"]) == (1, 2)

    document = Document(str(out))
    headings = [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == "Heading 1"]
    assert headings == [thai(section) for section in SECTIONS]
    title = next(paragraph for paragraph in document.paragraphs if paragraph.style.name == "Title")
    assert title.text == "รายงานผลการดำเนินงานตามแผนการจัดการความรู้ (KM Action Plan) ประจำปีงบประมาณ ๒๕๖๗"
    assert any(paragraph.text == "องค์การบริหารส่วนจังหวัดตัวอย่าง" for paragraph in document.paragraphs)
    # The government layout: TH Sarabun New 16 pt (for Thai too: the complex-script size), A4,
    # margins 3 / 2.5 / 2 / 2 cm.
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size.pt) == ("TH Sarabun New", 16)
    size_cs = normal.element.rPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}szCs")
    assert size_cs.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "32"
    section = document.sections[0]
    assert [round(value.cm, 1) for value in (section.left_margin, section.top_margin, section.right_margin,
                                             section.bottom_margin, section.page_width)] == [3.0, 2.5, 2.0, 2.0, 21.0]

    # Plan 1's activity table: KMP2 done on the day given, with its note and both files.
    plan_tables = [table for table in document.tables if table.rows[0].cells[0].text == "กิจกรรม"]
    assert len(plan_tables) == len({plan for plan, _ in imported_plan})
    plan_table = plan_tables[0]  # plan 1: the plans come in order
    kmp2 = next(row for row in plan_table.rows if row.cells[0].text.startswith("KMP2"))
    assert kmp2.cells[3].text == "เสร็จแล้ว"
    assert kmp2.cells[4].text == "๑๒ มี.ค. ๒๕๖๗"
    evidence = kmp2.cells[5].text
    assert "รายงานการประชุมครั้งที่ ๑/๒๕๖๗" in evidence and "• สรุปองค์ความรู้.pdf" in evidence and "• photo-" in evidence
    others = [row for row in plan_table.rows[1:] if not row.cells[0].text.startswith("KMP2")]
    assert {row.cells[3].text for row in others} == {"ยังไม่เสร็จ"}

    # The survey: four people, 3 of them satisfied (75%), the distribution and the comment.
    survey_table = next(table for table in document.tables if table.rows[0].cells[0].text == "ระดับความพึงพอใจ")
    assert [[cell.text for cell in row.cells[:2]] for row in survey_table.rows[1:]] == [
        ["๕ มากที่สุด", "๑"], ["๔ มาก", "๒"], ["๓ ปานกลาง", "๐"], ["๒ น้อย", "๑"], ["๑ น้อยที่สุด", "๐"],
    ]
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "มีผู้ตอบแบบสำรวจ ๔ คน" in text and "ร้อยละ ๗๕" in text
    assert "อยากให้มีคู่มือการเขียนรายงาน KM" in text
    # Indicators against the plan's targets, and the monthly chart as a picture.
    indicator_table = next(table for table in document.tables if table.rows[0].cells[0].text == "ตัวชี้วัด")
    assert len(indicator_table.rows) > 2
    assert len(document.inline_shapes) == 1


def test_the_memo_is_a_bantuek_kho_khwam_with_every_heading_line(simulated_year, cli, tmp_path) -> None:
    out = tmp_path / "memo.docx"
    assert cli("report", "memo", "--fiscal-year", "2567", "--out", out).exit_code == 0

    lines = [paragraph.text for paragraph in Document(str(out)).paragraphs]
    assert lines[0] == "บันทึกข้อความ"
    for start in ("ส่วนราชการ  องค์การบริหารส่วนจังหวัดตัวอย่าง", "ที่  ", "เรื่อง  รายงานผลการดำเนินงานตามแผนการจัดการความรู้ ประจำปีงบประมาณ ๒๕๖๗",
                  "เรียน  ", "จึงเรียนมาเพื่อโปรดทราบ"):
        assert any(line.strip().startswith(start.strip()) for line in lines), start
    assert any("วันที่  " in line for line in lines)
    assert any("แล้วเสร็จ ๑ จาก" in line and "หลักฐานการดำเนินงาน ๒ ไฟล์" in line for line in lines)
    assert "เลขานุการคณะทำงานการจัดการความรู้" in lines


def test_the_register_lists_every_activity_with_status_evidence_and_reminder_dates(simulated_year, cli, tmp_path, imported_plan) -> None:
    out = tmp_path / "register.xlsx"
    assert cli("report", "register", "--fiscal-year", "2567", "--out", out).exit_code == 0

    workbook = load_workbook(out)
    sheet = workbook["ทะเบียนกิจกรรม"]
    assert "องค์การบริหารส่วนจังหวัดตัวอย่าง" in sheet["A1"].value and "ปีงบประมาณ 2567" in sheet["A1"].value
    headings = [cell.value for cell in sheet[3]]
    rows = [dict(zip(headings, (cell.value for cell in row))) for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == len(imported_plan)
    kmp2 = next(row for row in rows if row["แผนที่"] == 1 and row["ขั้นตอน"] == "KMP2")
    assert kmp2["สถานะ"] == "เสร็จแล้ว" and kmp2["วันที่ทำเสร็จ"].date().isoformat() == "2024-03-12"
    assert kmp2["จำนวนไฟล์"] == 2 and "สรุปองค์ความรู้.pdf" in kmp2["ไฟล์หลักฐาน"]
    assert kmp2["ผู้บันทึก"].startswith("กรรมการ U2222…")
    # CMP1 of plan 1 ends 31 Jan 2024: its reminders of 24 and 31 January are recorded.
    cmp1 = next(row for row in rows if row["แผนที่"] == 1 and row["ขั้นตอน"] == "CMP1")
    assert "24 ม.ค. 2567" in cmp1["วันที่แจ้งเตือน"] and "31 ม.ค. 2567" in cmp1["วันที่แจ้งเตือน"]
    assert sheet.print_title_rows == "$3:$3" and sheet.page_setup.orientation == "landscape"


def test_the_pack_holds_every_file_and_its_manifest_hashes_verify(simulated_year, cli, tmp_path) -> None:
    out = tmp_path / "pack.zip"
    result = cli("report", "pack", "--fiscal-year", "2567", "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["missing"] == []

    with zipfile.ZipFile(out) as archive:
        manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
        names = set(archive.namelist())
        for row in manifest:
            content = archive.read(row["file"])
            assert hashlib.sha256(content).hexdigest() == row["sha256"]
            assert len(content) == int(row["size"]) and row["proves"]
        assert {row["file"] for row in manifest} | {"manifest.csv", "manifest.json"} == names
        evidence = sorted(name for name in names if name.startswith("evidence/"))
        assert len(evidence) == 2 and all(name.startswith("evidence/plan-1/KMP2-") for name in evidence)
        assert archive.read(next(name for name in evidence if name.endswith(".jpg"))) == simulated_year["photo"]
        assert archive.read(next(name for name in evidence if name.endswith("สรุปองค์ความรู้.pdf"))) == PDF_BYTES
        for name in ("01-report-2567.docx", "02-memo-2567.docx", "03-register-2567.xlsx", "04-reach-2567.xlsx",
                     "04-reach-2567.csv", "04-reach-2567.png", "05-survey-2567.csv"):
            assert name in names
        Document(io.BytesIO(archive.read("01-report-2567.docx")))  # opens as Word


def test_a_report_for_a_year_without_a_plan_says_so_in_thai_and_writes_nothing(imported_plan, cli, tmp_path) -> None:
    out = tmp_path / "report-2566.docx"
    for command in ("year", "pack"):
        result = cli("report", command, "--fiscal-year", "2566", "--out", out)
        assert result.exit_code == 1
        assert "ไม่พบแผนการจัดการความรู้ของปีงบประมาณ 2566 (ปีที่นำเข้าแล้ว: 2567)" in result.output
    assert not out.exists()
