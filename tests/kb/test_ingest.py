"""Reading knowledge files: every format from real files, the real sample plan, and the errors."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.ingest import SUPPORTED_EXTENSIONS, parse_file, parse_text
from kb.ingest.passages import MAX_PASSAGE_CHARS, split_long_text
from kb.parsed import IngestError, ParsedDocument



def squeeze(text: str) -> str:
    """Text without any whitespace: PDF-converted cells break words with stray spaces."""
    return re.sub(r"\s+", "", text)


def passages_under(document: ParsedDocument, heading: str) -> list[str]:
    return [passage.text for passage in document.passages if heading in passage.heading_path]


def passage_containing(document: ParsedDocument, needle: str):
    found = [passage for passage in document.passages if needle in passage.text]
    assert found, f"no passage contains {needle!r}"
    return found[0]


# ---------------------------------------------------------------------------
# Markdown


MARKDOWN_ARTICLE = """---
title: การบ่งชี้ความรู้
slug: kmp-1-identification
category: ด้านการบริหารจัดการองค์กร
tags: [KMP, บ่งชี้ความรู้]
aliases: "KMP1, ขั้นที่ 1"
questions:
  - KMP1 ทำอะไร
  - บ่งชี้ความรู้คืออะไรครับ
status: Published
---

# การบ่งชี้ความรู้

ขั้นแรกของกระบวนการจัดการความรู้ คือการถามว่างานของเราต้องใช้ความรู้อะไร

## คำถามที่ต้องตอบ

- วิสัยทัศน์และเป้าหมายคืออะไร
- เรามีความรู้อะไรอยู่แล้ว
- ความรู้นั้นอยู่ที่ใคร

## เอกสารหลักฐาน

