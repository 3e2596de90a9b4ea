"""The one place where the product learns what time it is, and how Thai offices write dates.

Everything is in Asia/Bangkok. Years shown to people are Buddhist Era (BE = CE + 543).
The Thai government fiscal year N (BE) runs from 1 October of CE year N-544 to
30 September of CE year N-543, so FY 2567 is 2023-10-01 .. 2024-09-30.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pythainlp.util import (
    arabic_digit_to_thai_digit,
    thai_digit_to_arabic_digit,
    thai_strftime,
)
from pythainlp.util.date import thai_abbr_months, thai_full_months

BANGKOK = ZoneInfo("Asia/Bangkok")

BUDDHIST_ERA_OFFSET = 543

THAI_FULL_MONTHS: tuple[str, ...] = tuple(thai_full_months)
"""มกราคม .. ธันวาคม; index 0 is January."""

THAI_ABBREVIATED_MONTHS: tuple[str, ...] = tuple(thai_abbr_months)
"""ม.ค. .. ธ.ค.; index 0 is January."""

FISCAL_YEAR_FIRST_MONTH = 10

Digits = Literal["thai", "arabic"]


def now() -> datetime:
    """The current moment, aware, in Bangkok time."""
    # Read the clock at call time (never cache it) so tests can travel in time.
    return datetime.now(BANGKOK)


def today() -> date:
    """Today's date in Bangkok."""
    return now().date()


def to_bangkok(moment: datetime) -> datetime:
    """The same moment expressed in Bangkok time; a naive datetime is taken as Bangkok time."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=BANGKOK)
    return moment.astimezone(BANGKOK)


def to_buddhist_year(ce_year: int) -> int:
    return ce_year + BUDDHIST_ERA_OFFSET


def to_common_era_year(be_year: int) -> int:
    return be_year - BUDDHIST_ERA_OFFSET


def fiscal_year_of(day: date) -> int:
    """The Thai fiscal year (BE) that contains the day."""
    ce_year_of_end = day.year + 1 if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year
    return to_buddhist_year(ce_year_of_end)


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day (inclusive) of a Thai fiscal year given in BE."""
    ce_year_of_end = to_common_era_year(fiscal_year)
    return date(ce_year_of_end - 1, FISCAL_YEAR_FIRST_MONTH, 1), date(ce_year_of_end, 9, 30)


def fiscal_year_end(day: date) -> date:
    """30 September closing the fiscal year that contains the day."""
    return fiscal_year_bounds(fiscal_year_of(day))[1]


