"""The secretary's evidence page: the printable register, uploading, downloading and removing
evidence files, and the year's documents to download."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.bot.web.test_admin import csrf_token_of, sign_in

ADMIN_PASSWORD = "รหัส-ทดสอบ-2567"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def app_config(app_config, tmp_path):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD, "evidence_dir": str(tmp_path / "evidence"),
            "evidence_max_bytes": 1024}


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    assert sign_in(client, ADMIN_PASSWORD).status_code == 302
    return client


def upload(client, activity_id: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    token = csrf_token_of(client, "/admin/evidence?fiscal_year=2567")
    return client.post("/admin/evidence/upload", data={
        "csrf_token": token, "activity_id": str(activity_id), "fiscal_year": "2567",
        "file": (io.BytesIO(data), name),
    }, content_type="multipart/form-data", follow_redirects=True)


def test_the_secretary_uploads_downloads_and_removes_evidence(signed_in, imported_plan, tmp_path) -> None:
    activity_id = imported_plan[(1, "KMP2")]
    page = upload(signed_in, activity_id, "คำสั่งแต่งตั้ง.pdf", PDF_BYTES)
    html = page.get_data(as_text=True)
    assert "แนบไฟล์ “คำสั่งแต่งตั้ง.pdf” กับ KMP2" in html
    row = re.search(rf'<tr data-activity-id="{activity_id}">(.*?)</tr>', html, re.S).group(1)
    assert "คำสั่งแต่งตั้ง.pdf" in row and "เลขานุการ (อัปโหลดผ่านเว็บ)" in row
    stored = tmp_path / "evidence" / f"{hashlib.sha256(PDF_BYTES).hexdigest()}.pdf"
    assert stored.read_bytes() == PDF_BYTES

    link = re.search(r'href="(/admin/evidence/file/\d+)"', row).group(1)
    download = signed_in.get(link)
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.mimetype == "application/pdf"

    evidence_id = link.rsplit("/", 1)[1]
    token = csrf_token_of(signed_in, "/admin/evidence?fiscal_year=2567")
    removed = signed_in.post(f"/admin/evidence/{evidence_id}/remove", data={"csrf_token": token}, follow_redirects=True)
    assert "นำไฟล์ “คำสั่งแต่งตั้ง.pdf” ออกจากหลักฐานแล้วค่ะ" in removed.get_data(as_text=True)
    assert not stored.exists()
    assert signed_in.get(link).status_code == 404


def test_an_unsupported_or_oversized_upload_is_refused_in_thai(signed_in, imported_plan, tmp_path) -> None:
    activity_id = imported_plan[(1, "KMP2")]
    html = upload(signed_in, activity_id, "virus.exe", b"MZ\x90\x00").get_data(as_text=True)
    assert "รับหลักฐานเป็นรูปภาพ (JPG, PNG), PDF, Word หรือ Excel เท่านั้น" in html
    html = upload(signed_in, activity_id, "ใหญ่.pdf", b"%PDF-" + b"0" * 2000).get_data(as_text=True)
    assert "เกินกว่าที่รับได้" in html
    assert not (tmp_path / "evidence").exists() or not any((tmp_path / "evidence").glob("*.pdf"))


def test_the_years_documents_download_from_the_page(signed_in, imported_plan) -> None:
    page = signed_in.get("/admin/evidence?fiscal_year=2567").get_data(as_text=True)
    assert "ทะเบียนติดตามความก้าวหน้าและหลักฐาน ปีงบประมาณ 2567" in page
    assert page.count("<tr data-activity-id=") == len(imported_plan)

    report = signed_in.get("/admin/evidence/download/report?fiscal_year=2567")
    assert report.status_code == 200
    assert "km-report-2567.docx" in report.headers["Content-Disposition"]
    title = next(p.text for p in Document(io.BytesIO(report.data)).paragraphs if p.style.name == "Title")
    assert title.endswith("ประจำปีงบประมาณ ๒๕๖๗")
    arabic = signed_in.get("/admin/evidence/download/report?fiscal_year=2567&digits=arabic")
    assert next(p.text for p in Document(io.BytesIO(arabic.data)).paragraphs if p.style.name == "Title").endswith("2567")
    register = signed_in.get("/admin/evidence/download/register?fiscal_year=2567")
    assert load_workbook(io.BytesIO(register.data))["ทะเบียนกิจกรรม"].max_row == 3 + len(imported_plan)
    pack = signed_in.get("/admin/evidence/download/pack?fiscal_year=2567")
    assert "manifest.csv" in zipfile.ZipFile(io.BytesIO(pack.data)).namelist()


def test_a_year_without_a_plan_says_so(signed_in, imported_plan) -> None:
    response = signed_in.get("/admin/evidence/download/report?fiscal_year=2566", follow_redirects=True)
    assert "ไม่พบแผนการจัดการความรู้ของปีงบประมาณ 2566" in response.get_data(as_text=True)
