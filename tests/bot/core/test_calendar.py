"""The clock: Bangkok time, Buddhist Era years, the Thai fiscal year and Thai date formats."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from bot.core import calendar
from bot.core.calendar import (
    BANGKOK,
    THAI_ABBREVIATED_MONTHS,
    THAI_FULL_MONTHS,
    fiscal_month_label,
    fiscal_months,
    fiscal_year_bounds,
    fiscal_year_of,
    format_thai_date,
    format_thai_datetime,
    parse_be_month,
    to_buddhist_year,
    to_common_era_year,
)

plan_era_dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))


# --- now and today ----------------------------------------------------------------------------


def test_now_is_bangkok_time_read_at_call_time() -> None:
    with time_machine.travel(datetime(2024, 2, 29, 2, 0, tzinfo=timezone.utc), tick=False):
        moment = calendar.now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(hours=7)
    assert (moment.date(), moment.hour) == (date(2024, 2, 29), 9)


def test_today_follows_bangkok_not_utc() -> None:
    # 20:00 UTC on leap day is already 1 March in Bangkok.
    with time_machine.travel(datetime(2024, 2, 29, 20, 0, tzinfo=timezone.utc), tick=False):
        assert calendar.today() == date(2024, 3, 1)


# --- Buddhist Era and fiscal year ---------------------------------------------------------------


def test_buddhist_era_is_543_years_ahead() -> None:
    assert to_buddhist_year(2024) == 2567
    assert to_common_era_year(2567) == 2024


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [
        (date(2023, 9, 30), 2566),
        (date(2023, 10, 1), 2567),
        (date(2023, 12, 31), 2567),
        (date(2024, 1, 1), 2567),
        (date(2024, 2, 29), 2567),
        (date(2024, 9, 30), 2567),
        (date(2024, 10, 1), 2568),
    ],
)
def test_fiscal_year_changes_on_the_first_of_october(day: date, fiscal_year: int) -> None:
    assert fiscal_year_of(day) == fiscal_year


def test_fiscal_year_2567_runs_october_2023_to_september_2024() -> None:
    assert fiscal_year_bounds(2567) == (date(2023, 10, 1), date(2024, 9, 30))


def test_fiscal_months_start_in_october() -> None:
    months = fiscal_months(2567)
    assert months[:3] == [(2023, 10), (2023, 11), (2023, 12)]
    assert months[3] == (2024, 1)
    assert months[-1] == (2024, 9)
    assert len(months) == 12


@given(plan_era_dates)
def test_every_day_lies_inside_the_bounds_of_its_fiscal_year(day: date) -> None:
    first_day, last_day = fiscal_year_bounds(fiscal_year_of(day))
    assert first_day <= day <= last_day
    assert (day.year, day.month) in fiscal_months(fiscal_year_of(day))


@given(st.integers(min_value=2450, max_value=2750))
def test_fiscal_years_follow_each_other_without_gap(fiscal_year: int) -> None:
    _, last_day = fiscal_year_bounds(fiscal_year)
    next_first_day, _ = fiscal_year_bounds(fiscal_year + 1)
    assert next_first_day - last_day == timedelta(days=1)
    assert fiscal_year_of(last_day) == fiscal_year
    assert fiscal_year_of(next_first_day) == fiscal_year + 1


# --- the report's month argument ----------------------------------------------------------------


def test_report_month_is_a_buddhist_year_and_calendar_month() -> None:
    assert parse_be_month("2567-03") == (2024, 3)
    assert parse_be_month("๒๕๖๗-๑๐") == (2024, 10)
    assert fiscal_month_label(2024, 3) == "2567-03"


@pytest.mark.parametrize("written", ["2024-03", "2567-13", "2567-00", "March 2567", "2567"])
def test_report_month_refuses_what_it_cannot_mean(written: str) -> None:
    with pytest.raises(ValueError):
        parse_be_month(written)


@given(plan_era_dates)
def test_report_month_label_reads_back(day: date) -> None:
    assert parse_be_month(fiscal_month_label(day.year, day.month)) == (day.year, day.month)


# --- Thai dates in messages ---------------------------------------------------------------------


def test_thai_month_names() -> None:
    assert THAI_FULL_MONTHS[0] == "มกราคม" and THAI_FULL_MONTHS[-1] == "ธันวาคม"
    assert THAI_ABBREVIATED_MONTHS == (
        "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
        "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
    )  # fmt: skip


def test_leap_day_in_thai_digits_and_arabic_digits() -> None:
    assert format_thai_date(date(2024, 2, 29)) == "๒๙ ก.พ. ๒๕๖๗"
    assert format_thai_date(date(2024, 2, 29), digits="arabic") == "29 ก.พ. 2567"


def test_datetime_is_shown_in_bangkok_time_with_the_thai_hour_suffix() -> None:
    assert format_thai_datetime(datetime(2024, 2, 29, 9, 0, tzinfo=BANGKOK)) == "๒๙ ก.พ. ๒๕๖๗ ๐๙:๐๐ น."
    from_utc = datetime(2023, 12, 31, 17, 30, tzinfo=timezone.utc)
    assert format_thai_datetime(from_utc, digits="arabic") == "1 ม.ค. 2567 00:30 น."


# --- which fiscal year (and month) to show -------------------------------------------------

from bot.core.calendar import Period, resolve_period, thai_digits  # noqa: E402


def test_the_period_asked_for_is_used() -> None:
    assert resolve_period(2566, on=date(2024, 5, 20)) == Period(2566)
    assert resolve_period("๒๕๖๖", on=date(2024, 5, 20)) == Period(2566)
    assert resolve_period(None, "2567-03") == Period(2567, "2567-03")
    assert resolve_period(2567, "2567-03") == Period(2567, "2567-03")


def test_without_a_wish_the_current_year_or_else_the_latest_with_a_plan() -> None:
    may_2024 = date(2024, 5, 20)
    assert resolve_period(on=may_2024) == Period(2567)
    assert resolve_period(on=may_2024, available={2566, 2567}) == Period(2567)
    assert resolve_period(on=may_2024, available={2565, 2566}) == Period(2566)
    assert resolve_period(2565, on=may_2024, available={2566}) == Period(2566)
    assert resolve_period(on=may_2024, available=set()) == Period(2567)


def test_pages_ignore_what_they_cannot_use_and_the_cli_explains_it() -> None:
    may_2024 = date(2024, 5, 20)
    assert resolve_period("abc", on=may_2024) == Period(2567)
    assert resolve_period("2024", on=may_2024) == Period(2567)
    assert resolve_period(2567, "2566-03", on=may_2024) == Period(2567)
    assert resolve_period(2567, "2567-13", on=may_2024) == Period(2567)
    with pytest.raises(ValueError, match="พ.ศ."):
        resolve_period(2024, strict=True)
    with pytest.raises(ValueError, match="อยู่ในปีงบประมาณ 2566 ไม่ใช่ 2567"):
        resolve_period(2567, "2566-03", strict=True)
    with pytest.raises(ValueError):
        resolve_period(None, "2567-13", strict=True)


@given(plan_era_dates)
def test_a_month_alone_implies_the_fiscal_year_that_holds_it(day: date) -> None:
    label = fiscal_month_label(day.year, day.month)
    assert resolve_period(None, label) == Period(fiscal_year_of(day), label)


def test_thai_digits_of_any_value() -> None:
    assert thai_digits(2567) == "๒๕๖๗"
    assert thai_digits("แผนที่ 2") == "แผนที่ ๒"
