"""Article pages: readable on a phone, in Thai, safe, and counted as views."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.tables import InteractionEvent
from kb.parsed import ParsedDocument, ParsedPassage
from kb.store import save_document


def add_article(database, body: str, title: str = "บทความทดสอบ", status: str = "published") -> int:
    document = ParsedDocument(title=title, body=body, source="test", content_hash=str(hash(body)),
                              passages=(ParsedPassage((), body, 0),), status=status)
    with database.session() as session:
        return save_document(session, document, source=f"test:{title}").article_id


def test_an_article_page_shows_the_article_in_thai_with_the_shipped_font(client, database):
    article_id = add_article(database, "## ขั้นตอน\n\n- บ่งชี้ความรู้\n- สร้างและแสวงหาความรู้\n")

    page = client.get(f"/kb/{article_id}")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="th">' in html and 'name="viewport"' in html
    assert "<h1>บทความทดสอบ</h1>" in html and "<li>บ่งชี้ความรู้</li>" in html
    css = client.get("/static/kmbot.css").get_data(as_text=True)
    assert "/fonts/Sarabun-Regular.ttf" in css
    font = client.get("/fonts/Sarabun-Regular.ttf")
    assert font.status_code == 200 and len(font.data) > 50_000


def test_scripts_and_javascript_links_in_an_article_are_removed(client, database):
    article_id = add_article(database, 'ข้อความ <script>alert("x")</script> <a href="javascript:alert(1)">ลิงก์</a> <img src=x onerror=alert(1)>', title="<b>หัวข้อ</b>")

    html = client.get(f"/kb/{article_id}").get_data(as_text=True)

    assert "<script>alert" not in html and "javascript:" not in html and "onerror" not in html
    assert "&lt;b&gt;หัวข้อ&lt;/b&gt;" in html


def test_views_and_clicks_from_line_are_counted(client, database):
    article_id = add_article(database, "เนื้อหา")

    client.get(f"/kb/{article_id}?from=line")
    client.get(f"/kb/{article_id}")

    with database.session() as session:
        kinds = sorted(event.kind for event in session.scalars(select(InteractionEvent)))
    assert kinds == ["article_view", "article_view", "link_click"]


def test_missing_and_draft_articles_are_not_found(client, database):
    draft_id = add_article(database, "ร่าง", status="draft")

    assert client.get(f"/kb/{draft_id}").status_code == 404
    assert client.get("/kb/999999").status_code == 404
    assert client.get("/fonts/../../etc/passwd").status_code == 404
