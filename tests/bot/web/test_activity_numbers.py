"""One activity number everywhere: the number the admin page, `/plan`, the reminder card and
`kmbot plan list` show is the number `/done N` marks, for every activity of the sample plan."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.core.calendar import BANGKOK
from bot.core.people import ensure_group, ensure_user
from kb.plan_document import read_plan_file
from kb.plan_store import activity_number, save_plan_reading
from kb.tables import Activity
from scheduler.reminder_card import reminder_messages

ADMIN_PASSWORD = "รหัส-ทดสอบ-2567"
COMMITTEE_MEMBER = "U2222222222222222222222222222cccc"
COMMITTEE_GROUP = "C4444444444444444444444444444eeee"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


@pytest.fixture
def plan(database, at, sample_plan_path) -> dict[int, tuple[int, str]]:  # type: ignore[no-untyped-def]
    """The sample plan imported; {activity id: (plan number, step)}."""
    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        ensure_user(session, COMMITTEE_MEMBER, datetime(2023, 10, 1, 9, tzinfo=BANGKOK)).role = "committee"
        ensure_group(session, COMMITTEE_GROUP, "group", at(2023, 10, 1)).role = "committee"
        return {activity.id: (activity.plan.number, activity.step) for activity in session.scalars(select(Activity))}


def done_by_typing(webhook, line_events, database, number: int) -> set[int]:  # type: ignore[no-untyped-def]
    """Type `/done N` in the committee group; the ids of the activities now done."""
    assert webhook.send(line_events.text(f"/done {number}", line_events.group(COMMITTEE_GROUP, COMMITTEE_MEMBER))).status_code == 200
    with database.session() as session:
        return set(session.scalars(select(Activity.id).where(Activity.status == "done")))


def admin_page_numbers(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """{"plan number/step": the number the admin plan page shows for it}."""
    page = client.get("/admin/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/admin/sign-in", data={"csrf_token": token, "password": ADMIN_PASSWORD})
    html = client.get("/admin/plan?fiscal_year=2567").get_data(as_text=True)
    numbers: dict[str, int] = {}
    for section in html.split('<section class="plan">')[1:]:
        plan_number = int(re.search(r"แผนที่ (\d+)", section).group(1))
        for step, number, typed in re.findall(
            r'<span class="step">(\w+) · <span class="activity-number">เลขกิจกรรม (\d+)</span>.*?(?:<code>/done (\d+)</code>|</li>)',
            section, re.S,
        ):
            assert not typed or typed == number, f"the page shows {number} but says to type /done {typed}"
            numbers[f"{plan_number}/{step}"] = int(number)
    return numbers


def test_the_number_on_the_admin_page_is_the_one_done_marks(client, webhook, line_events, database, plan, at):
    with time_machine.travel(at(2024, 5, 20, 10), tick=False):
        shown = admin_page_numbers(client)
        assert len(shown) == len(plan)
        # The issue's case: plan 1's KMP5 was shown as "กิจกรรมที่ 5" while /done 5 marked KMP7.
        kmp5 = shown["1/KMP5"]
        assert done_by_typing(webhook, line_events, database, kmp5) == {kmp5}
        assert plan[kmp5] == (1, "KMP5")
    for key, number in shown.items():
        plan_number, step = key.split("/")
        assert plan[number] == (int(plan_number), step)


def test_the_numbers_plan_lists_are_the_ones_done_marks(client, webhook, line_events, line_stub, database, plan, at):
    with time_machine.travel(at(2024, 5, 20, 10), tick=False):
        webhook.send(line_events.text("/plan", line_events.group(COMMITTEE_GROUP, COMMITTEE_MEMBER)))
        listed = re.findall(r"\[(\d+)\] (\w+) .*? – แผนที่ (\S+)", line_stub.replies[-1].body["messages"][0]["text"])
        assert listed
        number, step, _ = listed[0]
        assert plan[int(number)][1] == step
        assert done_by_typing(webhook, line_events, database, int(number)) == {int(number)}


def test_the_numbers_plan_list_prints_are_the_ones_done_marks(cli, webhook, line_events, database, plan, at):
    printed = re.findall(r"#(\d+)\s+(\w+)", cli("plan", "list").output)
    assert len(printed) == len(plan)
    for number, step in printed:
        assert plan[int(number)][1] == step
    number = int(printed[-1][0])
    with time_machine.travel(at(2024, 5, 20, 10), tick=False):
        assert done_by_typing(webhook, line_events, database, number) == {number}


def test_the_reminder_cards_done_button_marks_its_own_activity(webhook, line_events, database, plan, at):
    with database.session() as session:
        activity = session.scalars(select(Activity).where(Activity.step == "KMP5").order_by(Activity.id)).first()
        card = reminder_messages(activity, "before_7d", activity.deadline)[0].to_dict()
        number = activity_number(activity)
    button = re.search(r"action=done&activity=(\d+)", str(card)).group(1)
    assert int(button) == number
    with time_machine.travel(at(2024, 5, 20, 10), tick=False):
        webhook.send(line_events.postback(f"action=done&activity={button}", line_events.group(COMMITTEE_GROUP, COMMITTEE_MEMBER)))
    with database.session() as session:
        assert set(session.scalars(select(Activity.id).where(Activity.status == "done"))) == {number}
