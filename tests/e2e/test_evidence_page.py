"""The secretary's evidence page in a real browser: upload a file to an activity, print the
register (forms left out), download the year-end report."""

from __future__ import annotations

import re

from docx import Document

from tests.conftest import SAMPLE_PLAN
from tests.e2e.test_browser import sign_in

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_upload_print_and_download_on_the_evidence_page(start_server, desk, tmp_path, screenshot) -> None:
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading

    server = start_server(evidence_dir=str(tmp_path / "evidence"))
    with server.database.session() as session:
        save_plan_reading(session, read_plan_file(SAMPLE_PLAN))
    page = desk.new_page()
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/admin/reach"))
    page.get_by_role("link", name="หลักฐานและรายงานประจำปี").click()
    page.wait_for_url(re.compile(r"/admin/evidence"))
    assert page.locator("tr[data-activity-id]").count() == 26

    pdf = tmp_path / "คำสั่งแต่งตั้งคณะทำงาน.pdf"
    pdf.write_bytes(PDF_BYTES)
    row = page.locator("tr[data-activity-id]").first
    row.locator('input[type="file"]').set_input_files(str(pdf))
    row.get_by_role("button", name="อัปโหลด").click()
    page.wait_for_load_state()
    assert "แนบไฟล์ “คำสั่งแต่งตั้งคณะทำงาน.pdf”" in page.locator(".flash").first.inner_text()
    row = page.locator("tr[data-activity-id]").first
    assert row.get_by_role("link", name="คำสั่งแต่งตั้งคณะทำงาน.pdf").is_visible()
    screenshot(page, "desk-evidence")

    page.emulate_media(media="print")
    assert not row.get_by_role("button", name="อัปโหลด").is_visible()
    assert not page.locator(".admin-nav").is_visible()
    assert page.locator(".print-only").first.is_visible()
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="รายงานประจำปี (Word)").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    document = Document(str(saved))
    plan_table = next(table for table in document.tables if table.rows[0].cells[0].text == "กิจกรรม")
    assert any("• คำสั่งแต่งตั้งคณะทำงาน.pdf" in row.cells[5].text for row in plan_table.rows)
