"""`/plan` and `/done` in LINE, and the reminder's "ทำแล้ว" button, through the real webhook."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from bot.core.calendar import BANGKOK, now
from bot.core.people import ensure_group, ensure_user
from bot.core.tables import User
from kb.plan_document import read_plan_file
from kb.plan_store import find_activities_by_step, save_plan_reading
from kb.tables import Activity
from scheduler.reminders import ReminderPolicy, preview_reminders, send_due_reminders

STAFF = "U1111111111111111111111111111aaaa"
COMMITTEE_MEMBER = "U2222222222222222222222222222cccc"
SECRETARY = "U3333333333333333333333333333dddd"
COMMITTEE_GROUP = "C4444444444444444444444444444eeee"


@pytest.fixture
def plan(database, at, sample_plan_path) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        for line_user_id, role in ((COMMITTEE_MEMBER, "committee"), (SECRETARY, "secretary"), (STAFF, "staff")):
            ensure_user(session, line_user_id, datetime(2023, 10, 1, 9, tzinfo=BANGKOK)).role = role
        ensure_group(session, COMMITTEE_GROUP, "group", at(2023, 10, 1)).role = "committee"
        return {(activity.plan.number, activity.step): activity.id for activity in session.scalars(select(Activity))}


@pytest.fixture
def may_20(at) -> object:
    with time_machine.travel(at(2024, 5, 20, 10, 0), tick=False) as traveller:
        yield traveller


def last_reply(line_stub) -> str:  # type: ignore[no-untyped-def]
    return line_stub.replies[-1].body["messages"][0]["text"]


def activity(database, activity_id: int) -> Activity:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.get(Activity, activity_id)


# --- /plan ------------------------------------------------------------------------------------------


def test_plan_lists_overdue_activities_first_then_the_next_deadlines(webhook, line_events, line_stub, plan, may_20) -> None:
    webhook.send(line_events.text("/plan"))

    text = last_reply(line_stub)
    assert text.startswith("📋 กิจกรรมตามแผน KM ปีงบประมาณ ๒๕๖๗ ที่ต้องติดตามค่ะ")
    overdue, upcoming = text.index("⚠️ เลยกำหนดแล้ว"), text.index("📅 ใกล้ถึงกำหนด")
    assert overdue < upcoming
    # CMP1 of plan 1 ended 31 Jan, KMP1 of plan 2 on 29 Feb: both overdue, the older first.
    cmp1, kmp1 = text.index(f"[{plan[(1, 'CMP1')]}] CMP1"), text.index(f"[{plan[(2, 'KMP1')]}] KMP1")
    assert overdue < cmp1 < kmp1 < upcoming
    assert "ครบกำหนด ๓๑ ม.ค. ๒๕๖๗ · เลยกำหนดมา ๑๑๐ วัน" in text
    # KMP2 of plan 1 and KMP3 of plan 2 end on Friday 31 May: eleven days left.
    assert f"[{plan[(1, 'KMP2')]}] KMP2 การสร้างและแสวงหาความรู้ – แผนที่ ๑\n   ครบกำหนด ๓๑ พ.ค. ๒๕๖๗ · อีก ๑๑ วัน" in text
    assert "ยังไม่ได้กำหนดวัน ๒ กิจกรรม" in text
    assert "/done" in text and len(text) <= 5000


@pytest.mark.parametrize("typed", ["แผน", "งาน", "กำหนดส่ง", "/แผน", "/กำหนดส่ง"])
def test_plan_answers_to_its_thai_aliases(webhook, line_events, line_stub, plan, may_20, typed: str) -> None:
    webhook.send(line_events.text(typed))

    assert "กิจกรรมตามแผน KM ปีงบประมาณ ๒๕๖๗" in last_reply(line_stub)


def test_plan_in_a_group_needs_the_slash_and_leaves_done_activities_out(webhook, line_events, line_stub, database, plan, may_20) -> None:
    webhook.send(line_events.text("งาน", line_events.group(COMMITTEE_GROUP, STAFF)))
    assert line_stub.replies == []  # people talking about work in the group: not for the bot

    with database.session() as session:
        session.get(Activity, plan[(1, "CMP1")]).status = "done"
    webhook.send(line_events.text("/งาน", line_events.group(COMMITTEE_GROUP, STAFF)))

    text = last_reply(line_stub)
    assert f"[{plan[(1, 'CMP1')]}]" not in text and f"[{plan[(2, 'KMP1')]}]" in text


def test_plan_without_any_imported_plan_says_so_politely(webhook, line_events, line_stub) -> None:
    webhook.send(line_events.text("/plan"))

    assert last_reply(line_stub).startswith("ยังไม่มีแผน KM ในระบบค่ะ")


# --- the "ทำแล้ว" button -------------------------------------------------------------------------


def test_a_staff_member_pressing_done_is_refused_and_nothing_changes(webhook, line_events, line_stub, database, plan, may_20) -> None:
    activity_id = plan[(2, "KMP3")]

    webhook.send(line_events.postback(f"action=done&activity={activity_id}", line_events.group(COMMITTEE_GROUP, STAFF)))

    assert last_reply(line_stub).startswith("ขออภัยค่ะ การบันทึกว่ากิจกรรมตามแผน KM ทำแล้ว สงวนไว้สำหรับกรรมการ KM และเลขานุการ")
    unchanged = activity(database, activity_id)
    assert (unchanged.status, unchanged.done_at, unchanged.done_by_user_id) == ("pending", None, None)


def test_a_committee_member_pressing_done_records_who_and_when_and_cancels_later_reminders(
    webhook, line_events, line_stub, database, line_client_from_app, plan, may_20, at
) -> None:
    activity_id = plan[(2, "KMP3")]  # May 2024: its before_7d, before_1d and due are still to come

    webhook.send(line_events.postback(f"action=done&activity={activity_id}", line_events.group(COMMITTEE_GROUP, COMMITTEE_MEMBER)))

    reply = last_reply(line_stub)
    assert reply.startswith("บันทึกแล้วค่ะ ✅ KMP3 การจัดการความรู้ให้เป็นระบบ (แผนที่ ๒ ปีงบประมาณ ๒๕๖๗) ทำเสร็จเมื่อ ๒๐ พ.ค. ๒๕๖๗ ๑๐:๐๐ น.")
    assert "การแจ้งเตือนที่เหลือของกิจกรรมนี้ยกเลิกแล้วนะคะ" in reply
    done = activity(database, activity_id)
    with database.session() as session:
        member = session.scalars(select(User).where(User.line_user_id == COMMITTEE_MEMBER)).one()
        states = {preview.kind: preview.state for preview in preview_reminders(session, ReminderPolicy(), now()) if preview.activity_id == activity_id}
    assert done.status == "done" and done.done_by_user_id == member.id and done.done_at is not None
    assert states["start"] == "missed" and {states[kind] for kind in ("before_7d", "before_1d", "due")} == {"cancelled"}

    pushes_before = len(line_stub.pushes)
    for day in (24, 30, 31):
        report = send_due_reminders(database, line_client_from_app, at(2024, 5, day), ReminderPolicy())
        assert activity_id not in {item.activity_id for item in report.sent}
    assert all(f"activity={activity_id}" not in str(call.body) for call in line_stub.pushes[pushes_before:])


def test_pressing_done_twice_keeps_the_first_record(webhook, line_events, line_stub, database, plan, may_20, at) -> None:
    activity_id = plan[(1, "KMP2")]
    source = line_events.group(COMMITTEE_GROUP, COMMITTEE_MEMBER)
    webhook.send(line_events.postback(f"action=done&activity={activity_id}", source))
    first = activity(database, activity_id).done_at

    may_20.move_to(at(2024, 5, 21, 9, 0))
    webhook.send(line_events.postback(f"action=done&activity={activity_id}", source))

    first_line, ask = last_reply(line_stub).split("\n")
    assert first_line == "KMP2 การสร้างและแสวงหาความรู้ (แผนที่ ๑ ปีงบประมาณ ๒๕๖๗) บันทึกว่าทำแล้วตั้งแต่ ๒๐ พ.ค. ๒๕๖๗ ค่ะ"
    # Pressed again, the button still asks for the evidence files (they may come later).
    assert ask.startswith("📎 ส่งรูปถ่ายหรือไฟล์หลักฐาน")
    assert activity(database, activity_id).done_at == first


# --- /done ----------------------------------------------------------------------------------------


def test_done_by_id_with_an_evidence_note(webhook, line_events, line_stub, database, plan, may_20) -> None:
    activity_id = plan[(1, "KMP2")]

    webhook.send(line_events.text(f"/done {activity_id} รายงานสรุปการถอดบทเรียน ครั้งที่ ๒/๒๕๖๗", line_events.user(SECRETARY)))

    assert "หลักฐาน: รายงานสรุปการถอดบทเรียน ครั้งที่ ๒/๒๕๖๗" in last_reply(line_stub)
    done = activity(database, activity_id)
    assert done.status == "done" and done.evidence_note == "รายงานสรุปการถอดบทเรียน ครั้งที่ ๒/๒๕๖๗"


def test_done_by_step_asks_which_plan_when_both_plans_have_it(webhook, line_events, line_stub, database, plan, may_20) -> None:
    source = line_events.user(COMMITTEE_MEMBER)

    webhook.send(line_events.text("/done KMP5", source))
    choices = last_reply(line_stub)
    assert choices.startswith("กิจกรรม KMP5 มีอยู่ในหลายแผนค่ะ")
    assert f"/done {plan[(1, 'KMP5')]} – แผนที่ ๑" in choices and f"/done {plan[(2, 'KMP5')]} – แผนที่ ๒" in choices
    assert activity(database, plan[(1, "KMP5")]).status == "pending"

    webhook.send(line_events.text("ทำแล้ว", source))
    assert last_reply(line_stub).startswith("พิมพ์ /done ตามด้วยเลขกิจกรรม")

    webhook.send(line_events.text("/เสร็จแล้ว kmp ๕ แผนที่ 2 ภาพบอร์ดประชาสัมพันธ์", source))
    assert last_reply(line_stub).startswith("บันทึกแล้วค่ะ ✅ KMP5 การเข้าถึงความรู้ (แผนที่ ๒")
    done = activity(database, plan[(2, "KMP5")])
    assert done.status == "done" and done.evidence_note == "ภาพบอร์ดประชาสัมพันธ์"
    assert activity(database, plan[(1, "KMP5")]).status == "pending"


def test_done_names_what_it_cannot_find(webhook, line_events, line_stub, plan, may_20) -> None:
    webhook.send(line_events.text("/done 99999", line_events.user(COMMITTEE_MEMBER)))
    assert last_reply(line_stub) == "ไม่พบกิจกรรม “99999” ในแผน KM ค่ะ พิมพ์ /plan เพื่อดูเลขกิจกรรมได้เลยนะคะ"

    webhook.send(line_events.text("/done KMP3 แผน 1", line_events.user(COMMITTEE_MEMBER)))
    assert last_reply(line_stub).startswith("ไม่พบกิจกรรม “KMP3”")


def test_done_typed_by_staff_is_refused(webhook, line_events, line_stub, database, plan, may_20) -> None:
    webhook.send(line_events.text(f"/done {plan[(1, 'CMP2')]}", line_events.user(STAFF)))

    assert last_reply(line_stub).startswith("ขออภัยค่ะ")
    assert activity(database, plan[(1, "CMP2")]).status == "pending"


def test_a_step_unique_in_the_plan_needs_no_plan_number(webhook, line_events, line_stub, database, plan, may_20) -> None:
    # KMP3 exists only in plan 2 (plan 1 has no rows 3 and 4).
    webhook.send(line_events.text("/done KMP3", line_events.user(COMMITTEE_MEMBER)))

    assert activity(database, plan[(2, "KMP3")]).status == "done"
    with database.session() as session:
        assert [a.id for a in find_activities_by_step(session, "KMP3")] == [plan[(2, "KMP3")]]


@pytest.fixture
def line_client_from_app(app):  # type: ignore[no-untyped-def]
    from bot.web.extensions import get_line_client

    return get_line_client(app)


# --- long and odd input: every reply within LINE's limits ----------------------------------------


def test_done_with_a_number_too_long_to_be_an_activity_says_so(webhook, line_events, line_stub, database, plan, may_20) -> None:
    webhook.send(line_events.text("/done 99999999999999999999", line_events.user(COMMITTEE_MEMBER)))

    assert "ยาวเกินกว่าจะเป็นเลขกิจกรรม" in last_reply(line_stub)


def test_done_with_very_long_evidence_is_confirmed_within_lines_limit(webhook, line_events, line_stub, database, plan, may_20) -> None:
    activity_id = plan[(1, "KMP1")]
    evidence = "รายงานการประชุม 🙏📚 " * 400

    webhook.send(line_events.text(f"/done {activity_id} {evidence}", line_events.user(COMMITTEE_MEMBER)))

    reply = last_reply(line_stub)
    assert reply.startswith("บันทึกแล้วค่ะ ✅") and "หลักฐาน: รายงานการประชุม" in reply
    assert activity(database, activity_id).status == "done"


def test_done_echoes_a_long_unknown_name_shortened(webhook, line_events, line_stub, plan, may_20) -> None:
    webhook.send(line_events.text("/done " + "ก" * 6000, line_events.user(COMMITTEE_MEMBER)))

    reply = last_reply(line_stub)
    assert reply.startswith("ไม่พบกิจกรรม") and len(reply) < 300


# --- events without a userId ---------------------------------------------------------------------


def test_the_done_button_pressed_in_the_committee_group_without_a_user_id_is_recorded(
    webhook, line_events, line_stub, database, plan, may_20
) -> None:
    activity_id = plan[(1, "KMP1")]
    source = line_events.group(COMMITTEE_GROUP, user_id=None)

    webhook.send(line_events.postback(f"action=done&activity={activity_id}", source))

    assert last_reply(line_stub).startswith("บันทึกแล้วค่ะ ✅")
    assert activity(database, activity_id).status == "done"


def test_done_typed_from_line_for_pc_in_the_committee_group_is_accepted(webhook, line_events, line_stub, database, plan, may_20) -> None:
    activity_id = plan[(1, "KMP1")]

    webhook.send(line_events.text(f"/done {activity_id}", line_events.group(COMMITTEE_GROUP, user_id=None)))

    assert activity(database, activity_id).status == "done"


def test_without_a_user_id_another_group_is_not_the_committee(webhook, line_events, line_stub, database, plan, may_20) -> None:
    activity_id = plan[(1, "KMP1")]

    webhook.send(line_events.postback(f"action=done&activity={activity_id}", line_events.group(user_id=None)))

    assert "สงวนไว้สำหรับกรรมการ" in last_reply(line_stub)
    assert activity(database, activity_id).status != "done"
