"""ความรู้ประจำสัปดาห์: once a week to every active staff group, rotating articles, member counts at send time."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.core.calendar import BANGKOK, now
from bot.core.tables import ChatGroup, InteractionEvent
from bot.reach.queries import collect_report
from kb.tables import Article, Passage
from scheduler.knowledge_push import push_weekly_knowledge, retry_key_for, week_key
from scheduler.tables import Delivery

STAFF_GROUP = "C1111111111111111111111111111staff"
SECOND_STAFF_GROUP = "C2222222222222222222222222222staff"
COMMITTEE_GROUP = "C3333333333333333333333333committee"
LEFT_GROUP = "C44444444444444444444444444444left"
BASE_URL = "https://kmbot.example.go.th"


@pytest.fixture
def articles(database) -> list[int]:  # type: ignore[no-untyped-def]
    """Three published articles, plus a draft and a generated plan article that are never pushed."""
    rows = [
        Article(title=f"ความรู้ที่ {number}", body=f"เนื้อหาความรู้ที่ {number}", source=f"test:{number}", content_hash="0" * 64,
                status=status, category=category,
                passages=[Passage(position=0, text=f"ย่อหน้าแรกของความรู้ที่ {number} " * 3)])
        for number, status, category in (
            (1, "published", "ทั่วไป"), (2, "draft", "ทั่วไป"), (3, "published", "แผนการจัดการความรู้"),
            (4, "published", "ทั่วไป"), (5, "published", "ทั่วไป"),
        )
    ]
    with database.session() as session:
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


@pytest.fixture
def groups(add_group, line_stub) -> dict[str, int]:  # type: ignore[no-untyped-def]
    line_stub.member_counts.update({STAFF_GROUP: 25, SECOND_STAFF_GROUP: 8, COMMITTEE_GROUP: 6})
    return {
        STAFF_GROUP: add_group(STAFF_GROUP, role="staff", member_count=20),
        SECOND_STAFF_GROUP: add_group(SECOND_STAFF_GROUP, role="staff"),
        COMMITTEE_GROUP: add_group(COMMITTEE_GROUP, role="committee"),
        LEFT_GROUP: add_group(LEFT_GROUP, role="staff", active=False),
    }


def push(database, line_client, **options):  # type: ignore[no-untyped-def]
    return push_weekly_knowledge(database, line_client, now(), base_url=BASE_URL, **options)


def push_events(database) -> list[InteractionEvent]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return list(session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "knowledge_push").order_by(InteractionEvent.id)))


def test_week_keys_are_iso_weeks_in_bangkok(at):
    assert week_key(at(2024, 3, 4)) == "2024-W10"
    # Sunday 23:30 in Bangkok is still the week before, although it is Sunday afternoon in UTC.
    assert week_key(at(2024, 3, 10, 23, 30)) == "2024-W10"
    assert week_key(at(2024, 3, 11, 0, 0)) == "2024-W11"


def test_each_active_staff_group_gets_one_push_a_week(database, line_stub, line_client, articles, groups, at):
    with time_machine.travel(at(2024, 3, 4), tick=False):
        first = push(database, line_client)
    with time_machine.travel(at(2024, 3, 8, 17, 0), tick=False):
        again = push(database, line_client)

    assert sorted(first.sent) == sorted([STAFF_GROUP, SECOND_STAFF_GROUP])
    assert again.sent == [] and sorted(again.skipped) == sorted([STAFF_GROUP, SECOND_STAFF_GROUP])
    pushes = line_stub.pushes
    assert sorted(call.body["to"] for call in pushes) == sorted([STAFF_GROUP, SECOND_STAFF_GROUP])
    for call in pushes:
        assert call.headers["X-Line-Retry-Key"] == retry_key_for("2024-W10", call.body["to"])
        text = call.body["messages"][0]["text"]
        assert "ความรู้ประจำสัปดาห์" in text and "ความรู้ที่ 1" in text
        assert f"{BASE_URL}/kb/{articles[0]}?from=line" in text

    events = push_events(database)
    assert [(event.group_id, event.recipients, event.article_id, event.channel) for event in events] == [
        (groups[STAFF_GROUP], 25, articles[0], "group"),
        (groups[SECOND_STAFF_GROUP], 8, articles[0], "group"),
    ]
    assert all(event.detail["member_count_source"] == "line" and event.user_id is None for event in events)
    with database.session() as session:
        assert session.get(ChatGroup, groups[STAFF_GROUP]).member_count == 25


def test_articles_rotate_least_recently_pushed_first(database, line_stub, line_client, articles, groups, at):
    chosen = []
    for day in (4, 11, 18, 25):
        with time_machine.travel(at(2024, 3, day), tick=False):
            chosen.append(push(database, line_client).article_id)

    # Published, not plan articles, never pushed first; then the one pushed longest ago.
    assert chosen == [articles[0], articles[3], articles[4], articles[0]]


def test_a_configured_article_is_pushed(database, line_stub, line_client, articles, groups, at):
    with time_machine.travel(at(2024, 3, 4), tick=False):
        report = push(database, line_client, article_id=articles[4])

    assert report.article_id == articles[4]
    assert all("ความรู้ที่ 5" in call.body["messages"][0]["text"] for call in line_stub.pushes)


def test_the_last_known_member_count_is_used_when_line_cannot_say(database, line_stub, line_client, articles, groups, at):
    line_stub.fail_next(f"/v2/bot/group/{STAFF_GROUP}/members/count", 500, times=10)
    line_stub.fail_next(f"/v2/bot/group/{SECOND_STAFF_GROUP}/members/count", 403)

    with time_machine.travel(at(2024, 3, 4), tick=False):
        push(database, line_client)

    by_group = {event.group_id: event for event in push_events(database)}
    assert by_group[groups[STAFF_GROUP]].recipients == 20
    assert by_group[groups[STAFF_GROUP]].detail["member_count_source"] == "last_known"
    assert by_group[groups[SECOND_STAFF_GROUP]].recipients is None
    assert by_group[groups[SECOND_STAFF_GROUP]].detail["member_count_source"] == "unknown"
    with database.session() as session:
        report = collect_report(session, 2567)
    assert (report.totals.pushes, report.totals.push_recipients, report.last_known_member_counts) == (2, 20, 1)


def test_a_failed_push_is_retried_with_the_same_retry_key_and_counted_once(database, line_stub, line_client, articles, groups, at):
    # An outage (every one of the client's four attempts answered 503); a 400 is never retried.
    line_stub.fail_next("/v2/bot/message/push", 503, times=4)

    with time_machine.travel(at(2024, 3, 4), tick=False):
        first = push(database, line_client)
    with time_machine.travel(at(2024, 3, 4, 10, 0), tick=False):
        second = push(database, line_client)

    assert len(first.failed) == 1 and len(first.sent) == 1
    assert second.sent == first.failed
    retried = [call for call in line_stub.pushes if call.body["to"] == first.failed[0]]
    assert len(retried) == 5 and len({call.headers["X-Line-Retry-Key"] for call in retried}) == 1
    assert [call.status for call in retried] == [503, 503, 503, 503, 200]
    assert len(push_events(database)) == 2
    with database.session() as session:
        states = sorted(session.scalars(select(Delivery.state)))
    assert states == ["sent", "sent"]


def test_nothing_to_push_without_a_published_article(database, line_stub, line_client, groups, at):
    with time_machine.travel(at(2024, 3, 4), tick=False):
        report = push(database, line_client)

    assert report.article_id is None and line_stub.pushes == []


def test_the_weekly_slot_is_read_in_english_or_thai_and_refuses_nonsense():
    from scheduler.knowledge_push import WeeklySlot, parse_weekly_slot

    assert parse_weekly_slot("mon 09:30") == WeeklySlot(0, 9, 30)
    assert parse_weekly_slot("ศุกร์ 14:00") == WeeklySlot(4, 14, 0)
    for nonsense in ("monday", "mon 25:00", "someday 09:00", "mon nine"):
        with pytest.raises(ValueError):
            parse_weekly_slot(nonsense)


def test_the_slot_is_reached_from_its_moment_until_the_end_of_the_week():

    from scheduler.knowledge_push import WeeklySlot, weekly_slot_reached

    slot = WeeklySlot(0, 9, 30)
    assert not weekly_slot_reached(datetime(2024, 3, 4, 9, 29, tzinfo=BANGKOK), slot)
    assert weekly_slot_reached(datetime(2024, 3, 4, 9, 30, tzinfo=BANGKOK), slot)
    assert weekly_slot_reached(datetime(2024, 3, 10, 23, 0, tzinfo=BANGKOK), slot)


def test_the_clock_pushes_the_weekly_knowledge_once_at_its_slot(database, line_stub, line_client, articles, groups, at):
    from scheduler.clock import KnowledgePushSettings, ReminderClock
    from scheduler.knowledge_push import WeeklySlot

    reminder_clock = ReminderClock(database, line_client, knowledge_push=KnowledgePushSettings(WeeklySlot(0, 9, 30), base_url=BASE_URL))

    for moment in (at(2024, 3, 4, 9, 29), at(2024, 3, 4, 9, 30), at(2024, 3, 4, 9, 31), at(2024, 3, 6, 9, 0)):
        reminder_clock.tick(moment)
    assert sorted(call.body["to"] for call in line_stub.delivered_pushes) == sorted([STAFF_GROUP, SECOND_STAFF_GROUP])

    reminder_clock.tick(at(2024, 3, 11, 9, 30))
    assert len(line_stub.delivered_pushes) == 4


def test_a_push_line_refuses_is_not_sent_again_that_week(database, line_stub, line_client, articles, groups, at):
    line_stub.fail_next("/v2/bot/message/push", 400)

    with time_machine.travel(at(2024, 3, 4), tick=False):
        first = push(database, line_client)
    with time_machine.travel(at(2024, 3, 4, 10, 0), tick=False):
        second = push(database, line_client)

    assert len(first.failed) == 1 and second.sent == []
    assert [call.status for call in line_stub.pushes if call.body["to"] == first.failed[0]] == [400]
