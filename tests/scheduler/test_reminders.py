"""Sending reminders: the real FY 2567 plan walked day by day, and every way a push can go wrong.

Time is frozen (time-machine) and LINE is the local stub, so each assertion says exactly which
pushes reached LINE and when.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot.core.calendar import now, thai_digits
from bot.core.tables import ChatGroup, InteractionEvent
from kb.plan_store import mark_activity_done
from kb.tables import Activity
from scheduler.clock import ReminderClock
from scheduler.policy import ReminderSettings
from scheduler.reminders import (
    ReminderPolicy,
    digest_retry_key,
    planned_reminders,
    preview_reminders,
    retry_key_for,
    send_due_reminders,
)
from scheduler.tables import Delivery

PUSH_PATH = "/v2/bot/message/push"


def planned_keys(database, policy: ReminderPolicy | None = None) -> dict[str, tuple[int, str, datetime]]:  # type: ignore[no-untyped-def]
    """reminder key -> (activity id, kind, planned moment), for every reminder of the imported plans."""
    with database.session() as session:
        return {
            reminder.key: (activity.id, reminder.kind, reminder.at)
            for activity, reminder in planned_reminders(session, policy or ReminderPolicy())
        }


def pushed_reminder_keys(database, calls, group: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The reminders the pushes carried: the delivery rows recorded under each push's retry key,
    which must be the digest key of exactly that set of reminders."""
    keys: list[str] = []
    for call in calls:
        retry_key = call.headers["X-Line-Retry-Key"]
        with database.session() as session:
            carried = sorted(session.scalars(select(Delivery.delivery_key).where(Delivery.retry_key == retry_key)))
        assert carried and digest_retry_key(carried, group) == retry_key
        keys.extend(carried)
    return keys


def delivery_states(database) -> Counter:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return Counter(session.scalars(select(Delivery.state)))


# --- the month-by-month walk ----------------------------------------------------------------------


