"""The plan on the web: a plan file previewed with every warning before it is saved, an
activity's dates set in Thai, marked done with a date and note, and reopened."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import time_machine
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.core.calendar import to_bangkok
from kb.tables import Activity, Plan


from tests.bot.web.admin_pages import ADMIN_PASSWORD, csrf_token_of, sign_in

@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def token_of(client, path: str = "/admin/plan") -> str:  # type: ignore[no-untyped-def]
    return csrf_token_of(client, path)



@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    return sign_in(client)


def upload(client, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/admin/plan/preview", data={"csrf_token": token_of(client), "plan_file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def confirm(client, preview_html: str):  # type: ignore[no-untyped-def]
    fields = dict(re.findall(r'<input type="hidden" name="(filename|content)" value="([^"]*)"', preview_html))
    return client.post("/admin/plan/import", data={"csrf_token": token_of(client), **fields}, follow_redirects=True)


def count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_sample_plan_is_previewed_with_every_warning_and_saved_only_when_confirmed(signed_in, database, sample_plan_path):
    preview = upload(signed_in, "แผน KM 2567.txt", sample_plan_path.read_bytes())

    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "ตรวจแผนก่อนนำเข้า" in html
    assert "2 แผน 26 กิจกรรม" in html and "อ่านวันไม่ได้ 2 กิจกรรม" in html
    assert "ไม่มีขั้นตอน KMP3, KMP4" in html  # plan 1 lacks two steps
    assert "“จ.ค.” ไม่ใช่ชื่อเดือน" in html and "“มี.ย.” ไม่ใช่ชื่อเดือน" in html
    assert count(database, Plan) == 0  # nothing saved by looking

    saved = confirm(signed_in, html).get_data(as_text=True)

    assert "นำเข้าแผนแล้วค่ะ" in saved and "แผนใหม่ 2 แผน" in saved
    assert count(database, Activity) == 26
    assert "ไม่มีขั้นตอน KMP3, KMP4" in saved  # the warnings stay on the plan page


def test_an_excel_file_with_the_templates_columns_is_read_with_its_date_cells(signed_in, database):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["plan", "fiscal_year", "step", "name", "period", "start", "deadline", "responsible"])
    sheet.append([1, 2568, "KMP1", "การบ่งชี้ความรู้", "ต.ค. - พ.ย. 2567", datetime(2024, 10, 1), datetime(2024, 11, 29), "ฝ่ายแผน"])
    sheet.append([1, 2568, "KMP2", "การสร้างความรู้", "มี.ย. 2568", None, None, ""])
    data = io.BytesIO()
    workbook.save(data)

    html = upload(signed_in, "plan.xlsx", data.getvalue()).get_data(as_text=True)
    assert "1 แผน 2 กิจกรรม" in html and "29 พ.ย. 2567" in html and "“มี.ย.” ไม่ใช่ชื่อเดือน" in html
    confirm(signed_in, html)

    with database.session() as session:
        kmp1 = session.scalars(select(Activity).where(Activity.step == "KMP1")).one()
        assert (kmp1.start, kmp1.deadline, kmp1.responsible) == (date(2024, 10, 1), date(2024, 11, 29), "ฝ่ายแผน")


@pytest.mark.parametrize("name, data, message", [
    ("plan.pdf", b"%PDF-1.4", "ไม่รองรับไฟล์ชนิด"),
    ("plan.xlsx", b"not a workbook", "เปิดไฟล์ Excel ไม่ได้"),
    ("plan.csv", "ชื่อ,อื่น\n".encode("cp874"), "UTF-8"),
])
def test_a_file_that_is_not_a_plan_gets_a_thai_error_and_saves_nothing(signed_in, database, name, data, message):
    html = upload(signed_in, name, data).get_data(as_text=True)
    assert "อ่านไฟล์แผนไม่ได้ค่ะ" in html and message in html
    assert count(database, Plan) == 0


def activity_of(database, step: str, plan: int = 1) -> Activity:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalars(select(Activity).join(Plan).where(Activity.step == step, Plan.number == plan)).one()


def post(client, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": token_of(client), **data}, follow_redirects=True)


def test_the_unreadable_period_is_fixed_with_dates_typed_in_thai(signed_in, database, imported_plan):
    kmp1 = activity_of(database, "KMP1")
    assert kmp1.deadline is None

    page = post(signed_in, f"/admin/plan/activities/{kmp1.id}/dates", start="1 ต.ค. 2566", deadline="๒๙ มี.ค. ๒๕๖๗")

    fixed = activity_of(database, "KMP1")
    assert (fixed.start, fixed.deadline, fixed.dates_set_by_hand) == (date(2023, 10, 1), date(2024, 3, 29), True)
    assert not any("อ่านระยะเวลา" in warning for warning in fixed.warnings)
    assert "บันทึกวันของกิจกรรมเลข" in page.get_data(as_text=True)


@pytest.mark.parametrize("start, deadline, message", [
    ("", "30 ก.พ. 2567", "ไม่มีวันที่"),
    ("", "เร็ว ๆ นี้", "อ่านวันที่"),
    ("1 เม.ย. 2567", "1 มี.ค. 2567", "วันเริ่มต้องไม่อยู่หลังวันครบกำหนด"),
])
def test_dates_that_cannot_be_used_are_refused_in_thai_and_change_nothing(signed_in, database, imported_plan, start, deadline, message):
    kmp5 = activity_of(database, "KMP5")
    html = post(signed_in, f"/admin/plan/activities/{kmp5.id}/dates", start=start, deadline=deadline).get_data(as_text=True)
    assert message in html
    assert activity_of(database, "KMP5").deadline == kmp5.deadline


def test_an_activity_is_marked_done_with_its_date_and_note_and_reopened(signed_in, database, imported_plan, at):
    kmp5 = activity_of(database, "KMP5")
    with time_machine.travel(at(2024, 8, 20, 10), tick=False):
        sign_in(signed_in)
        page = post(signed_in, f"/admin/plan/activities/{kmp5.id}/done", done_on="15 ส.ค. 2567", note="หนังสือเวียน ที่ 12/2567")

        done = activity_of(database, "KMP5")
        assert (done.status, to_bangkok(done.done_at).date(), done.evidence_note) == ("done", date(2024, 8, 15), "หนังสือเวียน ที่ 12/2567")
        assert "เปิดกิจกรรมอีกครั้ง" in page.get_data(as_text=True)

        post(signed_in, f"/admin/plan/activities/{kmp5.id}/reopen")

    reopened = activity_of(database, "KMP5")
    assert (reopened.status, reopened.done_at, reopened.evidence_note) == ("pending", None, None)


def test_a_done_date_in_the_future_is_refused(signed_in, database, imported_plan, at):
    kmp5 = activity_of(database, "KMP5")
    with time_machine.travel(at(2024, 8, 20, 10), tick=False):
        sign_in(signed_in)
        html = post(signed_in, f"/admin/plan/activities/{kmp5.id}/done", done_on="1 ก.ย. 2567").get_data(as_text=True)
    assert "ต้องไม่อยู่ในอนาคต" in html and activity_of(database, "KMP5").status == "pending"


def test_a_plan_file_of_the_largest_size_survives_the_preview_and_a_larger_one_is_refused(signed_in, database, sample_plan_path):
    from bot.web.admin.plan import MAX_PLAN_FILE_BYTES

    text = sample_plan_path.read_bytes()
    padded = text + b"\n" * (MAX_PLAN_FILE_BYTES - len(text))
    html = upload(signed_in, "แผน.txt", padded).get_data(as_text=True)
    assert "ตรวจแผนก่อนนำเข้า" in html
    assert "นำเข้าแผนแล้วค่ะ" in confirm(signed_in, html).get_data(as_text=True)

    refused = upload(signed_in, "แผน.txt", padded + b"\n").get_data(as_text=True)
    assert "ไฟล์ใหญ่เกิน 360 kB" in refused
