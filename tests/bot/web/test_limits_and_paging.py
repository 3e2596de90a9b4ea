"""Per-person limits on commands and /share, and paging on the admin lists (issue 16, finding 7)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot import create_app
from kb.tables import SharedTip

FLOODER = "U7777777777777777777777777777eeee"
NEIGHBOUR = "U8888888888888888888888888888dddd"
PASSWORD = "รหัส-ทดสอบ-2567"


def test_one_person_cannot_store_a_thousand_tips(webhook, line_events, line_stub, database) -> None:
    flooder = line_events.user(FLOODER)
    tip = "/share " + "ก" * 4000
    for start in range(0, 60, 20):
        webhook.send(*[line_events.text(tip, flooder) for _ in range(20)])
    with database.session() as session:
        stored = session.scalar(select(func.count()).select_from(SharedTip))
    assert stored == 10
    # Someone else still shares.
    webhook.send(line_events.text("/share แนบบันทึกเหตุผลทุกครั้งจะเร็วขึ้น", line_events.user(NEIGHBOUR), reply_token="n"))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SharedTip)) == 11


def test_a_flood_of_commands_gets_one_polite_refusal_then_silence(webhook, line_events, line_stub, database) -> None:
    flooder = line_events.user(FLOODER)
    webhook.send(*[line_events.text("/help", flooder) for _ in range(50)])
    texts = [call.body["messages"][0].get("text", "") for call in line_stub.replies]
    refusals = [text for text in texts if "ถี่เกินไป" in text]
    assert len(refusals) == 1
    assert len(line_stub.replies) <= 31
    line_stub.calls.clear()
    webhook.send(line_events.text("/help", line_events.user(NEIGHBOUR)))
    assert len(line_stub.replies) == 1 and "ถี่เกินไป" not in str(line_stub.replies[0].body)


@pytest.fixture
def admin_client(app_config):  # type: ignore[no-untyped-def]
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    application = create_app({**app_config, "admin_password": PASSWORD})
    application.config["TESTING"] = True
    upgrade_database(get_database(application))
    client = application.test_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/admin/sign-in", data={"csrf_token": token, "password": PASSWORD}).status_code == 302
    yield client, get_database(application)
    get_database(application).dispose()


def test_the_tips_page_is_paged(admin_client, at) -> None:
    client, database = admin_client
    with database.session() as session:
        session.add_all(SharedTip(text=f"เกร็ดที่ {n} " + "ข" * 4000, status="pending", created_at=at(2024, 5, 1)) for n in range(300))
    first = client.get("/admin/tips")
    assert first.status_code == 200
    assert len(first.data) < 600_000  # was 5.7 MB for 1,200 tips
    assert first.get_data(as_text=True).count("data-tip-id") == 25
    last = client.get("/admin/tips?page=12")
    assert last.get_data(as_text=True).count("data-tip-id") == 25
    for junk in ("0", "-1", "99999999999999999999", "abc", "๒"):
        assert client.get(f"/admin/tips?page={junk}").status_code == 200


def test_the_people_page_is_paged(admin_client, at) -> None:
    from bot.core.tables import User

    client, database = admin_client
    with database.session() as session:
        session.add_all(User(line_user_id=f"U{n:032d}", first_seen_at=at(2024, 5, 1), last_seen_at=at(2024, 5, 1)) for n in range(250))
    page = client.get("/admin/people")
    assert page.status_code == 200 and "หน้า 1 จาก 3" in page.get_data(as_text=True)
    assert client.get("/admin/people?page=3").status_code == 200
