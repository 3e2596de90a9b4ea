"""People and groups by name on the secretary's page: names from LINE's profile and group
summary endpoints, asked outside any transaction, refreshed when stale, erased by `users forget`;
the committee group chosen from a list of names, and invite codes made on the web."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from bot.core.calendar import BANGKOK
from bot.core.line_client import LineClient
from bot.core.people import ensure_group, ensure_user
from bot.core.tables import ChatGroup, User
from tests.bot.web.admin_pages import ADMIN_PASSWORD, csrf_token_of, sign_in

FRIEND = "U5555555555555555555555555555aaaa"
GROUP_ONLY = "U6666666666666666666666666666bbbb"
STAFF_GROUP = "C7777777777777777777777777777cccc"
COMMITTEE_GROUP = "C8888888888888888888888888888dddd"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def token_of(client, path: str = "/admin/people") -> str:  # type: ignore[no-untyped-def]
    return csrf_token_of(client, path)



@pytest.fixture
def people(database, line_stub, webhook, line_events):  # type: ignore[no-untyped-def]
    """A friend of the bot, a member who only wrote in a group, and two groups LINE knows by name."""
    line_stub.profiles[FRIEND] = "สมศรี ใจดี"
    line_stub.group_member_names[STAFF_GROUP] = {GROUP_ONLY: "สมชาย รักงาน"}
    line_stub.group_names.update({STAFF_GROUP: "บุคลากรกองยุทธศาสตร์", COMMITTEE_GROUP: "คณะทำงาน KM อบจ."})
    with database.session() as session:
        ensure_group(session, STAFF_GROUP, "group", datetime(2024, 1, 5, tzinfo=BANGKOK))
        ensure_group(session, COMMITTEE_GROUP, "group", datetime(2024, 1, 5, tzinfo=BANGKOK))
        ensure_user(session, FRIEND, datetime(2024, 1, 5, tzinfo=BANGKOK))
    webhook.send(line_events.text("? ลาพักร้อนได้กี่วัน", line_events.group(STAFF_GROUP, GROUP_ONLY)))


def test_names_come_from_line_and_are_shown_to_the_secretary(client, people, line_stub):
    page = sign_in(client).get("/admin/people").get_data(as_text=True)

    assert "สมศรี ใจดี" in page and "สมชาย รักงาน" in page  # profile, then group member profile
    assert "บุคลากรกองยุทธศาสตร์" in page and "คณะทำงาน KM อบจ." in page
    assert "ไม่ทราบชื่อกลุ่ม" not in page
    assert line_stub.calls_to(f"/v2/bot/profile/{FRIEND}")
    assert line_stub.calls_to(f"/v2/bot/group/{STAFF_GROUP}/member/{GROUP_ONLY}")


def test_line_is_never_asked_inside_a_transaction(app, client, people, database, monkeypatch):
    open_units: list[int] = []
    original = LineClient.display_name

    def watched(self, *arguments, **options):  # type: ignore[no-untyped-def]
        open_units.append(database.open_units_of_work)
        return original(self, *arguments, **options)

    monkeypatch.setattr(LineClient, "display_name", watched)
    sign_in(client).get("/admin/people")
    assert open_units and set(open_units) == {0}


def test_a_name_is_asked_again_only_when_a_day_old(client, people, line_stub):
    sign_in(client).get("/admin/people")
    asked = len(line_stub.calls_to(f"/v2/bot/profile/{FRIEND}"))
    line_stub.profiles[FRIEND] = "สมศรี ใจดี (กองคลัง)"

    client.get("/admin/people")
    assert len(line_stub.calls_to(f"/v2/bot/profile/{FRIEND}")) == asked  # fresh: no new call

    with time_machine.travel(datetime.now(BANGKOK) + timedelta(days=1, minutes=1), tick=False):
        page = sign_in(client).get("/admin/people").get_data(as_text=True)
    assert "สมศรี ใจดี (กองคลัง)" in page


def test_users_forget_erases_the_display_name(app, client, people, database):
    sign_in(client).get("/admin/people")
    result = app.test_cli_runner().invoke(args=["users", "forget", FRIEND])
    assert result.exit_code == 0, result.output
    with database.session() as session:
        assert not session.scalars(select(User).where(User.display_name == "สมศรี ใจดี")).all()
    assert "สมศรี ใจดี" not in client.get("/admin/people").get_data(as_text=True)


def test_the_committee_group_is_chosen_by_name(client, people, database):
    page = sign_in(client).get("/admin/people").get_data(as_text=True)
    choices = dict((name.strip(), int(value)) for value, name in
                   re.findall(r'name="group" value="(\d+)"[^>]*> ([^<]+)</label>', page))
    assert set(choices) == {"บุคลากรกองยุทธศาสตร์", "คณะทำงาน KM อบจ."}

    response = client.post("/admin/people/committee", data={"csrf_token": token_of(client), "group": str(choices["คณะทำงาน KM อบจ."])},
                           follow_redirects=True)

    assert "กลุ่มกรรมการ KM: “คณะทำงาน KM อบจ.”" in response.get_data(as_text=True)
    with database.session() as session:
        roles = {group.line_group_id: group.role for group in session.scalars(select(ChatGroup))}
    assert roles == {STAFF_GROUP: "staff", COMMITTEE_GROUP: "committee"}


def test_an_invite_code_made_on_the_web_gives_its_sender_the_role(client, people, webhook, line_events, database):
    page = sign_in(client).post("/admin/people/invite", data={"csrf_token": token_of(client), "role": "committee"})
    code = re.search(r"<code>(KM-[A-Z0-9]{4}-[A-Z0-9]{4})</code>", page.get_data(as_text=True)).group(1)

    webhook.send(line_events.text(code, line_events.user(FRIEND)))

    with database.session() as session:
        assert session.scalars(select(User.role).where(User.line_user_id == FRIEND)).one() == "committee"
    refused = client.post("/admin/people/invite", data={"csrf_token": token_of(client), "role": "admin"})
    assert refused.status_code == 400


def test_group_names_are_asked_again_only_when_a_day_old(client, people, line_stub):
    sign_in(client).get("/admin/people")
    asked = len(line_stub.calls_to(f"/v2/bot/group/{STAFF_GROUP}/summary"))
    line_stub.group_names[STAFF_GROUP] = "บุคลากรกองยุทธศาสตร์ (ใหม่)"

    client.get("/admin/people")
    assert len(line_stub.calls_to(f"/v2/bot/group/{STAFF_GROUP}/summary")) == asked

    with time_machine.travel(datetime.now(BANGKOK) + timedelta(days=1, minutes=1), tick=False):
        page = sign_in(client).get("/admin/people").get_data(as_text=True)
    assert "บุคลากรกองยุทธศาสตร์ (ใหม่)" in page
