"""ตั้งค่า in /admin: settings stored in the database, the environment winning where set, and
every part of the product seeing a change without a restart."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from bot import create_app
from bot.core.calendar import format_thai_date
from bot.core.config import SETTINGS_BY_FIELD, Config, with_stored_settings
from bot.core.migrate import upgrade_database
from bot.core.settings import LiveConfig, store_settings
from bot.web.extensions import get_config, get_database
from kb.plan_store import TypedDateError, parse_typed_date


from tests.bot.web.admin_pages import ADMIN_PASSWORD, csrf_token_of, sign_in

@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def signed_in_client(app):  # type: ignore[no-untyped-def]
    return sign_in(app.test_client())


def settings_form(**changes: str) -> dict[str, str]:
    """The form as the page fills it for a fresh install, with `changes` typed over it."""
    form = {"organisation_name": "", "division_name": "", "staff_count": "", "public_base_url": "",
            "reminder_hour": "9", "reminder_days_before": "7, 1", "reminder_grace_hours": "24",
            "overdue_until_fiscal_year_end": "on", "reminder_weekly_look_ahead": "on",
            "public_holidays": "on", "office_holidays": "",
            "push_day": "", "push_time": "09:00", "knowledge_push_article_id": "",
            "question_limit": "10", "question_window": "minute"}
    form.update(changes)
    return form


def save(client, **changes: str):  # type: ignore[no-untyped-def]
    token = csrf_token_of(client, "/admin/settings")
    return client.post("/admin/settings", data={"csrf_token": token, **settings_form(**changes)})


def test_the_roster_size_saved_on_the_page_is_used_at_once_and_the_dashboard_names_no_variable(app):
    client = signed_in_client(app)
    before = client.get("/admin/reach").get_data(as_text=True)
    assert "KMBOT_STAFF_COUNT" not in before and "ตั้งค่า" in before

    response = save(client, staff_count="120", organisation_name="องค์การบริหารส่วนจังหวัดตัวอย่าง")

    assert response.status_code == 302
    with app.app_context():
        assert get_config().staff_count == 120
        assert get_config().organisation_name == "องค์การบริหารส่วนจังหวัดตัวอย่าง"
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="120"' in page and "บันทึกการตั้งค่าแล้ว" in page
    assert "ยังไม่ได้ตั้งจำนวนบุคลากร" not in client.get("/admin/reach").get_data(as_text=True)


def test_holidays_typed_in_thai_are_kept_and_listed_with_the_official_ones(app):
    client = signed_in_client(app)

    assert save(client, office_holidays="12 มี.ค. 2567 วันก่อตั้ง อบจ.\n๒๕ ธ.ค. ๒๕๖๖").status_code == 302

    with app.app_context():
        config = get_config()
    assert {date(2024, 3, 12), date(2023, 12, 25)} <= set(config.reminder_holidays)
    assert date(2024, 4, 15) in config.reminder_holidays  # Songkran stays, from the official list
    assert set(config.office_holidays or ()) == {date(2024, 3, 12), date(2023, 12, 25)}


def test_official_holidays_switched_off_leave_only_the_offices_days(app):
    client = signed_in_client(app)

    assert save(client, public_holidays="", office_holidays="2024-03-12").status_code == 302

    with app.app_context():
        assert get_config().reminder_holidays == (date(2024, 3, 12),)


def test_the_holiday_list_names_official_days_in_thai(app, at):
    with time_machine.travel(at(2024, 3, 1), tick=False):
        client = signed_in_client(app)
        page = client.get("/admin/settings").get_data(as_text=True)
    assert "วันสงกรานต์" in page and "13 เม.ย. 2567" in page


def test_bad_input_gets_a_thai_error_and_nothing_is_lost(app):
    client = signed_in_client(app)

    response = save(client, staff_count="120", public_base_url="kmbot.example.go.th",
                    office_holidays="12 มี.ค. 2567\n31 ก.พ. 2567")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "https://" in page and "บรรทัดที่ 2" in page and "ไม่มีวันที่" in page
    assert 'value="kmbot.example.go.th"' in page  # what was typed is still in the form
    with app.app_context():
        assert get_config().staff_count is None  # nothing saved until every field reads


def test_the_weekly_look_ahead_is_on_until_the_secretary_unticks_it(app):
    from scheduler.reminders import ReminderPolicy

    client = signed_in_client(app)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'name="reminder_weekly_look_ahead" checked', page) and "วันทำการแรกของสัปดาห์" in page

    form = settings_form()
    del form["reminder_weekly_look_ahead"]  # an unticked box is not posted
    token = csrf_token_of(client, "/admin/settings")
    assert client.post("/admin/settings", data={"csrf_token": token, **form}).status_code == 302

    with app.app_context():
        assert ReminderPolicy.from_config(get_config()).settings.weekly_look_ahead is False


def test_a_variable_set_in_the_environment_wins_and_the_page_says_so(app_config, monkeypatch):
    monkeypatch.setenv("KMBOT_STAFF_COUNT", "80")
    app = create_app(app_config)
    upgrade_database(get_database(app))
    client = signed_in_client(app)

    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'data-locked="staff_count"' in page and "KMBOT_STAFF_COUNT" in page
    assert save(client, staff_count="120", reminder_hour="10").status_code == 302

    with app.app_context():
        assert get_config().staff_count == 80
        assert get_config().reminder_hour == 10  # a field the environment left alone is saved


def test_the_clock_and_handlers_see_a_change_after_a_few_seconds_without_a_restart(database):
    base = Config(database_url=database.url)
    seconds = [0.0]
    live = LiveConfig(base, database, max_age=5.0, clock=lambda: seconds[0])
    assert live.current().reminder_hour == 9

    with database.session() as session:
        store_settings(session, {"reminder_hour": "14", "reminder_days_before": "3"})
    seconds[0] = 4.0
    assert live.current().reminder_hour == 9  # read at most once per five seconds
    seconds[0] = 5.0
    assert (live.current().reminder_hour, live.current().reminder_days_before) == (14, (3,))


def test_a_stored_value_that_no_longer_reads_is_skipped_not_fatal():
    config = with_stored_settings(Config(), {"staff_count": "many", "reminder_hour": "8"})
    assert (config.staff_count, config.reminder_hour) == (None, 8)


def test_the_environment_wins_over_a_stored_setting():
    config = Config.from_environment({"KMBOT_REMINDER_HOUR": "7"})
    assert with_stored_settings(config, {"reminder_hour": "15"}).reminder_hour == 7


# --- dates as a secretary types them ------------------------------------------------------

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))


@given(day=days, digits=st.sampled_from(["thai", "arabic"]))
def test_a_thai_date_as_kmbot_prints_it_reads_back_as_the_same_day(day: date, digits: str) -> None:
    assert parse_typed_date(format_thai_date(day, digits)) == (day, "")  # type: ignore[arg-type]


@given(day=days, name=st.sampled_from(["", "วันก่อตั้ง อบจ.", "หยุดชดเชย"]))
def test_an_iso_date_reads_with_the_name_after_it(day: date, name: str) -> None:
    assert parse_typed_date(f"{day.isoformat()} {name}") == (day, name)


@pytest.mark.parametrize("written", ["12 มีนาคม 2567", "๑๒ มี.ค. ๖๗", "12 มี.ค.2567", "12 มีค 2567", "12 มี.ค. 2024"])
def test_thai_dates_in_the_ways_people_type_them(written: str) -> None:
    assert parse_typed_date(written)[0] == date(2024, 3, 12)


@given(text=st.text(max_size=30))
def test_any_text_either_reads_as_a_date_or_gets_a_thai_error(text: str) -> None:
    try:
        day, rest = parse_typed_date(text)
    except TypedDateError as error:
        assert "ค่ะ" in str(error)
    else:
        assert isinstance(day, date) and len(rest) <= len(text)


def test_the_division_and_organisation_saved_head_the_reach_report(app, cli):
    client = signed_in_client(app)
    save(client, organisation_name="องค์การบริหารส่วนจังหวัดตัวอย่าง", division_name="กองยุทธศาสตร์และงบประมาณ")

    page = client.get("/admin/reach/export/json").get_data(as_text=True)
    exported = cli("reach", "report", "--format", "json").output

    for text in (page, exported):
        assert "กองยุทธศาสตร์และงบประมาณ องค์การบริหารส่วนจังหวัดตัวอย่าง" in text


def test_a_question_limit_saved_on_the_page_holds_in_line_at_once(app, webhook, line_events, line_stub, starter_pack):
    assert save(signed_in_client(app), question_limit="2", question_window="hour").status_code == 302
    asker = line_events.user("U" + "e" * 32)

    for _ in range(3):
        assert webhook.send(line_events.text("KM คืออะไร", asker)).status_code == 200

    texts = [reply.body["messages"][0].get("text", "(flex)") for reply in line_stub.replies]
    assert texts[:2] == ["(flex)", "(flex)"]
    assert "ขออภัย" in texts[2] and "๒ คำถามใน ๑ ชั่วโมง" in texts[2]


ENVIRONMENT = {"KMBOT_STAFF_COUNT": "80", "KMBOT_REMINDER_HOUR": "7", "KMBOT_PUBLIC_HOLIDAYS": "off",
               "KMBOT_HOLIDAYS": "2024-01-02", "KMBOT_QUESTION_RATE": "5/minute", "KMBOT_ORGANISATION": "อบจ.ตัวอย่าง"}


@given(stored=st.dictionaries(st.sampled_from(sorted(SETTINGS_BY_FIELD)), st.text(max_size=20)))
def test_whatever_is_stored_a_variable_that_is_set_wins_and_nothing_fails(stored: dict[str, str]) -> None:
    environment = Config.from_environment(ENVIRONMENT)
    config = with_stored_settings(environment, stored)
    for field in environment.environment_fields:
        assert getattr(config, field) == getattr(environment, field), field
    assert config.reminder_holidays == (date(2024, 1, 2),)