def fiscal_months(fiscal_year: int) -> list[tuple[int, int]]:
    """(CE year, month) pairs of a fiscal year in fiscal order, October first."""
    first_day, _ = fiscal_year_bounds(fiscal_year)
    months: list[tuple[int, int]] = []
    year, month = first_day.year, first_day.month
    for _ in range(12):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def fiscal_month_label(year: int, month: int) -> str:
    """"2567-03" for March 2024: a BE year and calendar month, as the reach report takes them."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return f"{to_buddhist_year(year):04d}-{month:02d}"


_BE_MONTH_PATTERN = re.compile(r"(\d{4})\s*[-/]\s*(\d{1,2})")


def parse_be_month(text: str) -> tuple[int, int]:
    """Read "2567-03" (also with Thai digits) as (CE year, month) = (2024, 3)."""
    cleaned = thai_digit_to_arabic_digit(text.strip())
    match = _BE_MONTH_PATTERN.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"รูปแบบเดือนไม่ถูกต้อง: {text!r} (ต้องเป็น ปี พ.ศ.-เดือน เช่น 2567-03)")
    be_year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"เดือนต้องอยู่ระหว่าง 1 ถึง 12: {text!r}")
    # A year this small is a Common Era year typed by mistake; reading it as BE would
    # silently point at the 15th century.
    if be_year < 2400:
        raise ValueError(f"ปีต้องเป็น พ.ศ. เช่น 2567: {text!r}")
    return to_common_era_year(be_year), month


@dataclass(frozen=True)
class Period:
    """What a page, a command or a report covers: a fiscal year (BE), or one month of it."""

    fiscal_year: int
    month: str | None = None
    """The BE month label ("2567-03"), or None for the whole fiscal year."""


def resolve_period(
    fiscal_year: int | str | None = None,
    month: str | None = None,
    *,
    available: Iterable[int] | None = None,
    on: date | None = None,
    strict: bool = False,
) -> Period:
    """The one rule for which fiscal year (and month) to show.

    - A fiscal year asked for (a number, or text as typed, Thai digits allowed) is used when it
      is a BE year and, if ``available`` (the years that have a plan) is given, one of them.
    - A month ("2567-03") alone implies its fiscal year.
    - Otherwise the current fiscal year (of ``on``, default today), unless ``available`` is
      given, not empty, and lacks it: then the latest available year.

    Not ``strict`` (pages, chat), what cannot be used is ignored; ``strict`` (the CLI), it
    raises ValueError with a Thai explanation.
    """
    wanted: int | None = None
    if isinstance(fiscal_year, str):
        written = thai_digit_to_arabic_digit(fiscal_year.strip())
        if written.isdigit():
            wanted = int(written)
        elif written and strict:
            raise ValueError(f"ปีงบประมาณต้องเป็นตัวเลข พ.ศ. เช่น 2567 (ได้ {fiscal_year!r})")
    else:
        wanted = fiscal_year
    if wanted is not None and not 2400 <= wanted <= 2800:
        if strict:
            raise ValueError(f"ปีงบประมาณต้องเป็น พ.ศ. เช่น 2567 (ได้ {wanted})")
        wanted = None
    years = set(available) if available is not None else None
    if wanted is not None and years is not None and wanted not in years:
        wanted = None
    month_label: str | None = None
    if month is not None and month.strip():
        try:
            year, month_number = parse_be_month(month)
        except ValueError:
            if strict:
                raise
        else:
            month_label = fiscal_month_label(year, month_number)
            month_fiscal_year = fiscal_year_of(date(year, month_number, 1))
            if wanted is None:
                wanted = month_fiscal_year
            elif wanted != month_fiscal_year:
                if strict:
                    raise ValueError(f"เดือน {month_label} อยู่ในปีงบประมาณ {month_fiscal_year} ไม่ใช่ {wanted}")
                month_label = None
    if wanted is None:
        wanted = fiscal_year_of(on or today())
        if years and wanted not in years:
            wanted = max(years)
    return Period(wanted, month_label)


def convert_digits(text: str, digits: Digits) -> str:
    """Write the text's digits as Thai (๐-๙) or Arabic (0-9) digits."""
    if digits == "thai":
        return arabic_digit_to_thai_digit(text)
    if digits == "arabic":
        return thai_digit_to_arabic_digit(text)
    raise ValueError(f"digits must be 'thai' or 'arabic', got {digits!r}")


def thai_digits(value: object) -> str:
    """Any value as text with Thai digits: 12 -> "๑๒", "แผนที่ 2" -> "แผนที่ ๒"."""
    return arabic_digit_to_thai_digit(str(value))


def _strftime(moment: datetime, pattern: str, digits: Digits) -> str:
    if digits not in ("thai", "arabic"):
        raise ValueError(f"digits must be 'thai' or 'arabic', got {digits!r}")
    return thai_strftime(moment, pattern, thaidigit=digits == "thai")


def format_thai_date(day: date, digits: Digits = "thai") -> str:
    """"๒๙ ก.พ. ๒๕๖๗": day, abbreviated Thai month, BE year."""
    return _strftime(datetime(day.year, day.month, day.day), "%-d %b %Y", digits)


def format_thai_month(year: int, month: int, digits: Digits = "thai") -> str:
    """"ก.พ. ๒๕๖๗" for February 2024."""
    return convert_digits(f"{THAI_ABBREVIATED_MONTHS[month - 1]} {to_buddhist_year(year)}", digits)


def format_thai_datetime(moment: datetime, digits: Digits = "thai") -> str:
    """"๒๙ ก.พ. ๒๕๖๗ ๐๙:๐๐ น." in Bangkok time."""
    return _strftime(to_bangkok(moment), "%-d %b %Y %H:%M น.", digits)