รายงานการประชุมคณะทำงานการจัดการความรู้
"""


def test_markdown_front_matter_gives_the_metadata(tmp_path: Path) -> None:
    path = tmp_path / "kmp-1.md"
    path.write_text(MARKDOWN_ARTICLE, encoding="utf-8")

    document = parse_file(path)

    assert document.title == "การบ่งชี้ความรู้"
    assert document.slug == "kmp-1-identification"
    assert document.category == "ด้านการบริหารจัดการองค์กร"
    assert document.tags == ("KMP", "บ่งชี้ความรู้")
    assert document.aliases == ("KMP1", "ขั้นที่ 1")
    assert document.sample_questions == ("KMP1 ทำอะไร", "บ่งชี้ความรู้คืออะไรครับ")
    assert document.status == "published"
    assert document.source == str(path)
    assert document.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "title:" not in document.body
    assert document.body.lstrip().startswith("# การบ่งชี้ความรู้")


def test_markdown_headings_build_the_heading_path(tmp_path: Path) -> None:
    path = tmp_path / "kmp-1.md"
    path.write_text(MARKDOWN_ARTICLE, encoding="utf-8")

    document = parse_file(path)
    paths = {passage.text.split("\n")[0]: passage.heading_path for passage in document.passages}

    assert paths["ขั้นแรกของกระบวนการจัดการความรู้ คือการถามว่างานของเราต้องใช้ความรู้อะไร"] == (
        "การบ่งชี้ความรู้",
    )
    assert paths["- วิสัยทัศน์และเป้าหมายคืออะไร"] == ("การบ่งชี้ความรู้", "คำถามที่ต้องตอบ")
    assert paths["รายงานการประชุมคณะทำงานการจัดการความรู้"] == ("การบ่งชี้ความรู้", "เอกสารหลักฐาน")
    assert [passage.position for passage in document.passages] == list(range(len(document.passages)))


def test_a_heading_followed_by_a_list_stays_one_passage(tmp_path: Path) -> None:
    path = tmp_path / "kmp-1.md"
    path.write_text(MARKDOWN_ARTICLE, encoding="utf-8")

    document = parse_file(path)
    listed = [p for p in document.passages if p.heading_path[-1] == "คำถามที่ต้องตอบ"]

    assert len(listed) == 1
    assert listed[0].text == (
        "- วิสัยทัศน์และเป้าหมายคืออะไร\n- เรามีความรู้อะไรอยู่แล้ว\n- ความรู้นั้นอยู่ที่ใคร"
    )


def test_a_list_keeps_its_lead_in_sentence() -> None:
    document = parse_text(
        "## ปัจจัยแห่งความสำเร็จ\n\nสิ่งที่ทำให้ KM สำเร็จ มีดังนี้\n- ผู้บริหารสนับสนุน\n- ทำอย่างต่อเนื่อง\n",
        source="factors.md",
        kind="markdown",
    )

    assert [p.text for p in document.passages] == [
        "สิ่งที่ทำให้ KM สำเร็จ มีดังนี้\n- ผู้บริหารสนับสนุน\n- ทำอย่างต่อเนื่อง"
    ]
    assert document.passages[0].heading_path == ("ปัจจัยแห่งความสำเร็จ",)


def test_markdown_without_front_matter_takes_title_from_first_heading_and_slug_from_file(tmp_path: Path) -> None:
    path = tmp_path / "tips.markdown"
    path.write_text("# เคล็ดลับการถามบอท\n\nพิมพ์คำถามสั้น ๆ ได้เลย\n", encoding="utf-8")

    document = parse_file(path)

    assert document.title == "เคล็ดลับการถามบอท"
    assert document.slug == "tips"
    assert document.status == "published"


def test_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "บันทึกการประชุม.md"
    path.write_text("เนื้อหาที่ไม่มีหัวข้อเลย\n", encoding="utf-8")

    assert parse_file(path).title == "บันทึกการประชุม"


def test_front_matter_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list-front.md"
    path.write_text("---\n- title\n- tags\n---\nเนื้อหา\n", encoding="utf-8")

    with pytest.raises(IngestError, match="list-front.md"):
        parse_file(path)


def test_front_matter_with_broken_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\ntitle: [ไม่ปิดวงเล็บ\n---\nเนื้อหา\n", encoding="utf-8")

    with pytest.raises(IngestError, match="broken.md"):
        parse_file(path)


def test_unknown_front_matter_fields_are_reported_as_warnings() -> None:
    document = parse_text("---\ntitle: ก\nowner: ฝ่ายส่งเสริม\n---\nเนื้อหา\n", source="a.md", kind="md")

    assert any("owner" in warning for warning in document.warnings)


def test_thai_numbered_lines_keep_their_thai_numbers() -> None:
    document = parse_text("## วัตถุประสงค์\n\n๑. เพื่อให้บุคลากรเข้าใจ\n๒. เพื่อเผยแพร่ความรู้\n", source="x.md", kind="md")

    assert "๑. เพื่อให้บุคลากรเข้าใจ" in document.passages[0].text
    assert "๒. เพื่อเผยแพร่ความรู้" in document.passages[0].text


# ---------------------------------------------------------------------------
# Plain text


def test_text_file_with_hash_headings_and_a_tab_table(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "แผนการจัดการความรู้ ปี 2567\n\n"
        "## บทที่ 2\n\n"
        "### แผนที่ 1\n\n"
        "กิจกรรมการจัดการความรู้\n\n"
        "ที่\tกิจกรรม\tระยะเวลา\tผู้รับผิดชอบ\n"
        "1.\tการบ่งชี้ความรู้ (KMP 1)\tธ.ค. 2566 - ก.พ. 2567\t<p>หัวหน้า<u>ส่วนราชการ</u></p>\n"
        "2.\tการสร้างและแสวงหาความรู้ (KMP 2)\tเม.ย. 2567\tฝ่ายส่งเสริม\n",
        encoding="utf-8",
    )

    document = parse_file(path)
    row = passage_containing(document, "KMP 1")

    assert document.title == "แผนการจัดการความรู้ ปี 2567"
    assert document.slug == "plan"
    assert row.text == (
        "ที่: 1. | กิจกรรม: การบ่งชี้ความรู้ (KMP 1) | ระยะเวลา: ธ.ค. 2566 - ก.พ. 2567 | ผู้รับผิดชอบ: หัวหน้าส่วนราชการ"
    )
    assert row.heading_path == ("บทที่ 2", "แผนที่ 1", "กิจกรรมการจัดการความรู้")
    assert "<" not in row.text
    assert document.body.startswith("แผนการจัดการความรู้ ปี 2567")


def test_text_table_rows_with_an_empty_first_cell_repeat_the_label_above() -> None:
    document = parse_text(
        "สำนัก/กอง\tกระบวนการที่สำคัญ\n"
        "กองยุทธศาสตร์และงบประมาณ\tการจัดทำร่างข้อบัญญัติ\n"
        "\tการบริหารจัดการความเสี่ยง\n",
        source="t.txt",
        kind="txt",
    )

    assert document.passages[-1].text == (
        "สำนัก/กอง: กองยุทธศาสตร์และงบประมาณ | กระบวนการที่สำคัญ: การบริหารจัดการความเสี่ยง"
    )


def test_line_wraps_inside_words_are_removed_from_table_cells() -> None:
    document = parse_text(
        "ที่\tผู้รับผิดชอบ\tเอกสารที่แสดงผลสำเร็จ ของงาน\tระยะเวลา\n"
        "๑.\t- หัวหน้าส่วน ราชการ\t- ตรวจสอบความเป็น ไปได้ของช่องทาง\tประจำปีงบประมาณ พ.ศ. ๒๕๖๗\n"
        "๒.\t- ฝ่ายส่งเสริม และเผยแพร่ วิชาการ\t- รายงานการประชุม คณะทำงาน\tม.ค. ๒๕๖๗\n",
        source="wrapped.txt",
        kind="txt",
    )
    first, second = (passage.text for passage in document.passages)

    # A space that cuts a dictionary word in two goes ("ส่วน|ราชการ", "ความเป็น|ไปได้") ...
    assert "ผู้รับผิดชอบ: - หัวหน้าส่วนราชการ" in first
    assert "ตรวจสอบความเป็นไปได้ของช่องทาง" in first
    # ... a space between whole words stays, it may be a real phrase break ...
    assert "เอกสารที่แสดงผลสำเร็จ ของงาน:" in first
    assert "- ฝ่ายส่งเสริม และเผยแพร่ วิชาการ" in second
    assert "รายงานการประชุม คณะทำงาน" in second
    # ... and so does a space before an abbreviation or a number.
    assert "ประจำปีงบประมาณ พ.ศ. ๒๕๖๗" in first


def test_a_lead_in_stays_with_the_items_it_announces() -> None:
    items = "".join(
        f"๒.{number} " + "เสริมสร้างบรรยากาศให้เอื้อต่อการนำการจัดการความรู้มาเป็นเครื่องมือ " * 3 + "\n\n"
        for number in "๑๒๓"
    )
    document = parse_text(
        "## กำหนดนโยบาย\n\nคณะทำงานได้กำหนดนโยบายการจัดการความรู้ โดยมีนโยบายสรุปได้ดังนี้\n\n" + items
        + "## ต่อไป\n\nย่อหน้าอื่น\n",
        source="policy.md",
        kind="md",
    )

    policy = [p.text for p in document.passages if p.heading_path == ("กำหนดนโยบาย",)]
    assert len(policy) == 1
    assert policy[0].startswith("คณะทำงาน") and "๒.๑" in policy[0] and "๒.๓" in policy[0]


def test_text_without_headings_is_split_into_passages_of_sensible_size() -> None:
    sentence = "บุคลากรแลกเปลี่ยนประสบการณ์การทำงานกันทุกเดือน "
    text = "การจัดการความรู้\n\n" + sentence * 60 + "\n\nสั้น ๆ\n\nอีกย่อหน้าหนึ่ง\n"

    document = parse_text(text, source="long.txt", kind="text")

    assert len(document.passages) >= 3
    assert all(len(p.text) <= MAX_PASSAGE_CHARS + 200 for p in document.passages)
    assert squeeze("".join(p.text for p in document.passages)) == squeeze(text)


def test_tiny_paragraphs_are_merged_with_their_neighbours() -> None:
    document = parse_text("## หัวข้อ\n\nหนึ่ง\n\nสอง\n\nสาม\n", source="tiny.md", kind="md")

    assert [p.text for p in document.passages] == ["หนึ่ง\nสอง\nสาม"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet="กขคงจฉชซญดตถทนบปผพฟมยรลวสหอะาิีึืุูเแโใไ่้็์ ๑๒abc\n", min_size=1, max_size=300),
        min_size=1,
        max_size=12,
    )
)
def test_splitting_long_text_keeps_every_character_and_respects_the_limit(parts: list[str]) -> None:
    text = " ".join(parts).strip()
    pieces = split_long_text(text, max_chars=120)

    assert all(len(piece) <= 120 for piece in pieces)
    assert squeeze("".join(pieces)) == squeeze(text)


# ---------------------------------------------------------------------------
# Word


def build_docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("คู่มือการจัดการความรู้", level=1)
    document.add_paragraph("คู่มือนี้อธิบายขั้นตอนการจัดการความรู้ของกองยุทธศาสตร์และงบประมาณ")
    document.add_heading("ผู้รับผิดชอบแต่ละขั้น", level=2)
    document.add_paragraph("ตารางด้านล่างสรุปผู้รับผิดชอบ")
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["ขั้นตอน", "ระยะเวลา", "ผู้รับผิดชอบ"]):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["KMP 5 การเข้าถึงความรู้", "ก.ค. 2567", "หัวหน้าส่วนราชการ"]):
        cell.text = text
    for cell, text in zip(table.rows[2].cells, ["KMP 6 การแบ่งปันความรู้", "ก.ค. - ส.ค. 2567", "ฝ่ายส่งเสริม"]):
        cell.text = text
    document.add_heading("ช่องทางเผยแพร่", level=2)
    document.add_paragraph("เว็บไซต์ อบจ.", style="List Bullet")
    document.add_paragraph("บอร์ดประชาสัมพันธ์", style="List Bullet")
    document.save(str(path))


def test_docx_headings_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    path = tmp_path / "manual.docx"
    build_docx(path)

    document = parse_file(path)
    row = passage_containing(document, "KMP 5")

    assert document.title == "คู่มือการจัดการความรู้"
    assert document.slug == "manual"
    assert row.text == "ขั้นตอน: KMP 5 การเข้าถึงความรู้ | ระยะเวลา: ก.ค. 2567 | ผู้รับผิดชอบ: หัวหน้าส่วนราชการ"
    # The short line right before the table names it.
    assert row.heading_path == ("คู่มือการจัดการความรู้", "ผู้รับผิดชอบแต่ละขั้น", "ตารางด้านล่างสรุปผู้รับผิดชอบ")
    channels = passage_containing(document, "บอร์ดประชาสัมพันธ์")
    assert channels.heading_path == ("คู่มือการจัดการความรู้", "ช่องทางเผยแพร่")
    assert channels.text == "- เว็บไซต์ อบจ.\n- บอร์ดประชาสัมพันธ์"
    texts = [p.text for p in document.passages]
    assert texts.index(row.text) < texts.index(channels.text)
    assert "| ขั้นตอน | ระยะเวลา | ผู้รับผิดชอบ |" in document.body


def test_docx_bold_paragraph_stands_in_for_a_heading(tmp_path: Path) -> None:
    path = tmp_path / "bold.docx"
    document = docx.Document()
    document.add_paragraph().add_run("ขั้นตอนที่ 1 แต่งตั้งคณะทำงาน").bold = True
    document.add_paragraph("ออกคำสั่งแต่งตั้งคณะทำงานการจัดการความรู้ก่อนเริ่มแผน")
    document.save(str(path))

    passage = parse_file(path).passages[0]

    assert passage.heading_path == ("ขั้นตอนที่ 1 แต่งตั้งคณะทำงาน",)
    assert passage.text == "ออกคำสั่งแต่งตั้งคณะทำงานการจัดการความรู้ก่อนเริ่มแผน"


def test_corrupt_docx_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "เสีย.docx"
    path.write_bytes(os.urandom(2048))

    with pytest.raises(IngestError, match="เสีย.docx"):
        parse_file(path)


# ---------------------------------------------------------------------------
# HTML


HTML_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>KM | อบจ.</title>
<style>p { color: red }</style><script>var menu = "ไม่ใช่ความรู้";</script></head>
<body>
<nav><a href="/">หน้าแรก</a> <a href="/km">เมนู KM</a></nav>
<h1>การเข้าถึงความรู้</h1>
<p>ขั้นที่ห้าทำให้ทุกคน<strong>หา</strong>ความรู้ได้ง่าย</p>
<h2>ช่องทาง</h2>
<ul><li>เว็บไซต์</li><li>LINE <em>kmbot</em></li></ul>
<h2>ผู้รับผิดชอบ</h2>
<table>
  <caption>ตารางผู้รับผิดชอบ</caption>
  <tr><th>ขั้น</th><th>ผู้รับผิดชอบ</th></tr>
  <tr><td>KMP 5</td><td><p>หัวหน้า</p><p>ส่วนราชการ</p></td></tr>
</table>
<footer>สงวนลิขสิทธิ์</footer>
</body></html>
"""


