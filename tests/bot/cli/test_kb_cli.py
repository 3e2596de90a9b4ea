"""`kmbot ask` and `kmbot kb ...` as the secretary uses them in a terminal."""

from __future__ import annotations

import json
from pathlib import Path

import docx



def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("การเบิกค่าใช้จ่ายในการฝึกอบรม", level=1)
    document.add_paragraph("ผู้เข้ารับการฝึกอบรมต้องส่งหลักฐานการเบิกภายใน ๑๕ วันหลังเสร็จสิ้นการอบรม")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "รายการ", "วงเงิน"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "ค่าอาหารกลางวัน", "ไม่เกิน ๓๐๐ บาทต่อคน"
    document.save(path)
    return path


def test_ask_json_follows_the_contract(cli, starter_pack):
    result = cli("ask", "KM คืออะไร", "--json")

    assert result.exit_code == 0
    answer = json.loads(result.output)
    assert answer["answered"] is True
    assert isinstance(answer["answer"], str) and answer["answer"]
    assert 0.0 <= answer["confidence"] <= 1.0
    assert answer["sources"] and set(answer["sources"][0]) >= {"id", "title", "score"}


def test_ask_out_of_domain_is_not_answered(cli, starter_pack):
    answer = json.loads(cli("ask", "หวยงวดนี้ออกอะไร", "--json").output)

    assert answer["answered"] is False
    assert answer["answer"] == ""


def test_import_every_format_and_reimport_updates_instead_of_duplicating(cli, tmp_path):
    markdown_file = tmp_path / "tips.md"
    markdown_file.write_text("---\ntitle: เคล็ดลับการเขียนรายงานประชุม\ncategory: ด้านการพัฒนาบุคลากร\n---\n\n## ก่อนประชุม\nเตรียมวาระและเอกสารให้ครบ\n", encoding="utf-8")
    text_file = tmp_path / "note.txt"
    text_file.write_text("บันทึกการแลกเปลี่ยนเรียนรู้\n\nทีมงานแบ่งปันวิธีจัดเก็บเอกสารให้ค้นง่าย", encoding="utf-8")
    html_file = tmp_path / "page.html"
    html_file.write_text("<html><body><h1>ช่องทางเผยแพร่ความรู้</h1><p>เว็บไซต์และบอร์ดประชาสัมพันธ์</p><script>alert(1)</script></body></html>", encoding="utf-8")
    word_file = write_docx(tmp_path / "training.docx")

    first = cli("kb", "import", str(markdown_file), str(text_file), str(html_file), str(word_file), "--json")
    assert first.exit_code == 0, first.output
    assert [item["outcome"] for item in json.loads(first.output)] == ["created"] * 4

    assert json.loads(cli("kb", "import", str(markdown_file), "--json").output)[0]["outcome"] == "unchanged"
    markdown_file.write_text(markdown_file.read_text(encoding="utf-8") + "\nสรุปมติให้ชัดเจน\n", encoding="utf-8")
    assert json.loads(cli("kb", "import", str(markdown_file), "--json").output)[0]["outcome"] == "updated"

    listed = json.loads(cli("kb", "list", "--json").output)
    assert len(listed) == 4
    assert {row["title"] for row in listed} >= {"เคล็ดลับการเขียนรายงานประชุม", "การเบิกค่าใช้จ่ายในการฝึกอบรม"}


def test_a_bad_file_is_reported_by_name_and_the_rest_still_imports(cli, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"this is not a word file")
    good = tmp_path / "good.md"
    good.write_text("# การจัดเก็บไฟล์\nตั้งชื่อไฟล์ตามปีงบประมาณ", encoding="utf-8")

    result = cli("kb", "import", str(broken), str(good), "--json")

    assert result.exit_code == 1
    outcomes = json.loads(result.output)
    assert outcomes[0]["outcome"] == "failed" and "broken.docx" in outcomes[0]["error"]
    assert outcomes[1]["outcome"] == "created"


def test_show_and_remove(cli, tmp_path):
    note = tmp_path / "n.md"
    note.write_text("# หัวข้อทดสอบ\nเนื้อหา", encoding="utf-8")
    article_id = json.loads(cli("kb", "import", str(note), "--json").output)[0]["article_id"]

    shown = json.loads(cli("kb", "show", str(article_id), "--json").output)
    assert shown["title"] == "หัวข้อทดสอบ" and shown["passages"]

    assert cli("kb", "remove", str(article_id)).exit_code == 0
    assert json.loads(cli("kb", "list", "--json").output) == []
    assert cli("kb", "show", str(article_id)).exit_code != 0


def test_the_sample_plan_document_answers_who_is_responsible_from_its_table(cli, sample_plan_path):
    assert cli("kb", "import", sample_plan_path).exit_code == 0

    answer = json.loads(cli("ask", "แผน 2 ขั้น KMP5 การเข้าถึงความรู้ ใครรับผิดชอบ", "--json").output)

    assert answer["answered"] is True
    assert "หัวหน้าส่วน" in answer["answer"]
