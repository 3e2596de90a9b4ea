"""Evidence from LINE: after `/done N`, photos and files sent in the chat attach to the activity,
fetched from the strict LINE stub's content endpoint after the event's transaction commits."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from bot.core.calendar import BANGKOK, to_bangkok
from bot.core.people import ensure_group, ensure_user
from bot.core.tables import User
from kb.evidence import ActivityKey, evidence_of
from kb.forget import forget_contributions
from kb.plan_document import read_plan_file
from kb.plan_store import save_plan_reading
from kb.tables import Activity, EvidenceFile

MEMBER = "U2222222222222222222222222222cccc"
OTHER_MEMBER = "U5555555555555555555555555555ffff"
STAFF = "U1111111111111111111111111111aaaa"
COMMITTEE_GROUP = "C4444444444444444444444444444eeee"
STAFF_GROUP = "C6666666666666666666666666666gggg"


def jpeg_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "JPEG")
    return buffer.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def app_config(app_config, tmp_path):  # type: ignore[no-untyped-def]
    return {**app_config, "evidence_dir": str(tmp_path / "evidence")}


@pytest.fixture
def evidence_dir(tmp_path) -> Path:  # type: ignore[no-untyped-def]
    return tmp_path / "evidence"


@pytest.fixture
def plan(database, at, sample_plan_path) -> dict[tuple[int, str], int]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        for line_user_id, role in ((MEMBER, "committee"), (OTHER_MEMBER, "committee"), (STAFF, "staff")):
            ensure_user(session, line_user_id, datetime(2023, 10, 1, 9, tzinfo=BANGKOK)).role = role
        ensure_group(session, COMMITTEE_GROUP, "group", at(2023, 10, 1)).role = "committee"
        ensure_group(session, STAFF_GROUP, "group", at(2023, 10, 1)).role = "staff"
        return {(activity.plan.number, activity.step): activity.id for activity in session.scalars(select(Activity))}


@pytest.fixture
def clock(at):  # type: ignore[no-untyped-def]
    with time_machine.travel(at(2024, 5, 20, 10, 0), tick=False) as traveller:
        yield traveller


def reply_text(line_stub) -> str:  # type: ignore[no-untyped-def]
    return line_stub.replies[-1].body["messages"][0]["text"]


def in_committee(line_events, user: str = MEMBER):  # type: ignore[no-untyped-def]
    return line_events.group(COMMITTEE_GROUP, user)


def evidence_rows(database) -> list[EvidenceFile]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        rows = list(session.scalars(select(EvidenceFile).order_by(EvidenceFile.id)))
        session.expunge_all()
        return rows


def test_a_photo_and_a_pdf_after_done_attach_to_the_activity_with_sender_and_time(
    webhook, line_events, line_stub, database, plan, clock, evidence_dir,
) -> None:
    activity_id = plan[(1, "KMP2")]
    webhook.send(line_events.text(f"/done {activity_id}", in_committee(line_events)))
    assert "📎 ส่งรูปถ่ายหรือไฟล์หลักฐาน" in reply_text(line_stub)
    assert "ภายใน ๓๐ นาที" in reply_text(line_stub)

    photo = jpeg_bytes()
    line_stub.serve_content("500000000000000001", photo, "image/jpeg")
    webhook.send(line_events.image("500000000000000001", in_committee(line_events)))
    assert reply_text(line_stub).startswith("รับหลักฐานแล้วค่ะ ✅")
    assert "KMP2 การสร้างและแสวงหาความรู้" in reply_text(line_stub)
    assert "(หลักฐานของกิจกรรมนี้ ๑ ไฟล์)" in reply_text(line_stub)

    line_stub.serve_content("500000000000000002", PDF_BYTES, "application/pdf")
    webhook.send(line_events.file("500000000000000002", "รายงานการประชุม.pdf", len(PDF_BYTES), in_committee(line_events)))
    assert "“รายงานการประชุม.pdf” แนบกับ KMP2" in reply_text(line_stub)
    assert "๒ ไฟล์" in reply_text(line_stub)

    rows = evidence_rows(database)
    assert [(row.step, row.plan_number, row.fiscal_year, row.content_type) for row in rows] == [
        ("KMP2", 1, 2567, "image/jpeg"), ("KMP2", 1, 2567, "application/pdf"),
    ]
    with database.session() as session:
        member_id = session.scalars(select(User.id).where(User.line_user_id == MEMBER)).one()
    assert {row.user_id for row in rows} == {member_id}
    assert to_bangkok(rows[0].sent_at) == datetime(2024, 5, 20, 10, 0, tzinfo=BANGKOK)
    # Kept under the content's SHA-256, byte for byte.
    stored = evidence_dir / f"{hashlib.sha256(photo).hexdigest()}.jpg"
    assert stored.read_bytes() == photo
    assert (evidence_dir / f"{hashlib.sha256(PDF_BYTES).hexdigest()}.pdf").read_bytes() == PDF_BYTES
    # The content was fetched once each, from the data host's path, after the event committed.
    assert len(line_stub.calls_to("/v2/bot/message/500000000000000001/content")) == 1


def test_done_with_a_thai_date_records_that_day(webhook, line_events, line_stub, database, plan, clock) -> None:
    activity_id = plan[(1, "KMP2")]
    webhook.send(line_events.text(f"/done {activity_id} เมื่อ 12 มี.ค. 2567 รายงานการประชุม", in_committee(line_events)))

    assert "ทำเสร็จเมื่อ ๑๒ มี.ค. ๒๕๖๗" in reply_text(line_stub)
    with database.session() as session:
        activity = session.get(Activity, activity_id)
        assert to_bangkok(activity.done_at).date().isoformat() == "2024-03-12"
        assert activity.evidence_note == "รายงานการประชุม"


def test_done_with_a_future_or_unreadable_date_records_nothing(webhook, line_events, line_stub, database, plan, clock) -> None:
    activity_id = plan[(1, "KMP2")]
    webhook.send(line_events.text(f"/done {activity_id} เมื่อ 12 ก.ค. 2567", in_committee(line_events)))
    assert "ยังมาไม่ถึง" in reply_text(line_stub)
    webhook.send(line_events.text(f"/done {activity_id} เมื่อ 31 ก.พ. 2567", in_committee(line_events)))
    assert "อ่านวันที่ “31 ก.พ. 2567” ไม่ได้" in reply_text(line_stub)

    with database.session() as session:
        assert session.get(Activity, activity_id).status == "pending"


def test_oversized_and_unsupported_files_are_refused_in_thai_and_nothing_is_kept(
    webhook, line_events, line_stub, database, plan, clock, evidence_dir,
) -> None:
    webhook.send(line_events.text(f"/done {plan[(1, 'KMP2')]}", in_committee(line_events)))

    webhook.send(line_events.file("600000000000000001", "วิดีโอ.pdf", 300 * 1024 * 1024, in_committee(line_events)))
    assert "เกินกว่าที่รับได้ (๒๐ MB)" in reply_text(line_stub)
    webhook.send(line_events.file("600000000000000002", "งาน.zip", 1000, in_committee(line_events)))
    assert "รับหลักฐานเป็นรูปภาพ (JPG, PNG), PDF, Word หรือ Excel เท่านั้น" in reply_text(line_stub)
    # Named like a PDF, but its bytes are not one: refused after the fetch.
    line_stub.serve_content("600000000000000003", b"MZ\x90\x00 not a document", "application/pdf")
    webhook.send(line_events.file("600000000000000003", "แก้ตัว.pdf", 22, in_committee(line_events)))
    assert "ไฟล์ “แก้ตัว.pdf” ยังไม่ได้บันทึก" in reply_text(line_stub)

    assert evidence_rows(database) == []
    assert not evidence_dir.exists() or [path for path in evidence_dir.iterdir() if not path.name.startswith(".")] == []
    # The announced refusals never reached LINE's content endpoint.
    assert line_stub.calls_to("/v2/bot/message/600000000000000001/content") == []
    assert line_stub.calls_to("/v2/bot/message/600000000000000002/content") == []


def test_a_file_with_no_activity_waiting_gets_told_how_to_attach_in_the_committee_group_only(
    webhook, line_events, line_stub, database, plan, clock,
) -> None:
    webhook.send(line_events.image("700000000000000001", in_committee(line_events)))
    assert "ยังไม่มีกิจกรรมที่รอหลักฐานจากท่าน" in reply_text(line_stub)
    assert "/done" in reply_text(line_stub)

    replies = len(line_stub.replies)
    webhook.send(line_events.image("700000000000000002", line_events.group(STAFF_GROUP, STAFF)))
    assert len(line_stub.replies) == replies  # photos in a staff group are people talking
    assert line_stub.calls_to("/v2/bot/message/700000000000000001/content") == []


def test_only_the_person_who_marked_done_attaches_and_only_within_the_window(
    webhook, line_events, line_stub, database, plan, clock, at,
) -> None:
    webhook.send(line_events.text(f"/done {plan[(1, 'KMP2')]}", in_committee(line_events)))
    line_stub.serve_content("800000000000000001", jpeg_bytes("blue"), "image/jpeg")
    webhook.send(line_events.image("800000000000000001", in_committee(line_events, OTHER_MEMBER)))
    assert "ยังไม่มีกิจกรรมที่รอหลักฐานจากท่าน" in reply_text(line_stub)

    clock.move_to(at(2024, 5, 20, 10, 31))
    line_stub.serve_content("800000000000000002", jpeg_bytes("green"), "image/jpeg")
    webhook.send(line_events.image("800000000000000002", in_committee(line_events)))
    assert "ยังไม่มีกิจกรรมที่รอหลักฐานจากท่าน" in reply_text(line_stub)
    assert evidence_rows(database) == []


def test_a_failing_content_fetch_is_retried_then_answered_clearly_and_a_resend_works(
    webhook, line_events, line_stub, database, plan, clock, line_client,
) -> None:
    webhook.send(line_events.text(f"/done {plan[(1, 'KMP2')]}", in_committee(line_events)))
    path = "/v2/bot/message/900000000000000001/content"
    line_stub.serve_content("900000000000000001", PDF_BYTES, "application/pdf")
    line_stub.fail_next(path, 500, times=10)
    webhook.send(line_events.file("900000000000000001", "บันทึก.pdf", len(PDF_BYTES), in_committee(line_events)))

    assert "ดึงไฟล์ “บันทึก.pdf” จาก LINE ไม่สำเร็จ" in reply_text(line_stub)
    assert len(line_stub.calls_to(path)) == 4  # LineClient's attempts (line_max_attempts)
    assert evidence_rows(database) == []

    line_stub.scripted.clear()
    line_stub.serve_content("900000000000000002", PDF_BYTES, "application/pdf")
    webhook.send(line_events.file("900000000000000002", "บันทึก.pdf", len(PDF_BYTES), in_committee(line_events)))
    assert reply_text(line_stub).startswith("รับหลักฐานแล้วค่ะ")
    assert len(evidence_rows(database)) == 1


def test_evidence_survives_reimporting_the_plan_and_forgetting_the_sender(
    webhook, line_events, line_stub, database, plan, clock, sample_plan_path, evidence_dir,
) -> None:
    webhook.send(line_events.text(f"/done {plan[(2, 'KMP1')]}", in_committee(line_events)))
    photo = jpeg_bytes("yellow")
    line_stub.serve_content("910000000000000001", photo, "image/jpeg")
    webhook.send(line_events.image("910000000000000001", in_committee(line_events)))

    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        key = ActivityKey(2567, 2, "KMP1", session.get(Activity, plan[(2, "KMP1")]).number)
        assert len(evidence_of(session, key)) == 1
        member = session.scalars(select(User).where(User.line_user_id == MEMBER)).one()
        forgotten = forget_contributions(session, member.id)
    assert forgotten.evidence_unlinked == 1
    rows = evidence_rows(database)
    assert rows[0].user_id is None  # no longer linked to the person
    assert (evidence_dir / f"{rows[0].sha256}.jpg").read_bytes() == photo  # kept as the office's evidence


def test_the_reminders_done_button_asks_for_evidence_too(webhook, line_events, line_stub, database, plan, clock) -> None:
    activity_id = plan[(2, "KMP1")]
    webhook.send(line_events.postback(f"action=done&activity={activity_id}", in_committee(line_events)))
    assert "📎 ส่งรูปถ่ายหรือไฟล์หลักฐาน" in reply_text(line_stub)

    line_stub.serve_content("920000000000000001", PDF_BYTES, "application/pdf")
    webhook.send(line_events.file("920000000000000001", "ภาพกิจกรรม.pdf", len(PDF_BYTES), in_committee(line_events)))
    assert "“ภาพกิจกรรม.pdf” แนบกับ KMP1" in reply_text(line_stub)
    assert [(row.plan_number, row.step) for row in evidence_rows(database)] == [(2, "KMP1")]


def test_the_content_host_is_configurable_apart_from_the_api_host(line_stub) -> None:
    from bot.core.config import Config
    from bot.core.line_client import LineClient

    config = Config.from_environment({
        "LINE_CHANNEL_ACCESS_TOKEN": "test-access-token", "LINE_API_BASE_URL": "http://127.0.0.1:9",
        "LINE_DATA_API_BASE_URL": line_stub.url, "KMBOT_PUBLIC_HOLIDAYS": "off",
    })
    client = LineClient(config, sleep=lambda _: None)
    line_stub.serve_content("930000000000000001", PDF_BYTES, "application/pdf")
    try:
        assert client.message_content("930000000000000001") == (PDF_BYTES, "application/pdf")
    finally:
        client.close()
    assert Config.from_environment({}).line_data_api_base_url is None  # derived from LINE_API_BASE_URL