def test_html_page_ignores_scripts_styles_and_menus(tmp_path: Path) -> None:
    path = tmp_path / "access.html"
    path.write_text(HTML_PAGE, encoding="utf-8")

    document = parse_file(path)
    everything = "\n".join(p.text for p in document.passages)

    assert document.title == "การเข้าถึงความรู้"
    assert "ไม่ใช่ความรู้" not in everything
    assert "เมนู KM" not in everything
    assert "color" not in everything
    assert "สงวนลิขสิทธิ์" not in everything
    assert passage_containing(document, "ขั้นที่ห้า").text == "ขั้นที่ห้าทำให้ทุกคนหาความรู้ได้ง่าย"
    assert passage_containing(document, "เว็บไซต์").text == "- เว็บไซต์\n- LINE kmbot"
    assert passage_containing(document, "เว็บไซต์").heading_path == ("การเข้าถึงความรู้", "ช่องทาง")
    row = passage_containing(document, "KMP 5")
    assert row.text == "ขั้น: KMP 5 | ผู้รับผิดชอบ: หัวหน้า ส่วนราชการ"
    assert row.heading_path == ("การเข้าถึงความรู้", "ผู้รับผิดชอบ", "ตารางผู้รับผิดชอบ")


def test_html_page_in_a_legacy_thai_encoding_is_read_by_its_meta_charset(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_bytes(
        '<html><head><meta charset="windows-874"></head><body><h1>ความรู้</h1><p>เนื้อหาภาษาไทย</p></body></html>'.encode(
            "cp874"
        )
    )

    document = parse_file(path)

    assert document.title == "ความรู้"
    assert document.passages[0].text == "เนื้อหาภาษาไทย"


# ---------------------------------------------------------------------------
# Errors


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ว่าง.txt"
    path.write_bytes(b"  \n\n ")

    with pytest.raises(IngestError, match="ว่าง.txt"):
        parse_file(path)


def test_unsupported_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "slides.pptx"
    path.write_bytes(b"not really slides")

    with pytest.raises(IngestError, match="slides.pptx") as raised:
        parse_file(path)
    assert ".pptx" in str(raised.value)
    assert ".docx" in str(raised.value)


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tis620.txt"
    path.write_bytes("การจัดการความรู้".encode("cp874"))

    with pytest.raises(IngestError, match="tis620.txt") as raised:
        parse_file(path)
    assert "UTF-8" in str(raised.value)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="missing.md"):
        parse_file(tmp_path / "missing.md")