def test_fiscal_year_2567_walk_sends_each_reminder_once_on_its_day(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    """Every working day at 09:00 from October 2023 to November 2024, with a committee member
    marking one activity done in March, a clock that dies in May and is restarted, and a day on
    which nothing ran at all."""
    policy = ReminderPolicy()
    planned = planned_keys(database, policy)
    expected_by_day: dict[date, list[str]] = defaultdict(list)
    for key, (_activity, _kind, moment) in planned.items():
        expected_by_day[moment.date()].append(key)
    done_activity = imported_plan[(2, "CMP4")]  # "ก.พ. ๒๕๖๗ เป็นต้นไป": open-ended, reminded from 1 Feb
    done_on = date(2024, 3, 5)
    cancelled = {key for key, (activity, _kind, moment) in planned.items() if activity == done_activity and moment.date() > done_on}
    # Tuesday 21 May: the clock process is dead all day. That day's digest had plan 2 KMP2 a
    # week overdue and, as the week's look-ahead, the week-before reminders of two activities
    # due on Friday 31 May (their own day Friday 24). The overdue reminder is missed; the
    # look-ahead still goes out when the clock is back on Wednesday, before its own day.
    # Tuesday 28 May: the restarted clock was stopped for a deploy and is back the next morning.
    missed_day, late_day = date(2024, 5, 21), date(2024, 5, 28)
    look_ahead = {key for key in expected_by_day[missed_day] if planned[key][1] == "before_7d"}
    expected_missed = set(expected_by_day[missed_day]) - look_ahead
    assert len(look_ahead) == 2 and [planned[key][1] for key in expected_missed] == ["overdue"]
    assert len(expected_by_day[late_day]) == 1

    sent_on: dict[date, list[str]] = {}
    with time_machine.travel(at(2023, 10, 2), tick=False) as traveller:
        clock = ReminderClock(database, line_client, policy, holder="clock-a")
        day = date(2023, 10, 2)
        while day <= date(2024, 11, 29):
            if day == date(2024, 5, 22):
                # Wednesday 10:00: the clock comes back; its catch-up tick finds Tuesday's window
                # closed (09:00 + 24 h) for the overdue reminder and records it missed instead of
                # sending it late, and sends the look-ahead, whose window runs to Friday.
                traveller.move_to(at(2024, 5, 22, 10, 0))
                clock = ReminderClock(database, line_client, policy, holder="clock-b")
                before = len(line_stub.pushes)
                report = clock.start()
                assert report is not None
                assert {item.key for item in report.missed} == expected_missed
                assert {item.key for item in report.sent} == look_ahead
                sent_on[missed_day] = pushed_reminder_keys(database, line_stub.pushes[before:], committee_group)
                # The cards count the days left from Wednesday, the day they go out: nine, not ten.
                assert "อีก ๙ วันถึงกำหนด" in line_stub.pushes[-1].body["messages"][0]["altText"]
            if day == date(2024, 5, 29):
                # Wednesday 08:30, before Tuesday's window closes: the catch-up sends it, late but in time.
                traveller.move_to(at(2024, 5, 29, 8, 30))
                clock = ReminderClock(database, line_client, policy, holder="clock-c")
                before = len(line_stub.pushes)
                report = clock.start()
                assert report is not None
                assert [item.key for item in report.sent] == expected_by_day[late_day]
                sent_on[late_day] = pushed_reminder_keys(database, line_stub.pushes[before:], committee_group)
            if day.weekday() < 5 and day not in (missed_day, late_day, date(2024, 5, 22)):
                traveller.move_to(at(day.year, day.month, day.day))
                before = len(line_stub.pushes)
                assert clock.tick() is not None
                assert len(line_stub.pushes) - before <= 1  # one digest a day at most
                sent_on[day] = pushed_reminder_keys(database, line_stub.pushes[before:], committee_group)
                if day.day <= 3:
                    # A second tick at the same moment (a double-fired job, a manual tick) sends nothing.
                    before = len(line_stub.pushes)
                    report = send_due_reminders(database, line_client, now(), policy)
                    assert report.sent == [] and len(line_stub.pushes) == before
                if day == done_on:
                    with database.session() as session:
                        mark_activity_done(session, session.get(Activity, done_activity), user_id=None, note="รายงานการอบรม", at=now())
            if day == date(2024, 5, 27):
                clock.shutdown()  # a clean stop for a deploy: the lease is given up at once
            day += timedelta(days=1)
        clock.shutdown()

        for day_sent, keys in sent_on.items():
            expected = sorted(set(expected_by_day.get(day_sent, [])) - cancelled - (expected_missed if day_sent == missed_day else set()))
            assert sorted(keys) == expected, f"pushes on {day_sent}"
        all_sent = [key for keys in sent_on.values() for key in keys]
        assert len(all_sent) == len(set(all_sent)) == len(planned) - len(cancelled) - len(expected_missed)
        assert Counter(planned[key][1] for key in all_sent) == {
            # Overdue reminders stop on 30 September 2024 with the fiscal year (96 would run into
            # FY 2568); the open-ended activity done in March is due then, so it has none to cancel.
            "start": 24, "before_7d": 24 - 1, "before_1d": 22 - 1, "due": 24 - 1, "overdue": 28 - 1,
        }
        digest_days = [day_sent for day_sent, keys in sent_on.items() if keys]
        assert len(line_stub.delivered_pushes) == len(digest_days) < len(all_sent) / 2
        assert all(call.body["to"] == committee_group for call in line_stub.pushes)
        # The weekly look-ahead saves pushes: each reminder on its own day would take more days.
        own_days = {moment.date() for _activity, _kind, moment in planned_keys(database, ReminderPolicy(ReminderSettings(weekly_look_ahead=False))).values()}
        assert len({moment.date() for _activity, _kind, moment in planned.values()}) < len(own_days)

        with database.session() as session:
            states = Counter(preview.state for preview in preview_reminders(session, policy, now()))
            events = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "reminder_push")).all()
        assert states == {"sent": len(all_sent), "missed": 1, "cancelled": len(cancelled)}
        assert len(events) == len(digest_days) and {event.recipients for event in events} == {5}
        assert sorted(key for event in events for key in event.detail["reminder_keys"]) == sorted(all_sent)
        assert delivery_states(database) == {"sent": len(all_sent), "missed": 1}


# --- exactly once ---------------------------------------------------------------------------------


