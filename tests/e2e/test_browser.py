"""End to end in a real browser: sign in, chat in the simulator, see the dashboard move, download,
and turn a shared tip into an answer. Screenshots of the main pages go to test-output/screenshots/."""

from __future__ import annotations

import re
from datetime import date

import openpyxl
from sqlalchemy import select

from bot.core.calendar import fiscal_year_of, now, today
from kb.tables import Activity, Plan, SharedTip
from scheduler.tables import Delivery

TIP = (
    "เคล็ดลับการจองห้องประชุมชั้น 3: กรอกแบบฟอร์มขอใช้ห้องประชุมในระบบสารบรรณล่วงหน้าอย่างน้อย 3 วันทำการ "
    "และแจ้งจำนวนผู้เข้าประชุมกับอุปกรณ์ที่ต้องใช้ ฝ่ายอาคารสถานที่จะโทรยืนยันภายใน 1 วัน"
)
TIP_QUESTION = "จองห้องประชุมชั้น 3 ต้องทำอย่างไร"


def sign_in(page, server, password: str | None = None) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/admin/")
    page.get_by_label("รหัสผ่าน").fill(password or server.admin_password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()


def ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type into the simulator and wait for the bot's reply to be appended."""
    replies_before = page.locator(".chat-row-bot").count()
    page.locator("#chat-text").fill(text)
    page.locator("#chat-text").press("Enter")
    # A locator wait, not wait_for_function: the page's Content-Security-Policy forbids eval.
    page.locator(".chat-row-bot").nth(replies_before).wait_for()


def helpful_count(page, base_url: str) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/admin/reach?fiscal_year={fiscal_year_of(today())}")
    return int(page.locator('[data-figure="feedback_helpful"] .stat-value').inner_text().replace(",", ""))


def test_sign_in_refuses_a_wrong_password_and_opens_the_dashboard(start_server, phone, screenshot):
    server = start_server()
    page = phone.new_page()

    sign_in(page, server, "ไม่ใช่รหัสนี้")
    assert page.get_by_role("alert").inner_text().startswith("รหัสผ่านไม่ถูกต้อง")
    screenshot(page, "phone-sign-in-refused")

    sign_in(page, server)
    page.wait_for_url(re.compile(r"/admin/reach"))
    assert page.get_by_role("heading", name="สถิติการเข้าถึงความรู้").is_visible()
    cookie = next(cookie for cookie in phone.cookies() if cookie["name"] == "kmbot_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_ask_in_the_simulator_press_thumbs_up_and_see_it_apart_from_the_evidence(start_server, phone, desk, screenshot):
    server = start_server()
    page = phone.new_page()
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/admin/reach"))
    assert helpful_count(page, server.url) == 0

    page.goto(server.url + "/")
    ask(page, "KM คืออะไร")
    bubble = page.locator(".flex-bubble").last
    assert "การจัดการความรู้ (KM) คืออะไร" in bubble.inner_text()
    assert bubble.get_by_role("link", name="อ่านต่อ").get_attribute("href").startswith(server.url + "/kb/")
    assert page.locator(".quick-replies .chip").count() >= 1
    screenshot(page, "phone-simulator-answer")

    bubble.get_by_role("button", name="👍 มีประโยชน์").click()
    page.get_by_text("ขอบคุณที่ช่วยประเมิน").first.wait_for()
    screenshot(page, "phone-simulator-after-feedback")

    # The simulator is not LINE: its 👍 is shown apart, by channel, never in the evidence figure.
    assert helpful_count(page, server.url) == 0
    assert "ระบบจำลองแชต (หน้าเว็บ)" in page.locator("body").inner_text()
    screenshot(page, "phone-reach-dashboard")

    desk_page = desk.new_page()
    sign_in(desk_page, server)
    desk_page.wait_for_url(re.compile(r"/admin/reach"))
    assert helpful_count(desk_page, server.url) == 0
    screenshot(desk_page, "desk-reach-dashboard")
    desk_page.goto(server.url + "/")
    ask(desk_page, "ขั้นตอนการจัดการความรู้มีอะไรบ้าง")
    screenshot(desk_page, "desk-simulator-answer")


def test_the_dashboard_downloads_an_xlsx_that_opens(start_server, desk, tmp_path):
    server = start_server()
    page = desk.new_page()
    sign_in(page, server)
    page.wait_for_url(re.compile(r"/admin/reach"))

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel (XLSX)").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert saved.name == f"kmbot-reach-{fiscal_year_of(today())}.xlsx"
    workbook = openpyxl.load_workbook(saved)
    assert {"สรุป", "รายเดือน", "ตัวชี้วัด"} <= set(workbook.sheetnames)
    assert workbook["รายเดือน"].max_row >= 13  # heading, twelve months, total


def test_a_shared_tip_is_approved_into_an_article_and_then_answers(start_server, phone, desk, screenshot):
    server = start_server()
    chat = phone.new_page()
    chat.goto(server.url + "/")
    ask(chat, TIP_QUESTION)
    assert chat.locator(".chat-row-bot").last.get_attribute("data-kind") == "text"  # not known yet
    ask(chat, f"/share {TIP}")
    assert "ขอบคุณมากนะคะที่แบ่งปันความรู้" in chat.locator(".chat-row-bot").last.inner_text()

    admin = desk.new_page()
    sign_in(admin, server)
    admin.goto(server.url + "/admin/tips")
    assert TIP in admin.locator(".tip-text").first.inner_text()
    screenshot(admin, "desk-tips")
    admin.get_by_role("link", name="อนุมัติเป็นบทความ").first.click()
    admin.wait_for_url(re.compile(r"/admin/kb/new\?tip=\d+"))
    assert TIP in admin.locator("#body").input_value()
    admin.locator("#title").fill("การจองห้องประชุมชั้น 3")
    admin.locator("#questions").fill(TIP_QUESTION)
    admin.get_by_role("button", name="แสดงตัวอย่าง").click()
    assert "เคล็ดลับการจองห้องประชุมชั้น 3" in admin.locator(".preview").inner_text()
    screenshot(admin, "desk-editor-preview")
    admin.get_by_role("button", name="บันทึก").click()
    admin.wait_for_url(re.compile(r"/admin/kb/\d+/edit"))
    assert "บันทึกบทความแล้ว" in admin.locator(".flash").first.inner_text()
    with server.database.session() as session:
        assert session.scalars(select(SharedTip.status)).one() == "approved"

    ask(chat, TIP_QUESTION)
    answer = chat.locator(".chat-row-bot").last
    assert answer.get_attribute("data-kind") == "flex"
    assert "การจองห้องประชุมชั้น 3" in answer.inner_text()


def test_screenshots_of_the_secretary_pages_on_a_phone_and_a_desk(start_server, phone, desk, screenshot):
    server = start_server()
    with server.database.session() as session:
        plan = Plan(fiscal_year=fiscal_year_of(today()), number=1, knowledge_topic="การจัดทำข้อบัญญัติงบประมาณรายจ่ายประจำปี",
                    unit="กองยุทธศาสตร์และงบประมาณ")
        first = Activity(step="KMP1", number=1, name="การบ่งชี้ความรู้", start=date(2023, 11, 1), deadline=date(2023, 11, 30),
                         status="done", done_at=now(), evidence_note="รายงานการประชุมคณะทำงาน KM ครั้งที่ 1/2567", position=0,
                         responsible="คณะทำงาน KM", evidence="รายงานการประชุม")
        second = Activity(step="KMP5", number=5, name="การเข้าถึงความรู้", start=date(2024, 7, 1), deadline=date(2024, 9, 30),
                          position=1, responsible="ฝ่ายแผนงาน", evidence="ภาพหน้าจอคลังความรู้")
        plan.activities = [first, second]
        session.add(plan)
        session.flush()
        session.add(Delivery(purpose="reminder", delivery_key=f"{first.id}:before_7d:0", recipient="C1", activity_id=first.id,
                                     reminder_kind="before_7d", planned_at=now(), state="sent", sent_at=now(), attempts=1))
    chat = phone.new_page()
    chat.goto(server.url + "/")
    ask(chat, "วิธีทำขนมครก")
    ask(chat, "/share ควรสำรองไฟล์งบประมาณไว้บนไดรฟ์กลางทุกสิ้นวัน จะได้ไม่สูญหายเมื่อเครื่องเสีย")

    for context, prefix in ((phone, "phone"), (desk, "desk")):
        page = context.new_page()
        sign_in(page, server)
        page.wait_for_url(re.compile(r"/admin/reach"))
        for path, name in (("/admin/kb", "articles"), ("/admin/gaps", "gaps"), ("/admin/tips", "tips"),
                           ("/admin/plan", "plan"), ("/admin/people", "people"), ("/admin/kb/new", "editor")):
            page.goto(server.url + path)
            assert page.locator("h1").first.is_visible()
            # Nothing may stick out sideways on a phone: the page scrolls only vertically.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than the {prefix} screen"
            screenshot(page, f"{prefix}-{name}")
        page.close()


def test_with_line_configured_home_is_a_landing_page_and_the_simulator_is_signed_in(start_server, line_stub, phone, screenshot):
    server = start_server(line_channel_secret="e2e-channel-secret", line_channel_access_token="e2e-token",
                          line_api_base_url=line_stub.url)
    page = phone.new_page()
    page.goto(server.url + "/")
    assert page.get_by_role("heading", name="น้องบอท KM").is_visible()
    screenshot(page, "phone-landing")

    page.get_by_role("link", name="เข้าสู่ระบบสำหรับเลขานุการ").click()
    page.get_by_label("รหัสผ่าน").fill(server.admin_password)
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.wait_for_url(re.compile(r"/admin/reach"))
    page.get_by_role("link", name="ทดลองแชต").click()
    ask(page, "KM คืออะไร")

    assert page.locator(".flex-bubble").count() == 1
    assert line_stub.calls == []