def test_markdown_with_front_matter_only_has_no_content(tmp_path: Path) -> None:
    path = tmp_path / "empty-body.md"
    path.write_text("---\ntitle: ว่าง\n---\n", encoding="utf-8")

    with pytest.raises(IngestError, match="empty-body.md"):
        parse_file(path)


def test_parse_text_rejects_an_unknown_kind() -> None:
    with pytest.raises(IngestError):
        parse_text("ข้อความ", source="a.pdf", kind="pdf")


def test_supported_extensions() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {".md", ".markdown", ".txt", ".docx", ".html", ".htm"}


# ---------------------------------------------------------------------------
# The real sample plan


@pytest.fixture(scope="module")
def sample_plan(sample_plan_path) -> ParsedDocument:  # type: ignore[no-untyped-def]
    return parse_file(sample_plan_path)


def test_sample_plan_table_row_is_kept_with_its_header(sample_plan: ParsedDocument) -> None:
    plan_two = [
        p
        for p in sample_plan.passages
        if any(heading.startswith("ตารางที่ ๒.๓") for heading in p.heading_path) and "(KMP ๕)" in p.text
    ]

    assert len(plan_two) == 1
    row = plan_two[0].text
    assert "การเข้าถึงความรู้ (KMP ๕)" in row
    assert "ระยะเวลา: ก.ค. ๒๕๖๗ เป็นต้นไป" in row
    assert "ผู้รับผิดชอบ:" in row
    # The converted cell reads "หัวหน้าส่วน ราชการ" (a line wrap from the PDF).
    assert "ผู้รับผิดชอบ: - หัวหน้าส่วนราชการ" in row
    assert "<" not in row


