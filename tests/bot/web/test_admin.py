"""The secretary's /admin pages: signing in safely, the knowledge store, gaps, tips, roles, reach."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot import create_app
from bot.core.calendar import now
from bot.core.config import Config
from bot.core.tables import ChatGroup, InteractionEvent, User
from bot.web.security import session_secret_key
from kb.tables import Activity, Article, KnowledgeGap, Plan, SharedTip
from scheduler.tables import Delivery

ADMIN_PASSWORD = "รหัส-ทดสอบ-2567"
STAFF = "U1111111111111111111111111111aaaa"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def csrf_token_of(client, path: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, password: str = ADMIN_PASSWORD, **request_options):  # type: ignore[no-untyped-def]
    token = csrf_token_of(client, "/admin/sign-in")
    return client.post("/admin/sign-in", data={"csrf_token": token, "password": password}, **request_options)


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    response = sign_in(client)
    assert response.status_code == 302
    return client


def post_form(client, page: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(action, data={"csrf_token": csrf_token_of(client, page), **data})


def ask(webhook, line_events, line_stub, question: str) -> dict:  # type: ignore[no-untyped-def]
    """Ask through the real LINE webhook and return the reply message it sent."""
    before = len(line_stub.replies)
    assert webhook.send(line_events.text(question, line_events.user(STAFF))).status_code == 200
    assert len(line_stub.replies) == before + 1
    return line_stub.replies[-1].body["messages"][0]


def answered_article(message: dict) -> int | None:
    """The article id of an answer card (from its 👍 button), or None for a fallback text."""
    if message["type"] != "flex":
        return None
    found = re.search(r"article=(\d+)", str(message["contents"]))
    return int(found.group(1)) if found else None


# --- access ---------------------------------------------------------------------------------


def test_without_a_password_there_are_no_admin_pages(tmp_path):
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'no-admin.db'}", "admin_password": None, "secret_key": "k"})
    client = app.test_client()

    for path in ("/admin", "/admin/", "/admin/sign-in", "/admin/reach", "/admin/kb", "/admin/simulator"):
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/sign-in", data={"password": "anything"}).status_code == 404


def test_pages_need_signing_in_and_a_wrong_password_is_refused(client):
    page = client.get("/admin/reach?fiscal_year=2567")
    assert page.status_code == 302 and "/admin/sign-in" in page.headers["Location"]

    refused = sign_in(client, "not-the-password")

    assert refused.status_code == 401
    assert "รหัสผ่านไม่ถูกต้อง" in refused.get_data(as_text=True)
    assert client.get("/admin/reach").status_code == 302


def test_the_right_password_opens_the_pages_and_signing_out_closes_them(client):
    response = sign_in(client)
    assert response.status_code == 302

    assert client.get("/admin/reach").status_code == 200
    token = csrf_token_of(client, "/admin/reach")
    assert client.post("/admin/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/reach").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(client):
    token = csrf_token_of(client, "/admin/sign-in")
    response = client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD, "next": "/admin/gaps"})
    assert response.headers["Location"].endswith("/admin/gaps")

    client.post("/admin/sign-out", data={"csrf_token": csrf_token_of(client, "/admin/gaps")})
    token = csrf_token_of(client, "/admin/sign-in")
    response = client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD, "next": "//evil.example/admin"})
    assert "evil.example" not in response.headers["Location"]


def test_sign_in_is_limited_to_five_failures_per_address_in_five_minutes(client):
    for _ in range(5):
        assert sign_in(client, "wrong").status_code == 401

    blocked = sign_in(client)
    assert blocked.status_code == 429
    assert "หลายครั้งเกินไป" in blocked.get_data(as_text=True)
    # Another address is not held back by someone else's guesses.
    other_browser = client.application.test_client()
    assert sign_in(other_browser, environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 302

    with time_machine.travel(now() + timedelta(minutes=5, seconds=1), tick=False):
        assert sign_in(client).status_code == 302


def test_forms_without_a_csrf_token_are_refused(client, signed_in, database):
    assert client.post("/admin/sign-in", data={"password": ADMIN_PASSWORD}).status_code == 400

    refused = client.post("/admin/kb/new", data={"title": "ชื่อ", "body": "เนื้อหา", "status": "published"})

    assert refused.status_code == 400
    assert "แบบฟอร์มนี้หมดอายุ" in refused.get_data(as_text=True)
    assert client.post("/admin/kb/new", data={"csrf_token": "forged", "title": "ชื่อ", "body": "เนื้อหา"}).status_code == 400
    assert client.post("/admin/people/users/1/role", data={"role": "secretary"}).status_code == 400
    with database.session() as session:
        assert session.scalars(select(Article)).all() == []


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(client):
    plain = sign_in(client)
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie

    secure_client = client.application.test_client()
    token = csrf_token_of(secure_client, "https://localhost/admin/sign-in")
    secure = secure_client.post("https://localhost/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD},
                                headers={"Referer": "https://localhost/admin/sign-in"})
    assert secure.status_code == 302
    assert "Secure" in secure.headers["Set-Cookie"]


def test_admin_pages_are_never_cached_or_framed(signed_in):
    page = signed_in.get("/admin/kb")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_workers_sharing_a_password_and_channel_secret_share_sessions():
    base = Config(admin_password="pw", line_channel_secret="secret")
    assert session_secret_key(base) == session_secret_key(Config(admin_password="pw", line_channel_secret="secret"))
    assert session_secret_key(base) != session_secret_key(Config(admin_password="other", line_channel_secret="secret"))
    # Never from the password alone (a signed cookie would allow guessing it offline): random instead.
    assert session_secret_key(Config(admin_password="pw")) != session_secret_key(Config(admin_password="pw"))
    assert session_secret_key(Config(secret_key="given", admin_password="pw")) == "given"


# --- the knowledge store ------------------------------------------------------------------


MEETING_ROOM_BODY = (
    "## ขั้นตอนการจองห้องประชุมชั้น 3\n\n"
    "1. กรอกแบบฟอร์มขอใช้ห้องประชุมในระบบสารบรรณอิเล็กทรอนิกส์ล่วงหน้าอย่างน้อย 3 วันทำการ\n"
    "2. ระบุจำนวนผู้เข้าประชุม และอุปกรณ์ที่ต้องใช้ เช่น เครื่องฉายภาพ ไมโครโฟน\n"
    "3. ฝ่ายอาคารสถานที่จะยืนยันการจองห้องประชุมทางโทรศัพท์ภายใน 1 วันทำการ\n"
)
MEETING_ROOM_QUESTION = "จองห้องประชุมชั้น 3 ต้องทำอย่างไร"


def test_an_article_written_as_a_draft_is_used_for_answers_only_once_published(signed_in, database, starter_pack, webhook, line_events, line_stub):
    preview = post_form(signed_in, "/admin/kb/new", "/admin/kb/new", {
        "title": "การจองห้องประชุมชั้น 3", "body": MEETING_ROOM_BODY, "status": "draft", "action": "preview",
        "questions": MEETING_ROOM_QUESTION, "tags": "ห้องประชุม, จองห้อง",
    })
    assert preview.status_code == 200
    assert "<li>กรอกแบบฟอร์มขอใช้ห้องประชุม" in preview.get_data(as_text=True)
    with database.session() as session:
        assert session.scalar(select(Article).where(Article.title == "การจองห้องประชุมชั้น 3")) is None

    saved = post_form(signed_in, "/admin/kb/new", "/admin/kb/new", {
        "title": "การจองห้องประชุมชั้น 3", "category": "งานอาคารสถานที่", "body": MEETING_ROOM_BODY,
        "status": "draft", "action": "save", "questions": MEETING_ROOM_QUESTION, "tags": "ห้องประชุม, จองห้อง",
    })
    assert saved.status_code == 302
    with database.session() as session:
        article = session.scalars(select(Article).where(Article.title == "การจองห้องประชุมชั้น 3")).one()
        article_id = article.id
        assert article.status == "draft" and article.source.startswith("editor:")
        assert article.tags == ["ห้องประชุม", "จองห้อง"] and article.sample_questions == [MEETING_ROOM_QUESTION]
    assert answered_article(ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)) != article_id

    published = post_form(signed_in, "/admin/kb", f"/admin/kb/{article_id}/status", {"status": "published"})
    assert published.status_code == 302

    assert answered_article(ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)) == article_id
    listing = signed_in.get("/admin/kb").get_data(as_text=True)
    assert "การจองห้องประชุมชั้น 3" in listing and "เผยแพร่แล้ว" in listing


def test_editing_an_article_keeps_it_one_article_and_changes_the_answer(signed_in, database, starter_pack, webhook, line_events, line_stub):
    post_form(signed_in, "/admin/kb/new", "/admin/kb/new", {
        "title": "การจองห้องประชุมชั้น 3", "body": MEETING_ROOM_BODY, "status": "published", "action": "save",
        "questions": MEETING_ROOM_QUESTION,
    })
    with database.session() as session:
        article_id = session.scalars(select(Article.id).where(Article.title == "การจองห้องประชุมชั้น 3")).one()
        count_before = len(session.scalars(select(Article.id)).all())

    editor = signed_in.get(f"/admin/kb/{article_id}/edit").get_data(as_text=True)
    assert "การจองห้องประชุมชั้น 3" in editor and "กรอกแบบฟอร์มขอใช้ห้องประชุม" in editor
    new_body = MEETING_ROOM_BODY.replace("อย่างน้อย 3 วันทำการ", "อย่างน้อย 5 วันทำการ")
    saved = post_form(signed_in, f"/admin/kb/{article_id}/edit", f"/admin/kb/{article_id}/edit", {
        "title": "การจองห้องประชุมชั้น 3", "body": new_body, "status": "published", "action": "save",
        "questions": MEETING_ROOM_QUESTION,
    })

    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/admin/kb/{article_id}/edit")
    with database.session() as session:
        assert len(session.scalars(select(Article.id)).all()) == count_before
        assert "5 วันทำการ" in session.get(Article, article_id).body
    reply = ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)
    assert answered_article(reply) == article_id and "5 วันทำการ" in str(reply["contents"])


def test_an_article_without_a_title_is_sent_back_with_a_reason(signed_in, database):
    response = post_form(signed_in, "/admin/kb/new", "/admin/kb/new", {"title": " ", "body": "เนื้อหา", "action": "save"})

    assert response.status_code == 422
    assert "กรุณาใส่ชื่อบทความ" in response.get_data(as_text=True)


def test_deleting_an_article(signed_in, database, starter_pack):
    with database.session() as session:
        article_id = session.scalars(select(Article.id)).first()

    response = post_form(signed_in, f"/admin/kb/{article_id}/edit", f"/admin/kb/{article_id}/delete", {})

    assert response.status_code == 302
    with database.session() as session:
        assert session.get(Article, article_id) is None
    assert signed_in.get(f"/admin/kb/{article_id}/edit").status_code == 404


# --- gaps and tips ------------------------------------------------------------------------


def test_a_gap_opens_the_editor_with_the_question_and_writing_the_article_closes_it(signed_in, database, starter_pack, webhook, line_events, line_stub):
    assert answered_article(ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)) is None
    page = signed_in.get("/admin/gaps").get_data(as_text=True)
    assert MEETING_ROOM_QUESTION in page
    with database.session() as session:
        gap_id = session.scalars(select(KnowledgeGap.id)).one()
    assert f"/admin/kb/new?gap={gap_id}" in page

    editor = signed_in.get(f"/admin/kb/new?gap={gap_id}").get_data(as_text=True)
    assert f'value="{MEETING_ROOM_QUESTION}"' in editor and f'name="gap_id" value="{gap_id}"' in editor
    post_form(signed_in, f"/admin/kb/new?gap={gap_id}", "/admin/kb/new", {
        "title": MEETING_ROOM_QUESTION, "questions": MEETING_ROOM_QUESTION, "body": MEETING_ROOM_BODY,
        "status": "published", "action": "save", "gap_id": str(gap_id),
    })

    with database.session() as session:
        assert session.get(KnowledgeGap, gap_id).resolved_article_id is not None
    assert MEETING_ROOM_QUESTION not in signed_in.get("/admin/gaps").get_data(as_text=True)
    assert answered_article(ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)) is not None


def test_a_shared_tip_is_thanked_kept_for_review_and_approved_into_an_answer(signed_in, database, starter_pack, webhook, line_events, line_stub):
    tip_text = (
        "เคล็ดลับการจองห้องประชุมชั้น 3: กรอกแบบฟอร์มขอใช้ห้องประชุมในระบบสารบรรณล่วงหน้าอย่างน้อย 3 วันทำการ "
        "และแจ้งจำนวนผู้เข้าประชุมกับอุปกรณ์ที่ต้องใช้ ฝ่ายอาคารสถานที่จะโทรยืนยันภายใน 1 วัน"
    )
    webhook.send(line_events.text(f"/share {tip_text}", line_events.user(STAFF)))
    thanks = line_stub.replies[-1].body["messages"][0]["text"]
    assert "ขอบคุณ" in thanks and "คณะทำงาน KM" in thanks
    with database.session() as session:
        tip = session.scalars(select(SharedTip)).one()
        tip_id = tip.id
        assert tip.status == "pending" and tip.text == tip_text and tip.user_id is not None

    queue = signed_in.get("/admin/tips").get_data(as_text=True)
    assert tip_text in queue and STAFF not in queue
    editor = signed_in.get(f"/admin/kb/new?tip={tip_id}").get_data(as_text=True)
    assert "เคล็ดลับการจองห้องประชุมชั้น 3" in editor and f'name="tip_id" value="{tip_id}"' in editor
    post_form(signed_in, f"/admin/kb/new?tip={tip_id}", "/admin/kb/new", {
        "title": "การจองห้องประชุมชั้น 3", "questions": MEETING_ROOM_QUESTION, "body": tip_text,
        "status": "published", "action": "save", "tip_id": str(tip_id),
    })

    with database.session() as session:
        tip = session.get(SharedTip, tip_id)
        assert tip.status == "approved" and tip.article_id is not None and tip.reviewed_at is not None
        article_id = tip.article_id
    assert answered_article(ask(webhook, line_events, line_stub, MEETING_ROOM_QUESTION)) == article_id
    assert "อนุมัติแล้ว" in signed_in.get("/admin/tips").get_data(as_text=True)


def test_a_tip_can_be_rejected(signed_in, database):
    with database.session() as session:
        session.add(SharedTip(text="ข้อความที่ไม่เกี่ยวกับงาน", status="pending", created_at=now()))
    with database.session() as session:
        tip_id = session.scalars(select(SharedTip.id)).one()

    post_form(signed_in, "/admin/tips", f"/admin/tips/{tip_id}/reject", {})

    with database.session() as session:
        assert session.get(SharedTip, tip_id).status == "rejected"


def test_share_without_text_explains_how(webhook, line_events, line_stub, database):
    webhook.send(line_events.text("/แบ่งปัน", line_events.user(STAFF)))

    assert "พิมพ์ /share ตามด้วย" in line_stub.replies[-1].body["messages"][0]["text"]
    with database.session() as session:
        assert session.scalars(select(SharedTip)).all() == []


# --- people, roles, plan, reach -------------------------------------------------------------


def test_roles_of_people_and_groups_are_changed_with_forms(signed_in, database, webhook, line_events):
    webhook.send(line_events.text("สวัสดี", line_events.user(STAFF)))
    webhook.send(line_events.join(line_events.group("C9999999999999999999999999999dddd", user_id=None)))
    with database.session() as session:
        user_id = session.scalars(select(User.id).where(User.line_user_id == STAFF)).one()
        group_id = session.scalars(select(ChatGroup.id)).one()
    page = signed_in.get("/admin/people").get_data(as_text=True)
    assert f"ผู้ใช้หมายเลข {user_id}" in page and STAFF not in page

    assert post_form(signed_in, "/admin/people", f"/admin/people/users/{user_id}/role", {"role": "secretary"}).status_code == 302
    assert post_form(signed_in, "/admin/people", f"/admin/people/groups/{group_id}/role", {"role": "committee"}).status_code == 302
    assert post_form(signed_in, "/admin/people", f"/admin/people/users/{user_id}/role", {"role": "king"}).status_code == 400
    assert post_form(signed_in, "/admin/people", f"/admin/people/groups/{group_id}/role", {"role": "secretary"}).status_code == 400

    with database.session() as session:
        assert session.get(User, user_id).role == "secretary"
        assert session.get(ChatGroup, group_id).role == "committee"


def test_the_plan_page_shows_dates_in_thai_status_reminders_and_evidence(signed_in, database):
    with database.session() as session:
        plan = Plan(fiscal_year=2567, number=1, knowledge_topic="การจัดทำงบประมาณรายจ่ายประจำปี")
        done = Activity(step="KMP1", number=1, name="บ่งชี้ความรู้", start=date(2024, 1, 1), deadline=date(2024, 1, 31),
                        status="done", done_at=now(), evidence_note="รายงานการประชุมครั้งที่ 1/2567", position=0)
        pending = Activity(step="KMP5", number=5, name="การเข้าถึงความรู้", deadline=date(2024, 6, 30), position=1)
        plan.activities = [done, pending]
        session.add(plan)
        session.flush()
        session.add(Delivery(purpose="reminder", delivery_key=f"{done.id}:before_7d:0", recipient="C1", activity_id=done.id, reminder_kind="before_7d",
                                     planned_at=now(), state="sent", sent_at=now(), attempts=1))

    page = signed_in.get("/admin/plan?fiscal_year=2567").get_data(as_text=True)

    assert "การจัดทำงบประมาณรายจ่ายประจำปี" in page
    assert "1 ม.ค. 2567 – 31 ม.ค. 2567" in page and "30 มิ.ย. 2567" in page
    assert "เสร็จแล้ว" in page and "รายงานการประชุมครั้งที่ 1/2567" in page
    assert "1 ครั้ง" in page and "ยังไม่ได้แจ้งเตือน" in page


def test_the_reach_dashboard_counts_and_downloads(signed_in, database, starter_pack, webhook, line_events, line_stub):
    import openpyxl

    reply = ask(webhook, line_events, line_stub, "KM คืออะไร")
    article_id = answered_article(reply)
    webhook.send(line_events.postback(f"action=feedback&article={article_id}&helpful=1", line_events.user(STAFF)))
    from bot.core.calendar import fiscal_year_of, today

    fiscal_year = fiscal_year_of(today())
    page = signed_in.get(f"/admin/reach?fiscal_year={fiscal_year}").get_data(as_text=True)
    assert re.search(r'data-figure="feedback_helpful">\s*<p class="stat-value">1</p>', page)
    assert re.search(r'data-figure="questions">\s*<p class="stat-value">1</p>', page)
    assert "<svg" in page and "ตัวชี้วัดเทียบค่าเป้าหมาย" in page

    workbook_file = signed_in.get(f"/admin/reach/export/xlsx?fiscal_year={fiscal_year}")
    assert workbook_file.status_code == 200
    assert f"kmbot-reach-{fiscal_year}.xlsx" in workbook_file.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_file.data))
    assert "รายเดือน" in workbook.sheetnames
    csv_file = signed_in.get(f"/admin/reach/export/csv?fiscal_year={fiscal_year}")
    assert csv_file.data.startswith(b"\xef\xbb\xbf") and csv_file.mimetype == "text/csv"
    assert signed_in.get(f"/admin/reach/export/json?fiscal_year={fiscal_year}").get_json()["fiscal_year"] == fiscal_year
    assert signed_in.get("/admin/reach/export/exe").status_code == 404
    with database.session() as session:
        assert session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "feedback")).one().value == 1


def _proxied_app(tmp_path, trusted_proxies: int):  # type: ignore[no-untyped-def]
    app = create_app({"database_url": f"sqlite:///{tmp_path / f'proxy-{trusted_proxies}.db'}", "admin_password": ADMIN_PASSWORD,
                      "secret_key": "k", "trusted_proxies": trusted_proxies})
    app.config["TESTING"] = True
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    upgrade_database(get_database(app))  # sessions and the sign-in throttle live in the database
    return app


def test_forwarded_headers_count_only_when_a_proxy_is_trusted(tmp_path):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}

    untrusted = _proxied_app(tmp_path, 0).test_client()
    token = csrf_token_of(untrusted, "/admin/sign-in")
    response = untrusted.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD}, headers=forwarded)
    assert "Secure" not in response.headers["Set-Cookie"]

    behind_proxy = _proxied_app(tmp_path, 1)
    client = behind_proxy.test_client()
    token = csrf_token_of(client, "/admin/sign-in")
    response = client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD},
                           headers={**forwarded, "Referer": "https://localhost/admin/sign-in"})
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]
    # Failures are counted per forwarded client address, not per proxy.
    guesser = behind_proxy.test_client()
    for _ in range(5):
        token = csrf_token_of(guesser, "/admin/sign-in")
        guesser.post("/admin/sign-in", data={"csrf_token": token, "password": "wrong"}, headers={"X-Forwarded-For": "203.0.113.5"})
    token = csrf_token_of(guesser, "/admin/sign-in")
    assert guesser.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD},
                        headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    neighbour = behind_proxy.test_client()
    token = csrf_token_of(neighbour, "/admin/sign-in")
    assert neighbour.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD},
                          headers={"X-Forwarded-For": "203.0.113.6"}).status_code == 302


def test_the_trusted_proxy_count_is_read_from_the_environment():
    assert Config.from_environment({"KMBOT_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    assert Config.from_environment({}).trusted_proxies == 0


def test_the_dashboard_lists_pushes_that_have_not_reached_line_with_the_reason(signed_in, database, add_group):
    from datetime import timedelta

    from bot.core.calendar import now
    from bot.core.tables import ChatGroup
    from scheduler.tables import Delivery

    group_id = add_group("C00000000000000000000000000000km1", role="committee")
    with database.session() as session:
        session.get(ChatGroup, group_id).name = "คณะทำงาน KM อบจ."
        moment = now()
        for key, state in (("a1:due:0", "held"), ("knowledge:2026-W48", "refused"), ("a2:due:0", "sent"), ("a3:due:0", "held")):
            session.add(Delivery(purpose="knowledge" if key.startswith("knowledge") else "reminder", delivery_key=key,
                                 recipient="C00000000000000000000000000000km1", group_id=group_id, state=state,
                                 claimed_at=moment - (timedelta(days=40) if key == "a3:due:0" else timedelta(hours=1))))

    page = signed_in.get("/admin/reach").get_data(as_text=True)

    assert "ข้อความที่ยังส่งไม่ถึง LINE (2)" in page  # the sent one and the one from last month are not listed
    assert "แจ้งเตือนกิจกรรมตามแผน</strong> ถึง คณะทำงาน KM อบจ." in page and "รอโควตาข้อความของเดือนถัดไป" in page
    assert "ความรู้ประจำสัปดาห์</strong>" in page and "LINE ไม่รับข้อความนี้" in page