def test_two_ticks_at_the_same_moment_send_nothing_twice(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    moment = at(2024, 7, 1)  # the start of KMP5 and KMP6 in both plans
    first = send_due_reminders(database, line_client, moment, ReminderSettings())
    second = send_due_reminders(database, line_client, moment, ReminderSettings())

    assert len(first.sent) == 4 and {item.kind for item in first.sent} == {"start"}
    assert second.sent == [] and second.failed == []
    (push,) = line_stub.pushes  # one digest of the four
    assert push.headers["X-Line-Retry-Key"] == digest_retry_key([item.key for item in first.sent], push.body["to"])
    with database.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.state != "missed")).all()
    assert len(rows) == 4 and {(row.state, row.attempts, row.retry_key) for row in rows} == {("sent", 1, push.headers["X-Line-Retry-Key"])}


def test_every_committee_group_gets_its_own_push_and_other_groups_none(database, line_stub, line_client, imported_plan, add_group, at) -> None:
    add_group("Ccommittee-one", member_count=7)
    add_group("Ccommittee-two")
    add_group("Cstaff-group", role="staff")
    add_group("Cleft-committee", active=False)
    line_stub.member_counts["Ccommittee-one"] = 12

    report = send_due_reminders(database, line_client, at(2024, 4, 30), ReminderPolicy())

    keys = {item.key for item in report.sent}
    assert keys
    assert sorted(call.body["to"] for call in line_stub.pushes) == ["Ccommittee-one", "Ccommittee-two"]
    with database.session() as session:
        recipients = dict(session.execute(
            select(ChatGroup.line_group_id, func.sum(InteractionEvent.recipients))
            .join(ChatGroup, ChatGroup.id == InteractionEvent.group_id).group_by(ChatGroup.line_group_id)
        ).all())
        group = session.scalars(select(ChatGroup).where(ChatGroup.line_group_id == "Ccommittee-one")).one()
        assert group.member_count == 12
    assert recipients == {"Ccommittee-one": 12, "Ccommittee-two": 5}  # one push each