def test_sample_plan_structure(sample_plan: ParsedDocument) -> None:
    assert sample_plan.title == "แผนการจัดการความรู้ (Knowledge Management) ประจำปีงบประมาณ พ.ศ. ๒๕๖๗"
    assert sample_plan.slug == "000_7109b574315d70a7"
    # Table 2.2 continues after a page break with a repeated header: still table 2.2.
    plan_one_kmp7 = passage_containing(sample_plan, "(KMP ๗) - การสร้างองค์ความรู้ - การนำความรู้ไปใช้ - ความพึงพอใจ")
    assert any(heading.startswith("ตารางที่ ๒.๒") for heading in plan_one_kmp7.heading_path)
    # Cells of table 2.1 held <p> and <u> tags.
    chosen = passage_containing(sample_plan, "องค์ความรู้ที่เลือก: ๑. เทคนิคการบริหารจัดการองค์ความรู้ (KM)")
    assert "<p>" not in chosen.text and "<u>" not in chosen.text
    assert "ประเภทขององค์ความรู้: ด้านการบริหารจัดการองค์กร" in chosen.text
    # A bold step title becomes part of the heading path of the text under it.
    order = passage_containing(sample_plan, "๑๘๔๐/๒๕๖๔")
    assert any(heading.startswith("ขั้นตอนที่ ๑") for heading in order.heading_path)
    factors = passage_containing(sample_plan, "ความมุ่งมั่นของผู้บริหารและพนักงาน")
    assert factors.heading_path[-1] == "ปัจจัยแห่งความสำเร็จ (Key Success Factor)"
    assert all(len(p.text) <= 2 * MAX_PASSAGE_CHARS for p in sample_plan.passages)


