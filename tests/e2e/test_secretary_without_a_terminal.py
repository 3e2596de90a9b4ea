"""A new secretary runs kmbot from the browser alone (issue 17): sets the roster size and the
office's holiday, uploads the real FY 2567 plan and reads its warnings, fixes the unreadable
period, marks an activity done, sees the LINE groups by name and makes one the committee,
dismisses a greeting gap and writes an article from a real one, with the editor's buttons.

Every page is photographed at phone and desktop width into the test's own output folder."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.calendar import BANGKOK, now
from bot.core.people import ensure_group
from bot.core.tables import ChatGroup
from bot.web.extensions import get_config
from kb.gaps import record_gap
from kb.tables import Activity, Article, KnowledgeGap, Plan

STAFF_GROUP = "C7777777777777777777777777777cccc"
COMMITTEE_GROUP = "C8888888888888888888888888888dddd"
GREETING = "สวัสดีตอนเช้าจ้าทุกคน"
REAL_QUESTION = "ขอเบอร์โทรภายในของงานพัสดุหน่อยค่ะ"
PHONE_WIDTH, DESK_WIDTH = (390, 844), (1280, 900)


@pytest.fixture
def shots(tmp_path: Path):  # type: ignore[no-untyped-def]
    """`shots(page, "name")` saves name-phone.png and name-desktop.png under tmp_path/screenshots."""
    folder = tmp_path / "screenshots"
    folder.mkdir()

    def take(page: Any, name: str) -> None:
        for label, (width, height) in (("phone", PHONE_WIDTH), ("desktop", DESK_WIDTH)):
            page.set_viewport_size({"width": width, "height": height})
            # Two frames after the resize, so the full-page height is the new layout's.
            page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))")
            page.evaluate("document.fonts.ready.then(() => true)")
            page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
            # Nothing of the page may stick out sideways on a phone.
            if label == "phone":
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{name} scrolls sideways"
        page.set_viewport_size({"width": DESK_WIDTH[0], "height": DESK_WIDTH[1]})

    take.folder = folder  # type: ignore[attr-defined]
    return take


@pytest.fixture
def server(start_server, line_stub):  # type: ignore[no-untyped-def]
    """The product as installed, talking to the strict LINE stub, with two groups the bot was
    invited into (their names live only in LINE) and two unanswered questions."""
    line_stub.group_names.update({STAFF_GROUP: "บุคลากรกองยุทธศาสตร์", COMMITTEE_GROUP: "คณะทำงาน KM อบจ."})
    live = start_server(line_channel_secret="test-channel-secret-0123456789ab", line_channel_access_token="test-access-token",
                        line_api_base_url=line_stub.url, line_backoff_seconds=0.0)
    with live.database.session() as session:
        for group_id in (STAFF_GROUP, COMMITTEE_GROUP):
            ensure_group(session, group_id, "group", datetime(2023, 9, 1, tzinfo=BANGKOK))
        record_gap(session, GREETING, now())
        record_gap(session, REAL_QUESTION, now())
        record_gap(session, REAL_QUESTION, now())
    return live


def sign_in(page, server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/admin/")
    page.get_by_label("รหัสผ่าน").fill(server.admin_password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/admin/reach"))


def flash(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(".flash").first.inner_text()


def test_a_new_secretary_does_everything_in_the_browser(server, desk, shots, sample_plan_path):
    page = desk.new_page()
    sign_in(page, server)
    assert "KMBOT_" not in page.locator("body").inner_text()

    # 1. Settings: the roster size and the office's own holiday, typed in Thai.
    page.get_by_role("link", name="ตั้งค่า").click()
    page.get_by_label("จำนวนบุคลากรทั้งหมด").fill("120")
    page.get_by_label("วันหยุดของหน่วยงานเอง").fill("12 มี.ค. 2567 วันก่อตั้ง อบจ.")
    page.get_by_role("button", name="บันทึกการตั้งค่า").click()
    assert "บันทึกการตั้งค่าแล้ว" in flash(page)
    assert "วันสงกรานต์" in page.locator(".holidays").inner_text() or "วันหยุดราชการ" in page.locator(".holidays").inner_text()
    shots(page, "01-settings")
    with server.app.app_context():
        config = get_config()
        assert config.staff_count == 120 and date(2024, 3, 12) in config.reminder_holidays

    # 2. The plan: upload the real plan, read every warning, then save it.
    page.get_by_role("link", name="แผน KM").click()
    # With no plan yet the upload form is open already: the first thing the page offers.
    assert page.locator("details.plan-upload").get_attribute("open") is not None
    page.get_by_label("ไฟล์แผน").set_input_files(str(sample_plan_path))
    page.get_by_role("button", name="ดูตัวอย่างก่อนนำเข้า").click()
    warnings = page.locator(".preview-warnings").inner_text()
    assert "ไม่มีขั้นตอน KMP3, KMP4" in warnings and "“จ.ค.” ไม่ใช่ชื่อเดือน" in warnings and "“มี.ย.” ไม่ใช่ชื่อเดือน" in warnings
    assert page.locator("tr.unreadable").count() == 2
    shots(page, "02-plan-preview")
    with server.database.session() as session:
        assert session.scalars(select(Plan)).first() is None  # looking saved nothing
    page.get_by_role("button", name="บันทึกแผนนี้").click()
    assert "นำเข้าแผนแล้วค่ะ" in flash(page)

    # 3. Fix the unreadable period of plan 1's KMP1 with dates typed in Thai.
    with server.database.session() as session:
        kmp1 = session.scalars(select(Activity).join(Plan).where(Plan.number == 1, Activity.step == "KMP1")).one().id
        kmp5 = session.scalars(select(Activity).join(Plan).where(Plan.number == 1, Activity.step == "KMP5")).one().id
    card = page.locator(f"#activity-{kmp1}")
    assert "ยังไม่ได้กำหนดวัน" in card.inner_text() and "“จ.ค.” ไม่ใช่ชื่อเดือน" in card.inner_text()
    card.locator("summary", has_text="แก้วันที่").click()
    card.get_by_label("วันเริ่ม").fill("1 ต.ค. 2566")
    card.get_by_label("วันครบกำหนด").fill("29 มี.ค. 2567")
    card.get_by_role("button", name="บันทึกวัน").click()
    assert "บันทึกวันของกิจกรรมเลข" in flash(page)
    assert "1 ต.ค. 2566 – 29 มี.ค. 2567" in page.locator(f"#activity-{kmp1}").inner_text()

    # 4. Mark KMP5 done with its evidence; the number on the card is the one /done uses.
    card = page.locator(f"#activity-{kmp5}")
    assert f"เลขกิจกรรม {kmp5}" in card.inner_text() and f"/done {kmp5}" in card.inner_text()
    card.locator("summary", has_text="บันทึกผลว่าทำเสร็จ").click()
    card.get_by_label("หลักฐาน / หมายเหตุ").fill("หนังสือเวียนเผยแพร่องค์ความรู้ ที่ 15/2567")
    card.get_by_role("button", name="บันทึกว่าเสร็จ").click()
    assert "เสร็จแล้ว" in page.locator(f"#activity-{kmp5} .badge").inner_text()
    shots(page, "03-plan")

    # 5. Groups by their LINE names; the committee chosen from the names.
    page.get_by_role("link", name="ผู้ใช้และกลุ่ม").click()
    groups = page.locator("#groups").inner_text()
    assert "บุคลากรกองยุทธศาสตร์" in groups and "คณะทำงาน KM อบจ." in groups and "ไม่ทราบชื่อ" not in groups
    page.locator("#committee").get_by_label("คณะทำงาน KM อบจ.").check()
    page.get_by_role("button", name="บันทึกกลุ่มกรรมการ").click()
    assert "คณะทำงาน KM อบจ." in flash(page)
    shots(page, "04-people")
    with server.database.session() as session:
        roles = {group.line_group_id: group.role for group in session.scalars(select(ChatGroup))}
    assert roles == {STAFF_GROUP: "staff", COMMITTEE_GROUP: "committee"}

    # 6. Gaps: the greeting is dismissed; an article is written from the real question.
    page.get_by_role("link", name="คำถามที่ยังตอบไม่ได้").click()
    shots(page, "05-gaps")
    gap_row = lambda question: page.locator("li.row", has=page.locator(".row-title", has_text=question))  # noqa: E731
    gap_row(GREETING).get_by_role("button", name="ไม่ใช่คำถาม").click()
    assert GREETING in flash(page) and gap_row(GREETING).count() == 0
    gap_row(REAL_QUESTION).get_by_role("link", name="เขียนบทความ").click()
    assert page.locator("#title").input_value() == REAL_QUESTION
    body = page.locator("#body")
    body.fill("เบอร์โทรภายในงานพัสดุ")
    body.select_text()
    page.get_by_role("button", name="หัวข้อ", exact=True).click()
    body.press("End")
    body.press("Enter")
    body.type("โทร 1234 ในเวลาราชการ")
    body.select_text()
    page.evaluate("el => el.setSelectionRange(el.value.indexOf('โทร 1234'), el.value.length)", body.element_handle())
    page.get_by_role("button", name="รายการ", exact=True).click()
    assert body.input_value() == "## เบอร์โทรภายในงานพัสดุ\n- โทร 1234 ในเวลาราชการ"
    shots(page, "06-editor")
    page.get_by_role("button", name="บันทึก", exact=True).click()
    assert "บันทึกบทความแล้ว" in flash(page)
    with server.database.session() as session:
        article = session.scalars(select(Article).where(Article.title == REAL_QUESTION)).one()
        assert article.body.strip().startswith("## เบอร์โทรภายในงานพัสดุ")
        gap = session.scalars(select(KnowledgeGap).where(KnowledgeGap.question == REAL_QUESTION)).one()
        assert gap.resolved_article_id == article.id

    assert len(list(shots.folder.glob("*.png"))) == 12