def test_line_answers_500_then_200_and_the_reminder_is_delivered_once_with_one_retry_key(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    line_stub.fail_next(PUSH_PATH, 500)

    # 1 April 2024: KMP2 of both plans starts.
    report = send_due_reminders(database, line_client, at(2024, 4, 1), ReminderPolicy())

    assert sorted(item.activity_id for item in report.sent) == sorted([imported_plan[(1, "KMP2")], imported_plan[(2, "KMP2")]])
    first, retried = line_stub.pushes  # both reminders in one digest, retried once
    assert (first.status, retried.status) == (500, 200)
    assert first.headers["X-Line-Retry-Key"] == retried.headers["X-Line-Retry-Key"] == digest_retry_key(
        [item.key for item in report.sent], committee_group
    )
    assert first.body == retried.body
    assert len(line_stub.delivered_pushes) == 1
    assert delivery_states(database)["sent"] == 2


def test_a_push_failing_every_retry_is_sent_by_a_later_tick_inside_the_grace_window(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    moment = at(2024, 3, 7)  # plan 2 KMP1 is a week overdue, alone that day
    line_stub.fail_next(PUSH_PATH, 503, times=4)  # the client's four attempts, all refused

    first = send_due_reminders(database, line_client, moment, ReminderPolicy())
    assert [item.kind for item in first.failed] == ["overdue"] and first.sent == []
    assert delivery_states(database)["failed"] == 1

    second = send_due_reminders(database, line_client, moment + timedelta(hours=1), ReminderPolicy())

    assert [item.kind for item in second.sent] == ["overdue"]
    assert [call.status for call in line_stub.pushes] == [503, 503, 503, 503, 200]
    assert len({call.headers["X-Line-Retry-Key"] for call in line_stub.pushes}) == 1
    assert len(line_stub.delivered_pushes) == 1
    with database.session() as session:
        row = session.scalars(select(Delivery).where(Delivery.state != "missed")).one()
    assert row.state == "sent" and row.attempts == 2 and row.line_request_id


def test_a_failed_push_whose_window_closed_is_recorded_missed_and_never_sent_late(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    line_stub.fail_next(PUSH_PATH, 500, times=4)
    send_due_reminders(database, line_client, at(2024, 3, 7), ReminderPolicy())
    failed_key = line_stub.pushes[0].headers["X-Line-Retry-Key"]

    report = send_due_reminders(database, line_client, at(2024, 3, 8, 9, 30), ReminderPolicy())

    assert [item.kind for item in report.missed if item.planned_at == at(2024, 3, 7)] == ["overdue"]
    assert [call for call in line_stub.pushes if call.headers["X-Line-Retry-Key"] == failed_key and call.status == 200] == []
    with database.session() as session:
        row = session.scalars(select(Delivery).where(Delivery.planned_at == at(2024, 3, 7))).one()
    assert row.state == "missed" and "500" in (row.error or "")


def test_a_process_killed_mid_push_is_finished_without_a_second_delivery(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    """The row says "sending" and LINE already accepted its retry key: the push got out, the
    process died before writing "sent". The next tick pushes with the same key, LINE answers
    409, and the row is marked sent; nothing reaches the group twice."""
    activity_id = imported_plan[(2, "KMP2")]
    moment = at(2024, 4, 1)
    key = f"a{activity_id}:start:0"
    with database.session() as session:
        session.add(Delivery(
            purpose="reminder", delivery_key=key, recipient=committee_group, activity_id=activity_id, reminder_kind="start",
            planned_at=moment, state="sending", claimed_at=moment, attempts=1,
        ))
    line_stub.accepted_retry_keys.add(retry_key_for(key, committee_group))

    too_soon = send_due_reminders(database, line_client, moment + timedelta(minutes=1), ReminderPolicy())
    assert too_soon.in_progress == 1 and key not in {item.key for item in too_soon.sent}

    report = send_due_reminders(database, line_client, moment + timedelta(minutes=10), ReminderPolicy())

    (finished,) = [item for item in report.sent if item.key == key]
    assert finished.already_delivered is True
    to_this_key = [call for call in line_stub.pushes if call.headers["X-Line-Retry-Key"] == retry_key_for(key, committee_group)]
    assert [call.status for call in to_this_key] == [409]
    with database.session() as session:
        row = session.scalars(select(Delivery).where(Delivery.delivery_key == key)).one()
        events = session.scalars(select(InteractionEvent).where(InteractionEvent.activity_id == activity_id)).all()
    assert row.state == "sent" and row.attempts == 2
    assert len(events) == 1


def test_reminders_due_while_nothing_ran_are_sent_within_grace_and_missed_after(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    # 30 April 09:00: plan 2 KMP2 (April) is due; nothing ran that morning.
    within = send_due_reminders(database, line_client, at(2024, 5, 1, 8, 59), ReminderPolicy())
    assert ("due", at(2024, 4, 30)) in [(item.kind, item.planned_at) for item in within.sent]

    # 7 May 09:00 (a week overdue) looked at 8 May 09:00: the window has just closed.
    late = send_due_reminders(database, line_client, at(2024, 5, 8, 9, 0), ReminderPolicy())
    assert late.sent == []
    assert [item.kind for item in late.missed if item.planned_at == at(2024, 5, 7)] == ["overdue"]
    assert len(line_stub.pushes) == 1

    again = send_due_reminders(database, line_client, at(2024, 5, 8, 9, 0), ReminderPolicy())
    assert again.missed == [] and again.sent == []


def test_a_group_made_committee_later_is_not_charged_with_old_missed_reminders(
    database, line_stub, line_client, imported_plan, add_group, at
) -> None:
    add_group("Cnew-committee", joined_at=at(2024, 6, 1, 12, 0))

    report = send_due_reminders(database, line_client, at(2024, 6, 3), ReminderPolicy())

    assert report.missed == []
    assert all(item.planned_at.date() == date(2024, 6, 3) for item in report.sent)


def test_no_committee_group_means_no_push(database, line_stub, line_client, imported_plan, add_group, at) -> None:
    add_group("Cstaff", role="staff")

    report = send_due_reminders(database, line_client, at(2024, 7, 1), ReminderPolicy())

    assert report.sent == [] and line_stub.pushes == []


def test_the_member_count_falls_back_to_the_last_known_value(database, line_stub, line_client, imported_plan, add_group, at) -> None:
    add_group("Ccommittee", member_count=9)
    line_stub.fail_next("/v2/bot/group/Ccommittee/members/count", 403)

    send_due_reminders(database, line_client, at(2024, 4, 30), ReminderPolicy())

    with database.session() as session:
        recipients = session.scalars(select(InteractionEvent.recipients).order_by(InteractionEvent.id)).all()
    assert recipients[0] == 9


# --- the policy's settings from the office ------------------------------------------------------


def test_a_holiday_moves_the_reminder_to_the_working_day_before(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    """Plan 2 KMP2 ends Tuesday 30 April 2024; with Monday 29 April a holiday, the day-before
    reminder comes on Friday 26 April and says how many days are really left."""
    from bot.core.config import Config

    policy = ReminderPolicy.from_config(Config(reminder_holidays=("2024-04-29",)))
    activity_id = imported_plan[(2, "KMP2")]
    with database.session() as session:
        moments = {reminder.kind: reminder.at for activity, reminder in planned_reminders(session, policy) if activity.id == activity_id}
    assert moments["before_1d"] == at(2024, 4, 26)

    on_friday = send_due_reminders(database, line_client, at(2024, 4, 26), policy)
    on_monday = send_due_reminders(database, line_client, at(2024, 4, 29), policy)

    assert [(item.activity_id, item.kind) for item in on_friday.sent] == [(activity_id, "before_1d")]
    assert [item for item in on_monday.sent if item.activity_id == activity_id] == []
    alt_text = line_stub.pushes[0].body["messages"][0]["altText"]
    assert "อีก ๔ วันถึงกำหนด" in alt_text and "๓๐ เม.ย. ๒๕๖๗" in alt_text


def test_the_hour_and_days_before_come_from_the_configuration() -> None:
    from bot.core.config import Config

    config = Config.from_environment({"KMBOT_HOLIDAYS": "2024-04-29, 2024-05-01", "KMBOT_REMINDER_HOUR": "8",
                                      "KMBOT_REMINDER_DAYS_BEFORE": "3", "KMBOT_REMINDER_GRACE_HOURS": "12",
                                      "KMBOT_PUBLIC_HOLIDAYS": "off"})
    policy = ReminderPolicy.from_config(config)

    assert policy.settings.holidays == {date(2024, 4, 29), date(2024, 5, 1)}
    assert policy.settings.hour == 8 and policy.settings.days_before == (3,)
    assert policy.grace == timedelta(hours=12)


def test_an_unreadable_period_gets_no_reminders(database, imported_plan) -> None:
    unreadable = {imported_plan[(1, "KMP1")], imported_plan[(2, "KMP4")]}  # "จ.ค." and "มี.ย."
    with database.session() as session:
        planned_activities = {activity.id for activity, _ in planned_reminders(session, ReminderPolicy())}
    assert planned_activities and not planned_activities & unreadable


# --- done activities -----------------------------------------------------------------------------


def test_a_done_activity_gets_no_more_reminders_and_the_preview_shows_them_cancelled(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    activity_id = imported_plan[(1, "CMP5")]  # 1 Aug .. 30 Sep 2024
    send_due_reminders(database, line_client, at(2024, 8, 1), ReminderPolicy())
    with database.session() as session:
        mark_activity_done(session, session.get(Activity, activity_id), user_id=None, note=None, at=at(2024, 8, 2, 14, 0))

    report = send_due_reminders(database, line_client, at(2024, 9, 23), ReminderPolicy())

    assert activity_id not in {item.activity_id for item in report.sent}
    with database.session() as session:
        states = [(preview.kind, preview.state) for preview in preview_reminders(session, ReminderPolicy(), at(2024, 9, 23, 12, 0)) if preview.activity_id == activity_id]
    assert states[0] == ("start", "sent")
    assert {state for _kind, state in states[1:]} == {"cancelled"}


def test_the_reminder_card_names_the_activity_deadline_indicator_and_done_button(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    activity_id = imported_plan[(1, "CMP5")]
    send_due_reminders(database, line_client, at(2024, 9, 30), ReminderPolicy())

    (call,) = line_stub.pushes
    message = call.body["messages"][0]
    assert message["type"] == "flex" and len(message["altText"]) <= 400 and message["contents"]["type"] == "carousel"
    (bubble,) = [bubble for bubble in message["contents"]["contents"] if f"activity={activity_id}" in str(bubble)]
    flattened = str(bubble)
    assert "วันนี้ครบกำหนด" in flattened and "CMP5 การวัดผล" in flattened and "๓๐ ก.ย. ๒๕๖๗" in flattened
    assert "รายงานผลการดำเนินงานตามแผนฯ" in flattened  # the indicator
    assert "สำนัก/กองเจ้าภาพ" in flattened  # who is responsible
    assert "แผนที่ ๑" in flattened  # the plan's number and name
    (button,) = [box for box in bubble["footer"]["contents"] if box.get("type") == "button"]
    assert button["action"] == {"type": "postback", "label": "ทำแล้ว", "data": f"action=done&activity={activity_id}", "displayText": "ทำแล้ว: CMP5"}


@pytest.mark.parametrize(
    ("kind", "deadline", "day", "start", "title"),
    [
        ("start", date(2024, 7, 31), date(2024, 7, 1), date(2024, 7, 1), "เริ่มกิจกรรม"),
        ("before_7d", date(2024, 7, 8), date(2024, 7, 1), None, "อีก ๗ วันถึงกำหนด"),
        ("before_1d", date(2024, 7, 2), date(2024, 7, 1), None, "พรุ่งนี้ถึงกำหนด"),
        ("due", date(2024, 7, 1), date(2024, 7, 1), None, "วันนี้ครบกำหนด"),
        ("overdue", date(2024, 7, 1), date(2024, 7, 8), None, "เลยกำหนดแล้ว ๗ วัน"),
        # The week's look-ahead, sent on Monday 29 July for what comes later in the week.
        ("before_7d", date(2024, 8, 7), date(2024, 7, 29), None, "อีก ๙ วันถึงกำหนด"),
        ("start", date(2024, 8, 31), date(2024, 7, 29), date(2024, 8, 1), "อีก ๓ วันเริ่มกิจกรรม"),
        ("start", date(2024, 8, 31), date(2024, 7, 31), date(2024, 8, 1), "พรุ่งนี้เริ่มกิจกรรม"),
    ],
)
def test_reminder_titles_in_thai(kind: str, deadline: date, day: date, start: date | None, title: str) -> None:
    from scheduler.reminder_card import reminder_title

    assert reminder_title(kind, deadline, day, start) == title


def test_the_weeks_look_ahead_card_says_when_the_activity_starts(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    """Monday 29 July 2024 (no holidays set): three activities start on Thursday 1 August; the
    committee hears of them in the week's look-ahead, and the cards say "in 3 days"."""
    report = send_due_reminders(database, line_client, at(2024, 7, 29), ReminderPolicy())

    assert [item.kind for item in report.sent] == ["start"] * 3
    assert all(item.planned_at == at(2024, 7, 29) for item in report.sent)
    (push,) = line_stub.pushes
    headers = [str(bubble["header"]) for bubble in push.body["messages"][0]["contents"]["contents"]]
    assert len(headers) == 3 and all("อีก ๓ วันเริ่มกิจกรรม" in header for header in headers)


# --- what LINE refuses is not sent again ---------------------------------------------------------


def test_a_push_line_refuses_with_400_is_recorded_refused_and_never_retried(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    line_stub.fail_next(PUSH_PATH, 400, body={"message": "The request body has 1 error(s)",
                                              "details": [{"message": "Invalid uri", "property": "messages[0]"}]})
    moment = at(2024, 3, 7)  # plan 2 KMP1 is a week overdue

    first = send_due_reminders(database, line_client, moment, ReminderPolicy())
    later = [send_due_reminders(database, line_client, moment + timedelta(minutes=minutes), ReminderPolicy()) for minutes in (1, 30, 60)]

    assert [item.kind for item in first.failed] == ["overdue"] and "Invalid uri" in (first.failed[0].error or "")
    assert all(report.sent == [] and report.failed == [] for report in later)
    assert [call.status for call in line_stub.pushes] == [400]
    assert delivery_states(database)["refused"] == 1


def test_a_monthly_limit_429_is_held_until_next_month(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    line_stub.fail_next(PUSH_PATH, 429, body={"message": "You have reached your monthly limit."})
    moment = at(2024, 3, 7)

    send_due_reminders(database, line_client, moment, ReminderPolicy())
    send_due_reminders(database, line_client, moment + timedelta(hours=2), ReminderPolicy())

    assert [call.status for call in line_stub.pushes] == [429]
    assert delivery_states(database)["held"] == 1


def test_the_quota_guard_holds_a_push_that_would_exceed_the_allowance(
    database, line_stub, line_client, imported_plan, add_group, at
) -> None:
    add_group("Cbig-committee", member_count=12)
    line_stub.quota = {"type": "limited", "value": 200}
    line_stub.quota_used = 195

    report = send_due_reminders(database, line_client, at(2024, 3, 7), ReminderPolicy())

    assert line_stub.pushes == []
    assert "quota would be exceeded: 195 of 200 used" in (report.failed[0].error or "")
    assert delivery_states(database)["held"] == 1


# --- the daily digest ------------------------------------------------------------------------------


def test_more_reminders_than_a_carousel_holds_go_out_in_one_push_with_a_summary_bubble(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    """Monday 23 September 2024: the week before the fiscal year ends, most activities are due."""
    report = send_due_reminders(database, line_client, at(2024, 9, 23), ReminderPolicy())

    assert len(report.sent) > 12
    (push,) = line_stub.pushes
    (message,) = push.body["messages"]
    bubbles = message["contents"]["contents"]
    assert message["contents"]["type"] == "carousel" and len(bubbles) <= 12
    *cards, summary = bubbles
    rest = len(report.sent) - len(cards)
    assert f"อีก {thai_digits(rest)} รายการวันนี้" in str(summary["header"])
    assert str(summary["body"]).count("• ") == rest
    # Every reminder is in the push: a card with its done button, or a line of the summary.
    named = {item.activity_id for item in report.sent if f"activity={item.activity_id}\'" in str(cards)}
    assert len(named) == len(cards)
    # In deadline order, each with its plan.
    with database.session() as session:
        deadlines = [session.get(Activity, int(str(card["footer"]).split("activity=")[1].split("'")[0])).deadline for card in cards]
    assert deadlines == sorted(deadlines)
    assert all("แผนที่" in str(card["body"]) for card in cards)
    with database.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.state == "sent")).all()
    assert len(rows) == len(report.sent)
    assert {row.retry_key for row in rows} == {push.headers["X-Line-Retry-Key"]}


def test_a_digest_left_mid_push_is_sent_again_as_the_same_digest_with_the_same_retry_key(
    database, line_stub, line_client, imported_plan, committee_group, at, monkeypatch
) -> None:
    """The process dies after LINE accepted the digest and before the rows say sent: the next
    tick pushes the same reminders under the same key, LINE answers 409, all are marked sent."""
    import scheduler.deliveries as pipeline

    moment = at(2024, 7, 1)
    original = pipeline._push_batch

    def die_after_the_push(database, line_client, batch, build, now, **keywords):  # type: ignore[no-untyped-def]
        line_client.push(batch.parcels[0].recipient, build(batch.parcels), retry_key=batch.retry_key)
        raise SystemExit("killed")

    monkeypatch.setattr(pipeline, "_push_batch", die_after_the_push)
    with pytest.raises(SystemExit):
        send_due_reminders(database, line_client, moment, ReminderPolicy())
    monkeypatch.setattr(pipeline, "_push_batch", original)

    too_soon = send_due_reminders(database, line_client, moment + timedelta(minutes=1), ReminderPolicy())
    assert too_soon.sent == [] and too_soon.in_progress == 4
    later = send_due_reminders(database, line_client, moment + timedelta(minutes=10), ReminderPolicy())

    assert len(later.sent) == 4 and all(item.already_delivered for item in later.sent)
    first, again = line_stub.pushes
    assert (first.status, again.status) == (200, 409)
    assert first.headers["X-Line-Retry-Key"] == again.headers["X-Line-Retry-Key"] and first.body == again.body
    assert len(line_stub.delivered_pushes) == 1
    with database.session() as session:
        rows = session.scalars(select(Delivery).where(Delivery.state != "missed")).all()
        events = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "reminder_push")).all()
    assert {(row.state, row.attempts, row.retry_key) for row in rows} == {("sent", 2, first.headers["X-Line-Retry-Key"])}
    assert len(rows) == 4 and len(events) == 1


def test_a_reminder_already_sent_is_never_in_a_later_digest(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    moment = at(2024, 7, 1)
    keys = sorted(key for key, (_activity, _kind, planned_at) in planned_keys(database).items() if planned_at == moment)
    assert len(keys) == 4
    with database.session() as session:
        session.add(Delivery(
            purpose="reminder", delivery_key=keys[0], recipient=committee_group, reminder_kind="start",
            planned_at=moment, state="sent", claimed_at=moment, sent_at=moment, attempts=1,
            retry_key=retry_key_for(keys[0], committee_group),
        ))

    report = send_due_reminders(database, line_client, moment + timedelta(minutes=5), ReminderPolicy())

    assert sorted(item.key for item in report.sent) == keys[1:]
    (push,) = line_stub.pushes
    assert push.headers["X-Line-Retry-Key"] == digest_retry_key(keys[1:], committee_group)
    assert len(push.body["messages"][0]["contents"]["contents"]) == 3


def test_the_preview_still_lists_reminders_one_by_one_after_a_digest(
    database, line_stub, line_client, imported_plan, committee_group, at
) -> None:
    moment = at(2024, 7, 1)
    report = send_due_reminders(database, line_client, moment, ReminderPolicy())

    with database.session() as session:
        previews = [preview for preview in preview_reminders(session, ReminderPolicy(), moment) if preview.at == moment]
    assert len(line_stub.pushes) == 1
    assert sorted(preview.key for preview in previews) == sorted(item.key for item in report.sent)
    assert {(preview.state, tuple(preview.recipients)) for preview in previews} == {("sent", (committee_group,))}


# --- switching the weekly look-ahead on in a running office ----------------------------------------

OWN_DAYS = ReminderPolicy(ReminderSettings(weekly_look_ahead=False))


def test_an_upgrade_to_the_look_ahead_mid_week_sends_nothing_twice_and_drops_nothing(
    database, line_stub, line_client, committee_group, at
) -> None:
    """An activity from Monday 6 to Wednesday 15 May 2024. Before the upgrade its start went out
    on Monday and its week-before reminder was for Wednesday 8; with the look-ahead both belong to
    Monday, where only the week-before is kept. Upgraded on Tuesday, kmbot still sends the
    week-before on Wednesday at the latest, the start is not sent again, and the preview still
    shows it sent."""
    from kb.tables import Plan

    with database.session() as session:
        plan = Plan(fiscal_year=2567, number=1, knowledge_topic="การจัดทำงบประมาณ")
        plan.activities.append(Activity(position=0, number=1, step="KMP1", name="บ่งชี้ความรู้",
                                        start=date(2024, 5, 6), deadline=date(2024, 5, 15)))
        session.add(plan)
        session.flush()
        activity_id = plan.activities[0].id
    start_key, week_before_key = f"a{activity_id}:start:0", f"a{activity_id}:before_7d:0"

    monday = send_due_reminders(database, line_client, at(2024, 5, 6), OWN_DAYS)
    assert [item.key for item in monday.sent] == [start_key]
    with database.session() as session:
        assert {reminder.key for _, reminder in planned_reminders(session, ReminderPolicy())} >= {week_before_key}
        assert start_key not in {reminder.key for _, reminder in planned_reminders(session, ReminderPolicy())}

    tuesday = send_due_reminders(database, line_client, at(2024, 5, 7), ReminderPolicy())  # upgraded overnight
    wednesday = send_due_reminders(database, line_client, at(2024, 5, 8), ReminderPolicy())

    # Monday's look-ahead day has passed, but its window runs to Wednesday: sent on Tuesday's tick.
    assert [item.key for item in tuesday.sent] == [week_before_key] and tuesday.missed == []
    assert wednesday.sent == [] and wednesday.missed == []
    assert len(line_stub.delivered_pushes) == 2
    assert "อีก ๘ วันถึงกำหนด" in line_stub.pushes[-1].body["messages"][0]["altText"]
    with database.session() as session:
        previews = {preview.key: preview for preview in preview_reminders(session, ReminderPolicy(), at(2024, 5, 8, 12, 0))}
    assert (previews[start_key].state, previews[start_key].at) == ("sent", at(2024, 5, 6))
    assert previews[week_before_key].state == "sent"
    assert previews[week_before_key].as_dict()["moved_from"] == "2024-05-08T09:00:00+07:00"  # its own day
    # Back to each reminder on its own day (switched off again): nothing is sent a second time.
    assert send_due_reminders(database, line_client, at(2024, 5, 8, 9, 5), OWN_DAYS).sent == []