def test_sample_plan_tables_sit_under_their_own_captions(sample_plan: ParsedDocument) -> None:
    # The bold chapter title after "ปัจจัยแห่งความสำเร็จ" ends that subsection: the plan's
    # tables are not about the success factors.
    tables = [p for p in sample_plan.passages if any(h.startswith("ตารางที่ ๒.") for h in p.heading_path)]
    assert len(tables) > 30
    assert not any("ปัจจัยแห่งความสำเร็จ (Key Success Factor)" in p.heading_path for p in tables)

    def rows(step: str) -> list:
        return [p for p in sample_plan.passages if f"({step})" in p.text and p.text.startswith("ที่:")]

    # Each CMP table belongs to the plan above it, under its own caption, not under the
    # note ("หมายเหตุ") that separates it from the KMP table.
    plan_one, plan_two = rows("CMP ๓")
    for row, table in ((plan_one, "ตารางที่ ๒.๒"), (plan_two, "ตารางที่ ๒.๓")):
        assert row.heading_path[-1] == "กระบวนการบริหารจัดการการเปลี่ยนแปลง"
        assert row.heading_path[-2].startswith(table)
        assert "หมายเหตุ" not in row.heading_path
    kmp_five = rows("KMP ๕")
    assert [row.heading_path[-1] for row in kmp_five] == ["กิจกรรมการจัดการความรู้"] * 2
    assert kmp_five[0].heading_path[-2].startswith("ตารางที่ ๒.๒") and kmp_five[1].heading_path[-2].startswith("ตารางที่ ๒.๓")


# ---------------------------------------------------------------------------
# Lists


def test_nested_list_items_are_indented_and_do_not_take_a_number() -> None:
    document = parse_text(
        "## การประเมินผล\n\n1. ทำแบบประเมิน\n2. ตรวจผลแต่ละองค์ความรู้\n    - องค์ความรู้ที่ ๑\n    - องค์ความรู้ที่ ๒\n3. รายงานนายก\n",
        source="nested.md",
        kind="md",
    )

    assert document.passages[0].text == (
        "1. ทำแบบประเมิน\n2. ตรวจผลแต่ละองค์ความรู้\n  - องค์ความรู้ที่ ๑\n  - องค์ความรู้ที่ ๒\n3. รายงานนายก"
    )


