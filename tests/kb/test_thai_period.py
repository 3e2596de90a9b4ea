"""Reading the plan's "ระยะเวลา" column: every period the sample plan writes, and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythainlp.util import arabic_digit_to_thai_digit, thai_digit_to_arabic_digit

from bot.core.calendar import (
    THAI_ABBREVIATED_MONTHS,
    THAI_FULL_MONTHS,
    fiscal_year_end,
    last_day_of_month,
    to_buddhist_year,
)
from kb.thai_period import (
    format_period,
    month_from_name,
    narrow_by_context,
    parse_period,
)

FY_2567 = 2567

# Every readable period in the FY 2567 plan's two action-plan tables and two
# change-management tables, with the dates the committee should be reminded about.
SAMPLE_PERIODS = [
    # period as written, start, deadline, open-ended
    ("เม.ย. - พ.ค. ๒๕๖๗  เม.ย. - พ.ค. ๒๕๖๗", date(2024, 4, 1), date(2024, 5, 31), False),
    ("ก.ค. ๒๕๖๗ เป็นต้นไป", date(2024, 7, 1), date(2024, 9, 30), True),
    ("ก.ค. - ส.ค. ๒๕๖๗", date(2024, 7, 1), date(2024, 8, 31), False),
    ("ก.ย. ๒๕๖๗ เป็นต้นไป", date(2024, 9, 1), date(2024, 9, 30), True),
    ("ก.ย. ๒๕๖๗", date(2024, 9, 1), date(2024, 9, 30), False),
    ("ธ.ค. ๒๕๖๖ - ม.ค. ๒๕๖๗", date(2023, 12, 1), date(2024, 1, 31), False),
    ("ม.ค. - ก.ย. ๒๕๖๗", date(2024, 1, 1), date(2024, 9, 30), False),
    ("มี.ค. - ก.ย. ๒๕๖๗", date(2024, 3, 1), date(2024, 9, 30), False),
    ("ภายในเดือนส.ค. - ก.ย. ๒๕๖๗", date(2024, 8, 1), date(2024, 9, 30), False),
    ("ภายในเดือนก.ย. ๒๕๖๗", date(2024, 9, 1), date(2024, 9, 30), False),
    ("ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗", date(2023, 12, 1), date(2024, 2, 29), False),
    ("เม.ย. ๒๕๖๗", date(2024, 4, 1), date(2024, 4, 30), False),
    ("พ.ค. ๒๕๖๗", date(2024, 5, 1), date(2024, 5, 31), False),
    ("ส.ค. - ก.ย. ๒๕๖๗", date(2024, 8, 1), date(2024, 9, 30), False),
    ("ธ.ค. ๒๕๖๖ เป็นต้นไป", date(2023, 12, 1), date(2024, 9, 30), True),
    ("ม.ค. ๒๕๖๗ เป็นต้นไป", date(2024, 1, 1), date(2024, 9, 30), True),
    ("ก.พ. ๒๕๖๗ เป็นต้นไป", date(2024, 2, 1), date(2024, 9, 30), True),
]


@pytest.mark.parametrize(("written", "start", "deadline", "open_ended"), SAMPLE_PERIODS)
@pytest.mark.parametrize("fiscal_year", [None, FY_2567])
def test_every_readable_period_of_the_sample_plan(
    written: str, start: date, deadline: date, open_ended: bool, fiscal_year: int | None
) -> None:
    reading = parse_period(written, fiscal_year=fiscal_year)
    assert (reading.start, reading.deadline, reading.open_ended) == (start, deadline, open_ended)
    assert reading.certain
    assert reading.text == written


def test_a_period_written_twice_reads_as_one_with_a_note() -> None:
    reading = parse_period("เม.ย. - พ.ค. ๒๕๖๗  เม.ย. - พ.ค. ๒๕๖๗", fiscal_year=FY_2567)
    assert reading.certain
    assert any("ซ้ำ" in problem for problem in reading.problems)


def test_the_sample_periods_without_notes_have_no_problems() -> None:
    for written, *_ in SAMPLE_PERIODS[1:]:
        assert parse_period(written, fiscal_year=FY_2567).problems == ()


def test_mi_yo_is_not_a_month_but_most_likely_june() -> None:
    # Plan 2, KMP 4 writes "มี.ย." (มี from มี.ค., ย from มิ.ย.).
    reading = parse_period("มี.ย. ๒๕๖๗", fiscal_year=FY_2567)
    assert not reading.certain
    assert (reading.start, reading.deadline) == (None, None)
    assert "มี.ย." in reading.problems[0]
    assert reading.suggestion == "มิ.ย. ๒๕๖๗"
    assert reading.candidates == ("มิ.ย. ๒๕๖๗", "มี.ค. ๒๕๖๗")


def test_jo_kho_is_not_a_month_and_both_likely_readings_are_suggested() -> None:
    # Plan 1, KMP 1 writes "จ.ค. ๒๕๖๖": only ต.ค. and ธ.ค. of BE 2566 are in FY 2567.
    reading = parse_period("จ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗", fiscal_year=FY_2567)
    assert not reading.certain
    assert (reading.start, reading.deadline) == (None, None)
    assert reading.candidates == ("ต.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗", "ธ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗")
    assert reading.suggestion == "ต.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗ หรือ ธ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗"


def test_neighbouring_activities_narrow_a_suggestion_but_never_make_it_certain() -> None:
    reading = parse_period("มี.ย. ๒๕๖๗")
    narrowed = narrow_by_context(reading, not_before=date(2024, 5, 1), not_after=date(2024, 7, 1))
    assert narrowed.candidates == ("มิ.ย. ๒๕๖๗",)
    assert not narrowed.certain and narrowed.start is None
    unchanged = narrow_by_context(
        parse_period("จ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗"), not_after=date(2024, 4, 1)
    )
    assert len(unchanged.candidates) == 2


@pytest.mark.parametrize(
    "written",
    [
        "ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗",
        "ธค 66 – กพ 67",
        "ธ.ค ๒๕๖๖-ก.พ ๒๕๖๗",
        "ธ. ค. 2566 - ก. พ. 2567",
        "  ธ.ค.   ๒๕๖๖  —  ก.พ.  ๒๕๖๗ ",
        "ธันวาคม ๒๕๖๖ ถึง กุมภาพันธ์ ๒๕๖๗",
        "เดือนธันวาคม พ.ศ. ๒๕๖๖ - เดือนกุมภาพันธ์ พ.ศ. ๒๕๖๗",
        "ธ.ค. ๖๖ - ก.พ. ๖๗",
    ],
)
def test_the_same_period_in_the_ways_offices_write_it(written: str) -> None:
    reading = parse_period(written)
    assert reading.certain, reading.problems
    assert (reading.start, reading.deadline) == (date(2023, 12, 1), date(2024, 2, 29))


@pytest.mark.parametrize(
    ("written", "start", "deadline", "open_ended"),
    [
        ("พ.ย. - ม.ค. ๒๕๖๗", date(2023, 11, 1), date(2024, 1, 31), False),
        ("ต.ค. ๒๕๖๖ - ม.ค.", date(2023, 10, 1), date(2024, 1, 31), False),
        ("ตั้งแต่ ม.ค. ๒๕๖๗", date(2024, 1, 1), date(2024, 9, 30), True),
        ("ตลอดปีงบประมาณ พ.ศ. ๒๕๖๗", date(2023, 10, 1), date(2024, 9, 30), False),
        ("ภายใน ๓๐ ก.ย. ๒๕๖๗", None, date(2024, 9, 30), False),
        ("๑๕ ม.ค. ๒๕๖๗", date(2024, 1, 15), date(2024, 1, 15), False),
        ("๑ ม.ค. ๒๕๖๗ - ๒๐ ม.ค. ๒๕๖๗", date(2024, 1, 1), date(2024, 1, 20), False),
        ("๑๕ ก.พ. ๒๕๖๗ เป็นต้นไป", date(2024, 2, 15), date(2024, 9, 30), True),
        ("ก.ย. ๒๕๖๗.", date(2024, 9, 1), date(2024, 9, 30), False),
    ],
)
def test_other_forms(written: str, start: date | None, deadline: date, open_ended: bool) -> None:
    reading = parse_period(written)
    assert reading.certain, reading.problems
    assert (reading.start, reading.deadline, reading.open_ended) == (start, deadline, open_ended)


def test_a_missing_year_comes_from_the_fiscal_year_with_a_note() -> None:
    reading = parse_period("พ.ย. - ก.พ.", fiscal_year=FY_2567)
    assert reading.certain
    assert (reading.start, reading.deadline) == (date(2023, 11, 1), date(2024, 2, 29))
    assert any("ปีงบประมาณ" in problem for problem in reading.problems)


def test_a_missing_year_without_a_fiscal_year_is_unreadable() -> None:
    reading = parse_period("พ.ย. - ก.พ.")
    assert not reading.certain and reading.deadline is None


def test_a_common_era_year_is_read_with_a_note() -> None:
    reading = parse_period("ก.ย. 2024")
    assert reading.certain and reading.deadline == date(2024, 9, 30)
    assert reading.problems


def test_a_period_outside_the_fiscal_year_is_read_but_flagged() -> None:
    reading = parse_period("ต.ค. ๒๕๖๗", fiscal_year=FY_2567)
    assert reading.certain and reading.start == date(2024, 10, 1)
    assert any("นอกปีงบประมาณ" in problem for problem in reading.problems)


@pytest.mark.parametrize(
    "written",
    [
        "",
        "-",
        "ตามความเหมาะสม",
        "ก.ย. ๒๕๖๗ - ม.ค. ๒๕๖๗",
        "เม.ย. ๒๕๖๗ มิ.ย. ๒๕๖๗",
        "๓๑ เม.ย. ๒๕๖๗",
        "ก.ค. - ส.ค. ๒๕๖๗ เป็นต้นไป",
        "ก.ย. ๒๕๖",
    ],
)
def test_what_cannot_be_read_is_not_guessed(written: str) -> None:
    reading = parse_period(written, fiscal_year=FY_2567)
    assert not reading.certain
    assert (reading.start, reading.deadline, reading.open_ended) == (None, None, False)
    assert reading.problems


@pytest.mark.parametrize(
    ("name", "month"),
    [("ธ.ค.", 12), ("ธค", 12), ("ธ.ค", 12), ("ธันวาคม", 12), ("มี.ค.", 3), ("มิ.ย", 6), ("มี.ย.", None)],
)
def test_month_names(name: str, month: int | None) -> None:
    assert month_from_name(name) == month


# --- properties -----------------------------------------------------------------------------------

plan_days = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))
months = st.integers(min_value=1, max_value=12)
years = st.integers(min_value=1950, max_value=2200)
hypothesis_settings = settings(max_examples=300, deadline=None)


@st.composite
def whole_month_periods(draw: st.DrawFn) -> tuple[date, date]:
    first = draw(plan_days).replace(day=1)
    span = draw(st.integers(min_value=0, max_value=24))
    month_index = first.year * 12 + first.month - 1 + span
    last = last_day_of_month(month_index // 12, month_index % 12 + 1)
    return first, last


@hypothesis_settings
@given(whole_month_periods())
def test_whole_month_periods_round_trip(period: tuple[date, date]) -> None:
    start, deadline = period
    reading = parse_period(format_period(start, deadline))
    assert reading.certain and reading.problems == ()
    assert (reading.start, reading.deadline, reading.open_ended) == (start, deadline, False)


@hypothesis_settings
@given(plan_days, st.integers(min_value=0, max_value=400))
def test_day_periods_round_trip(start: date, length: int) -> None:
    deadline = start + timedelta(days=length)
    reading = parse_period(format_period(start, deadline))
    assert reading.certain
    assert (reading.start, reading.deadline) == (start, deadline)


@hypothesis_settings
@given(plan_days)
def test_open_ended_and_deadline_only_periods_round_trip(day: date) -> None:
    onward = parse_period(format_period(day, None, True))
    assert (onward.start, onward.deadline, onward.open_ended) == (day, fiscal_year_end(day), True)
    by = parse_period(format_period(None, day))
    assert (by.start, by.deadline, by.open_ended) == (None, day, False)


@hypothesis_settings
@given(years, months)
def test_every_month_reads_by_its_full_and_abbreviated_names(year: int, month: int) -> None:
    be_year = to_buddhist_year(year)
    abbreviation = THAI_ABBREVIATED_MONTHS[month - 1]
    for name in (THAI_FULL_MONTHS[month - 1], abbreviation, abbreviation.replace(".", "")):
        reading = parse_period(f"{name} {be_year}")
        assert reading.certain, (name, reading.problems)
        assert (reading.start, reading.deadline) == (
            date(year, month, 1),
            last_day_of_month(year, month),
        )


@hypothesis_settings
@given(st.integers(min_value=2500, max_value=2599), months)
def test_two_digit_years_are_buddhist_era_25xx(be_year: int, month: int) -> None:
    month_name = THAI_ABBREVIATED_MONTHS[month - 1]
    short, full = parse_period(f"{month_name} {be_year % 100:02d}"), parse_period(f"{month_name} {be_year}")
    assert short.certain and (short.start, short.deadline) == (full.start, full.deadline)


@hypothesis_settings
@given(plan_days, st.integers(min_value=0, max_value=400), st.booleans())
def test_thai_and_arabic_digits_read_the_same(start: date, length: int, whole_months: bool) -> None:
    if whole_months:
        start = start.replace(day=1)
        end = start + timedelta(days=length)
        deadline = last_day_of_month(end.year, end.month)
    else:
        deadline = start + timedelta(days=length)
    thai = format_period(start, deadline, digits="thai")
    assert thai == arabic_digit_to_thai_digit(format_period(start, deadline, digits="arabic"))
    in_thai, in_arabic = parse_period(thai), parse_period(thai_digit_to_arabic_digit(thai))
    assert (in_thai.start, in_thai.deadline) == (in_arabic.start, in_arabic.deadline) == (start, deadline)


period_like_text = st.lists(
    st.one_of(
        st.sampled_from(list("กขคจตธพมยสเิีุ.-–0123456789๐๑๒๕๖๗ ")),
        st.sampled_from(["ม.ค.", "ก.ย.", "เป็นต้นไป", "ภายในเดือน", "ถึง", "2567", "๒๕๖๖", " - "]),
    ),
    max_size=12,
).map("".join)


@hypothesis_settings
@given(st.one_of(period_like_text, st.text(max_size=30)))
def test_any_text_gives_an_honest_reading(text: str) -> None:
    reading = parse_period(text)
    if reading.certain:
        assert reading.deadline is not None
        assert reading.start is None or reading.start <= reading.deadline
    else:
        assert (reading.start, reading.deadline) == (None, None)
        assert reading.problems
    for candidate in reading.candidates:
        assert parse_period(candidate).certain
