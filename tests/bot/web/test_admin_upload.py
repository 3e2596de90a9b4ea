"""Knowledge from a file in the browser: .docx, .html, .txt and .md become articles the bot
answers from; the same file again updates its article; anything else gets a Thai error."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import func, select

from kb.tables import Article


from tests.bot.web.admin_pages import ADMIN_PASSWORD, csrf_token_of, sign_in

@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def token_of(client, path: str = "/admin/kb") -> str:  # type: ignore[no-untyped-def]
    return csrf_token_of(client, path)


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    return sign_in(client)


def upload(client, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/admin/kb/upload", data={"csrf_token": token_of(client), "document": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def word_file(paragraph: str) -> bytes:
    document = Document()
    document.add_heading("การขอใช้รถส่วนกลาง", level=1)
    document.add_paragraph(paragraph)
    data = io.BytesIO()
    document.save(data)
    return data.getvalue()


def articles(database) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return {article.title: article.body for article in session.scalars(select(Article))}


def test_a_word_file_becomes_an_article_the_bot_answers_from(signed_in, database, cli):
    page = upload(signed_in, "ขอใช้รถ.docx", word_file("ยื่นแบบฟอร์มขอใช้รถต่องานยานพาหนะล่วงหน้า 2 วันทำการ"))

    assert "นำเข้า “ขอใช้รถ.docx” แล้วค่ะ" in page.get_data(as_text=True)
    assert "ล่วงหน้า 2 วันทำการ" in articles(database)["การขอใช้รถส่วนกลาง"]
    assert '"answered": true' in cli("ask", "ขอใช้รถส่วนกลางต้องทำอย่างไร", "--json").output.replace(" ", "").replace('":true', '": true')


def test_the_same_file_again_updates_its_article_instead_of_adding_one(signed_in, database):
    upload(signed_in, "ขอใช้รถ.docx", word_file("ล่วงหน้า 2 วันทำการ"))
    upload(signed_in, "ขอใช้รถ.docx", word_file("ล่วงหน้า 3 วันทำการ"))

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Article).where(Article.source.like("upload:%"))) == 1
    assert "ล่วงหน้า 3 วันทำการ" in articles(database)["การขอใช้รถส่วนกลาง"]


@pytest.mark.parametrize("name, data", [
    ("ระเบียบการลา.html", "<html><body><h1>การลาพักผ่อน</h1><p>ลาพักผ่อนได้ปีละ 10 วันทำการ</p></body></html>".encode()),
    ("การลา.txt", "การลาพักผ่อน\n\nลาพักผ่อนได้ปีละ 10 วันทำการ".encode()),
    ("การลา.md", "# การลาพักผ่อน\n\nลาพักผ่อนได้ปีละ 10 วันทำการ\n".encode()),
])
def test_html_text_and_markdown_files_are_read_too(signed_in, database, name, data):
    upload(signed_in, name, data)
    assert any("10 วันทำการ" in body for body in articles(database).values())


@pytest.mark.parametrize("name, data, message", [
    ("scan.pdf", b"%PDF-1.4 ...", "ไม่รองรับไฟล์ชนิด"),
    ("ว่าง.txt", b"   ", "ว่างเปล่า"),
])
def test_a_file_that_cannot_be_read_gets_a_thai_error(signed_in, database, name, data, message):
    before = articles(database)
    html = upload(signed_in, name, data).get_data(as_text=True)
    assert message in html and "/tmp" not in html
    assert articles(database) == before