def test_a_very_long_list_is_split_into_parts_of_about_equal_size() -> None:
    items = "".join(f"- ขั้นที่ {number} " + "อธิบายรายละเอียดของกิจกรรมในขั้นนี้ " * 6 + "\n" for number in range(1, 13))

    document = parse_text("## ขั้นตอน\n\n" + items, source="long-list.md", kind="md")

    sizes = [len(p.text) for p in document.passages]
    assert len(sizes) >= 2
    assert max(sizes) - min(sizes) < 400
    assert all(p.heading_path == ("ขั้นตอน",) for p in document.passages)
    assert squeeze("".join(p.text for p in document.passages)) == squeeze(items)


def test_a_bold_line_restating_the_section_title_closes_the_subsection_above_it() -> None:
    # Converted documents repeat a chapter's title in bold before its main part; the text
    # after it belongs to the chapter, not to the last subsection before it.
    document = parse_text(
        "## บทที่ ๒\n\n### แผนการจัดการความรู้ ประจำปี ๒๕๖๗\n\n#### ปัจจัยแห่งความสำเร็จ\n\n"
        "- ความมุ่งมั่นของผู้บริหาร\n\n"
        "**แผนการจัดการความรู้ ประจำปี ๒๕๖๗ ของกองยุทธศาสตร์และงบประมาณ**\n\n"
        "กองยุทธศาสตร์ได้จัดทำแผนตามแบบฟอร์ม\n\n"
        "**แผนการจัดการความรู้ ประจำปี ๒๕๖๗**\n\n"
        "ตารางแผนอยู่ท้ายบท\n",
        source="restated.md",
        kind="md",
    )

    factors = passage_containing(document, "ความมุ่งมั่นของผู้บริหาร")
    assert factors.heading_path[-1] == "ปัจจัยแห่งความสำเร็จ"
    # Starts with the section's title and goes on: a child of that section.
    made = passage_containing(document, "ได้จัดทำแผนตามแบบฟอร์ม")
    assert made.heading_path == (
        "บทที่ ๒",
        "แผนการจัดการความรู้ ประจำปี ๒๕๖๗",
        "แผนการจัดการความรู้ ประจำปี ๒๕๖๗ ของกองยุทธศาสตร์และงบประมาณ",
    )
    # Exactly the section's title: back in that section.
    tables = passage_containing(document, "ตารางแผนอยู่ท้ายบท")
    assert tables.heading_path == ("บทที่ ๒", "แผนการจัดการความรู้ ประจำปี ๒๕๖๗")


def test_a_captioned_table_after_a_note_is_not_part_of_the_note() -> None:
    document = parse_text(
        "## แผนที่ ๑\n\n"
        "ที่\tกิจกรรม\n๑.\tการบ่งชี้ความรู้ (KMP ๑)\n\n"
        "**หมายเหตุ**\n\nKMP หมายถึง กระบวนการจัดการความรู้\n\n"
        "กระบวนการบริหารจัดการการเปลี่ยนแปลง\n\n"
        "ที่\tกิจกรรม\n๑\tการเตรียมการและปรับเปลี่ยนพฤติกรรม (CMP ๑)\n",
        source="note.txt",
        kind="txt",
    )

    note = passage_containing(document, "KMP หมายถึง")
    assert note.heading_path == ("แผนที่ ๑", "หมายเหตุ")
    change = passage_containing(document, "(CMP ๑)")
    assert change.heading_path == ("แผนที่ ๑", "กระบวนการบริหารจัดการการเปลี่ยนแปลง")


def test_html_list_nested_and_table_row_spans() -> None:
    document = parse_text(
        "<h2>แผน</h2><table><tr><th>ขั้น</th><th>เดือน</th></tr>"
        "<tr><td rowspan=2>KMP 6</td><td>ก.ค.</td></tr><tr><td>ส.ค.</td></tr></table>",
        source="spans.html",
        kind="html",
    )

    assert [p.text for p in document.passages] == ["ขั้น: KMP 6 | เดือน: ก.ค.", "ขั้น: KMP 6 | เดือน: ส.ค."]
