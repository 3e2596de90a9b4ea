"""Read the "ระยะเวลา" (period) column of a Thai KM plan into dates, without guessing.

Accepted forms (Thai or Arabic digits, any spacing, hyphen or dash, full or abbreviated month
names with or without dots, BE years in four or two digits):

- a month: ``ก.ย. ๒๕๖๗`` -> the whole month;
- a range: ``ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗``, ``เม.ย. - พ.ค. ๒๕๖๗`` (the first month takes the year of
  the second, or the year before when it would otherwise come after it), ``ม.ค. ถึง มี.ค. 67``;
- onward: ``ก.ค. ๒๕๖๗ เป็นต้นไป`` or ``ตั้งแต่ ก.ค. ๒๕๖๗`` -> starts then, open-ended, due at the
  end of the fiscal year containing the start (30 September);
- by: ``ภายในเดือนก.ย. ๒๕๖๗`` -> due at the end of that month. The start is taken as the 1st of
  that month (for ``ภายในเดือนส.ค. - ก.ย.``, the 1st of the first month) so the committee still
  gets a start reminder; ``ภายใน ๓๐ ก.ย. ๒๕๖๗`` (an exact day) has no start;
- exact days: ``๑๕ ม.ค. ๒๕๖๗``, ``๑ ม.ค. ๒๕๖๗ - ๒๐ ม.ค. ๒๕๖๗``;
- the whole fiscal year: ``ตลอดปีงบประมาณ ๒๕๖๗``.

What cannot be read with certainty is never guessed: the reading is ``certain=False`` with no
dates, the reasons in ``problems`` and, when a typo looks like a month (``มี.ย.``, ``จ.ค.``),
the plausible readings in ``candidates`` and ``suggestion``. Two exceptions are read, with a
note in ``problems``: an identical repetition (``เม.ย. - พ.ค. ๒๕๖๗  เม.ย. - พ.ค. ๒๕๖๗``) reads
as one period, and a missing year is taken from ``fiscal_year`` when the caller knows it
(October-December belong to the CE year before). Without a fiscal year a missing year is
unreadable.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import date

from pythainlp.util import thai_digit_to_arabic_digit

from bot.core.calendar import (
    THAI_ABBREVIATED_MONTHS,
    THAI_FULL_MONTHS,
    Digits,
    convert_digits,
    fiscal_year_bounds,
    fiscal_year_end,
    fiscal_year_of,
    last_day_of_month,
    thai_digits,
    to_buddhist_year,
    to_common_era_year,
)

__all__ = [
    "PeriodReading",
    "format_period",
    "month_from_name",
    "narrow_by_context",
    "parse_period",
]


@dataclass(frozen=True)
class PeriodReading:
    """How a period text was read.

    ``problems`` holds the reasons a reading is uncertain, and also notes on a certain reading
    that a person should see (a repetition, a year taken from the fiscal year).
    ``candidates`` are complete period texts that would read with certainty, most likely first;
    ``suggestion`` is what to show a person: the single most likely one, or several joined
    with "หรือ" when they are equally likely.
    """

    text: str
    start: date | None
    deadline: date | None
    open_ended: bool
    certain: bool
    problems: tuple[str, ...] = ()
    suggestion: str | None = None
    candidates: tuple[str, ...] = ()


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str
    raw: str
    value: int = 0
    position: int = 0

    def same_as(self, other: _Token) -> bool:
        return self.kind == other.kind and self.value == other.value and (
            self.kind != "unknown" or self.raw == other.raw
        )


# An abbreviation must end the word, or "ก.ค.ศ." (a committee's name) would read as ก.ค.
_NOT_FOLLOWED_BY_CONSONANT = r"(?![\u0E01-\u0E2E])"


def _abbreviation_pattern(abbreviation: str) -> str:
    letter_groups = [group for group in abbreviation.split(".") if group]
    return r"\.?\s*".join(re.escape(group) for group in letter_groups) + r"\.?"


_KEYWORD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("within", r"ภายใน"),
        ("from", r"ตั้งแต่"),
        ("fiscal_year_word", r"(?:ตลอด\s*)?ปีงบประมาณ"),
        ("month_word", r"เดือน"),
        ("onward", r"เป็น\s*ต้น\s*ไป"),
        ("dash", r"-|ถึง"),
        ("era", r"พ\.\s*ศ\.?|พศ\.?"),
        ("number", r"\d+"),
    )
)

_MONTH_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = tuple(
    [(index + 1, re.compile(re.escape(name))) for index, name in enumerate(THAI_FULL_MONTHS)]
    + [
        (index + 1, re.compile(_abbreviation_pattern(name) + _NOT_FOLLOWED_BY_CONSONANT))
        for index, name in enumerate(THAI_ABBREVIATED_MONTHS)
    ]
)

_UNKNOWN_THAI = re.compile(r"[\u0E01-\u0E4E.]+")
_UNKNOWN_OTHER = re.compile(r"[^\s\u0E00-\u0E7F\d-]+")
# Table cells often end with a stray full stop or comma; it carries no meaning.
_IGNORABLE_PUNCTUATION = re.compile(r"[.,;]+")
_UNIFORM_PUNCTUATION = str.maketrans(
    {"–": "-", "—": "-", "‑": "-", "−": "-", "~": "-", "\u00a0": " "}
)


def _normalise(text: str) -> str:
    cleaned = thai_digit_to_arabic_digit(text).translate(_UNIFORM_PUNCTUATION).replace("\u200b", "")
    return " ".join(cleaned.split())


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        token = replace(_token_at(text, position), position=position)
        position += len(token.raw)
        if token.kind == "unknown" and _IGNORABLE_PUNCTUATION.fullmatch(token.raw):
            continue
        tokens.append(token)
    return tokens


def _token_at(text: str, position: int) -> _Token:
    for kind, pattern in _KEYWORD_PATTERNS:
        match = pattern.match(text, position)
        if match:
            value = int(match.group()) if kind == "number" else 0
            return _Token(kind, match.group(), value)
    for month, pattern in _MONTH_PATTERNS:
        match = pattern.match(text, position)
        if match:
            return _Token("month", match.group(), month)
    for pattern in (_UNKNOWN_THAI, _UNKNOWN_OTHER):
        match = pattern.match(text, position)
        if match:
            return _Token("unknown", match.group())
    return _Token("unknown", text[position])


def month_from_name(name: str) -> int | None:
    """1..12 for a Thai month name, full or abbreviated in any dotting; None otherwise."""
    tokens = _tokenise(_normalise(name))
    if len(tokens) == 1 and tokens[0].kind == "month":
        return tokens[0].value
    return None


# --- grammar ------------------------------------------------------------------------------


class _Unreadable(Exception):
    """The text does not follow any accepted period form."""


@dataclass(frozen=True)
class _Point:
    day: int | None
    month: int
    be_year: int | None


@dataclass(frozen=True)
class _Shape:
    first: _Point | None
    second: _Point | None
    within: bool
    onward: bool
    whole_fiscal_year: bool
    fiscal_year_written: int | None


class _TokenStream:
    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.index = 0

    def peek(self, offset: int = 0) -> _Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def take(self, kind: str) -> _Token | None:
        token = self.peek()
        if token is not None and token.kind == kind:
            self.index += 1
            return token
        return None

    def rest(self) -> list[_Token]:
        return self.tokens[self.index :]

    def rest_text(self) -> str:
        """The normalised text from the next token on, as written."""
        following = self.peek()
        if following is None:
            return ""
        end = self.tokens[-1].position + len(self.tokens[-1].raw)
        return self.text[following.position : end]


def _read_shape(tokens: list[_Token], text: str) -> tuple[_Shape, list[str]]:
    notes: list[str] = []
    stream = _TokenStream(tokens, text)
    within = stream.take("within") is not None
    starts_with_from = stream.take("from") is not None
    if stream.take("fiscal_year_word"):
        stream.take("era")
        written = stream.take("number")
        fiscal_year = _read_year(written, notes) if written else None
        _expect_end(stream)
        return _Shape(None, None, False, False, True, fiscal_year), notes
    first = _read_point(stream, notes)
    second = None
    if stream.take("dash"):
        second = _read_point(stream, notes)
    onward = stream.take("onward") is not None or (starts_with_from and second is None)
    _expect_end(stream)
    if onward and (within or second is not None):
        raise _Unreadable("อ่านไม่ได้ว่าเป็นช่วงเวลาหรือเป็นต้นไป")
    return _Shape(first, second, within, onward, False, None), notes


def _read_point(stream: _TokenStream, notes: list[str]) -> _Point:
    stream.take("month_word")
    day = None
    current, following = stream.peek(), stream.peek(1)
    if current is not None and current.kind == "number":
        if following is not None and following.kind in ("month", "month_word", "unknown"):
            day = current.value
            stream.index += 1
            stream.take("month_word")
    month_token = stream.take("month")
    if month_token is None:
        unexpected = stream.peek()
        if unexpected is not None and unexpected.kind == "unknown":
            raise _Unreadable(f"“{unexpected.raw}” ไม่ใช่ชื่อเดือน")
        raise _Unreadable("ไม่พบชื่อเดือน")
    has_era = stream.take("era") is not None
    year_token = stream.take("number")
    if has_era and year_token is None:
        raise _Unreadable("มี “พ.ศ.” แต่ไม่มีปี")
    be_year = _read_year(year_token, notes) if year_token else None
    return _Point(day, month_token.value, be_year)


def _read_year(token: _Token, notes: list[str]) -> int:
    digits_written = len(token.raw)
    if digits_written == 2:
        return 2500 + token.value
    if digits_written == 4 and 2400 <= token.value <= 2799:
        return token.value
    if digits_written == 4 and 1900 <= token.value <= 2299:
        be_year = to_buddhist_year(token.value)
        notes.append(thai_digits(f"ปี {token.value} เป็นปี ค.ศ. อ่านเป็น พ.ศ. {be_year}"))
        return be_year
    raise _Unreadable(f"อ่านปี “{token.raw}” ไม่ได้")


def _expect_end(stream: _TokenStream) -> None:
    leftover = stream.rest()
    if not leftover:
        return
    written = thai_digits(stream.rest_text())
    if any(token.kind == "unknown" for token in leftover):
        raise _Unreadable(f"มีข้อความที่อ่านไม่ได้: “{written}”")
    if any(token.kind == "month" for token in leftover):
        raise _Unreadable(f"เขียนระยะเวลาไว้มากกว่าหนึ่งช่วง (“{written}”)")
    raise _Unreadable(f"มีข้อความเกินมาหลังระยะเวลา: “{written}”")


# --- meaning ------------------------------------------------------------------------------


def _ce_year_in_fiscal_year(month: int, fiscal_year: int) -> int:
    ce_year_of_end = to_common_era_year(fiscal_year)
    return ce_year_of_end - 1 if month >= 10 else ce_year_of_end


def _resolve_years(
    shape: _Shape, fiscal_year: int | None, notes: list[str]
) -> tuple[_Point, _Point | None]:
    first, second = shape.first, shape.second
    assert first is not None
    if second is not None:
        # "พ.ย. - ม.ค. ๒๕๖๗": a range runs forward, so the unwritten year is the one that
        # keeps the first point before the second.
        first_in_same_year_is_later = (first.month, first.day or 1) > (
            second.month,
            second.day or 31,
        )
        if first.be_year is None and second.be_year is not None:
            year_shift = 1 if first_in_same_year_is_later else 0
            first = replace(first, be_year=second.be_year - year_shift)
        elif second.be_year is None and first.be_year is not None:
            year_shift = 1 if first_in_same_year_is_later else 0
            second = replace(second, be_year=first.be_year + year_shift)
    points = [point for point in (first, second) if point is not None]
    if all(point.be_year is not None for point in points):
        return first, second
    if fiscal_year is None:
        raise _Unreadable("ไม่ได้ระบุปี พ.ศ.")
    notes.append(thai_digits(f"ไม่ได้ระบุปี พ.ศ. จึงอ่านตามปีงบประมาณ {fiscal_year}"))

    def in_fiscal_year(point: _Point | None) -> _Point | None:
        if point is None:
            return None
        ce_year = _ce_year_in_fiscal_year(point.month, fiscal_year)
        return replace(point, be_year=to_buddhist_year(ce_year))

    return in_fiscal_year(first), in_fiscal_year(second)


def _first_day(point: _Point) -> date:
    ce_year = to_common_era_year(point.be_year)
    return _checked_day(ce_year, point.month, 1 if point.day is None else point.day)


def _last_day(point: _Point) -> date:
    ce_year = to_common_era_year(point.be_year)
    if point.day is None:
        return last_day_of_month(ce_year, point.month)
    return _checked_day(ce_year, point.month, point.day)


def _checked_day(ce_year: int, month: int, day: int) -> date:
    try:
        return date(ce_year, month, day)
    except (ValueError, OverflowError):
        raise _Unreadable(
            thai_digits(f"ไม่มีวันที่ {day} ใน{THAI_FULL_MONTHS[month - 1]} {to_buddhist_year(ce_year)}")
        ) from None


def _dates_of(
    shape: _Shape, fiscal_year: int | None, notes: list[str]
) -> tuple[date | None, date, bool]:
    """(start, deadline, open_ended) of a shape, or _Unreadable."""
    if shape.whole_fiscal_year:
        year = shape.fiscal_year_written
        if year is None:
            if fiscal_year is None:
                raise _Unreadable("ไม่ได้ระบุปีงบประมาณ")
            notes.append(thai_digits(f"ไม่ได้ระบุปี จึงอ่านเป็นปีงบประมาณ {fiscal_year}"))
            year = fiscal_year
        first_day, last_day = fiscal_year_bounds(year)
        return first_day, last_day, False
    first, second = _resolve_years(shape, fiscal_year, notes)
    if shape.onward:
        start = _first_day(first)
        return start, fiscal_year_end(start), True
    if second is None:
        if shape.within and first.day is not None:
            return None, _last_day(first), False
        return _first_day(first), _last_day(first), False
    start, deadline = _first_day(first), _last_day(second)
    if start > deadline:
        raise _Unreadable("วันเริ่มอยู่หลังวันสิ้นสุด")
    return start, deadline, False


def _repetition_unit(tokens: list[_Token]) -> list[_Token] | None:
    """The shorter sequence the tokens repeat exactly, if they are one written twice or more."""
    count = len(tokens)
    for size in range(1, count // 2 + 1):
        if count % size:
            continue
        unit = tokens[:size]
        if all(token.same_as(unit[index % size]) for index, token in enumerate(tokens)):
            return unit
    return None


def _read_tokens(
    tokens: list[_Token], text: str, fiscal_year: int | None
) -> tuple[date | None, date, bool, list[str]]:
    if all(token.kind == "dash" for token in tokens):
        raise _Unreadable("ไม่ได้ระบุระยะเวลา")
    try:
        shape, notes = _read_shape(tokens, text)
    except _Unreadable:
        unit = _repetition_unit(tokens)
        if unit is None:
            raise
        shape, notes = _read_shape(unit, text)
        notes.insert(0, "ระยะเวลาเขียนซ้ำกัน อ่านเป็นช่วงเดียว")
    start, deadline, open_ended = _dates_of(shape, fiscal_year, notes)
    return start, deadline, open_ended, notes


def parse_period(text: str, *, fiscal_year: int | None = None) -> PeriodReading:
    """Read a plan's period text. ``fiscal_year`` (BE) supplies missing years and flags
    periods that fall outside it."""
    normalised = _normalise(text)
    tokens = _tokenise(normalised)
    try:
        start, deadline, open_ended, notes = _read_tokens(tokens, normalised, fiscal_year)
    except _Unreadable as reason:
        return _uncertain_reading(text, tokens, normalised, str(reason), fiscal_year)
    if fiscal_year is not None and not _inside_fiscal_year(start, deadline, fiscal_year):
        notes.append(thai_digits(f"ระยะเวลาอยู่นอกปีงบประมาณ {fiscal_year}"))
    return PeriodReading(
        text=text,
        start=start,
        deadline=deadline,
        open_ended=open_ended,
        certain=True,
        problems=tuple(notes),
    )


def _inside_fiscal_year(start: date | None, deadline: date, fiscal_year: int) -> bool:
    first_day, last_day = fiscal_year_bounds(fiscal_year)
    return first_day <= (start or deadline) and deadline <= last_day


# --- suggestions for typos ----------------------------------------------------------------

# Beyond this many equally possible readings a suggestion no longer helps anyone.
_MOST_CANDIDATES_WORTH_SHOWING = 4
_CONFUSABLE_MARKS = (frozenset("ิี"), frozenset("ึื"), frozenset("ุู"), frozenset("่้"))
_MONTH_SPELLINGS: tuple[tuple[int, str], ...] = tuple(
    [(index + 1, name.replace(".", "")) for index, name in enumerate(THAI_ABBREVIATED_MONTHS)]
    + [(index + 1, name) for index, name in enumerate(THAI_FULL_MONTHS)]
)


def _substitution_cost(written: str, intended: str) -> float:
    if written == intended:
        return 0.0
    # A wrong vowel of the same shape (มี/มิ) is an easier slip than a wrong consonant.
    if any(written in pair and intended in pair for pair in _CONFUSABLE_MARKS):
        return 0.5
    return 1.0


def _typing_distance(written: str, intended: str) -> float:
    previous = [float(index) for index in range(len(intended) + 1)]
    for row, written_char in enumerate(written, start=1):
        current = [float(row)]
        for column, intended_char in enumerate(intended, start=1):
            current.append(
                min(
                    previous[column] + 1,
                    current[column - 1] + 1,
                    previous[column - 1] + _substitution_cost(written_char, intended_char),
                )
            )
        previous = current
    return previous[-1]


def _month_guesses(raw: str) -> list[tuple[float, int]]:
    letters = raw.replace(".", "").replace(" ", "")
    if not letters:
        return []
    best_by_month: dict[int, float] = {}
    for month, spelling in _MONTH_SPELLINGS:
        allowed = 1.0 if len(spelling) <= 3 else 2.0
        cost = _typing_distance(letters, spelling)
        if cost <= allowed:
            best_by_month[month] = min(cost, best_by_month.get(month, cost))
    return sorted((cost, month) for month, cost in best_by_month.items())


def _uncertain_reading(
    text: str, tokens: list[_Token], normalised: str, reason: str, fiscal_year: int | None
) -> PeriodReading:
    candidates = _candidate_readings(tokens, normalised, fiscal_year)
    problems = [reason]
    suggestion = None
    if candidates:
        best_cost = candidates[0][0]
        best = [candidate for cost, candidate in candidates if cost == best_cost]
        suggestion = " หรือ ".join(best)
        problems.append("อาจหมายถึง " + " หรือ ".join(candidate for _, candidate in candidates))
    return PeriodReading(
        text=text,
        start=None,
        deadline=None,
        open_ended=False,
        certain=False,
        problems=tuple(problems),
        suggestion=suggestion,
        candidates=tuple(candidate for _, candidate in candidates),
    )


def _candidate_readings(
    tokens: list[_Token], normalised: str, fiscal_year: int | None
) -> list[tuple[float, str]]:
    """Certain readings obtained by replacing unknown words with the months they resemble."""
    unknown_positions = [index for index, token in enumerate(tokens) if token.kind == "unknown"]
    if not unknown_positions or len(unknown_positions) > 2:
        return []
    options = [_month_guesses(tokens[index].raw) for index in unknown_positions]
    if not all(options):
        return []
    plausible: list[tuple[int, float, str]] = []
    possible: list[tuple[int, float, str]] = []
    for choice in itertools.product(*options):
        replaced = list(tokens)
        for index, (_, month) in zip(unknown_positions, choice):
            replaced[index] = _Token("month", THAI_ABBREVIATED_MONTHS[month - 1], month)
        try:
            start, deadline, open_ended, _ = _read_tokens(replaced, normalised, fiscal_year)
        except _Unreadable:
            continue
        cost = sum(guess_cost for guess_cost, _ in choice)
        entry = (cost, start or deadline, format_period(start, deadline, open_ended))
        possible.append(entry)
        if _plausible_for_plan(start, deadline, fiscal_year):
            plausible.append(entry)
    chosen = sorted(plausible or possible, key=lambda entry: (entry[0], entry[1]))
    by_text: dict[str, float] = {}
    for cost, _, text in chosen:
        by_text.setdefault(text, cost)
    if len(by_text) > _MOST_CANDIDATES_WORTH_SHOWING:
        return []
    return [(cost, text) for text, cost in by_text.items()]


def _plausible_for_plan(start: date | None, deadline: date, fiscal_year: int | None) -> bool:
    # A plan's activities sit inside one fiscal year: that narrows จ.ค. ๒๕๖๖ to ต.ค. or ธ.ค.
    if fiscal_year is not None:
        return _inside_fiscal_year(start, deadline, fiscal_year)
    return fiscal_year_of(start or deadline) == fiscal_year_of(deadline)


def narrow_by_context(
    reading: PeriodReading, *, not_before: date | None = None, not_after: date | None = None
) -> PeriodReading:
    """Keep the candidates whose start lies between the neighbouring activities' starts.

    Plans list their steps in time order, so an unreadable period between พ.ค. and ก.ค. is
    more likely มิ.ย. than มี.ค. The reading stays uncertain: this only sharpens the
    suggestion. When no candidate fits, the reading is returned unchanged.
    """
    if reading.certain or not reading.candidates:
        return reading
    fitting = []
    for candidate in reading.candidates:
        candidate_reading = parse_period(candidate)
        start = candidate_reading.start or candidate_reading.deadline
        if start is None:
            continue
        after_previous = not_before is None or start >= not_before
        before_next = not_after is None or start <= not_after
        if after_previous and before_next:
            fitting.append(candidate)
    if not fitting or len(fitting) == len(reading.candidates):
        return reading
    note = "ตามลำดับกิจกรรมในตาราง น่าจะเป็น " + " หรือ ".join(fitting)
    return replace(
        reading,
        problems=reading.problems + (note,),
        suggestion=" หรือ ".join(fitting),
        candidates=tuple(fitting),
    )


# --- writing ------------------------------------------------------------------------------


def _month_text(day: date, digits: Digits) -> str:
    return convert_digits(
        f"{THAI_ABBREVIATED_MONTHS[day.month - 1]} {to_buddhist_year(day.year)}", digits
    )


def _day_text(day: date, digits: Digits) -> str:
    return convert_digits(f"{day.day} ", digits) + _month_text(day, digits)


def format_period(
    start: date | None,
    deadline: date | None,
    open_ended: bool = False,
    *,
    digits: Digits = "thai",
) -> str:
    """Thai period text that ``parse_period`` reads back to the same dates.

    Whole months are written as months (``ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗``), anything else with days.
    An open-ended period is written from its start (``ก.ค. ๒๕๖๗ เป็นต้นไป``); its deadline
    must be None or the end of the start's fiscal year, since that is all the text can say.
    """
    if open_ended:
        if start is None:
            raise ValueError("an open-ended period needs a start")
        if deadline is not None and deadline != fiscal_year_end(start):
            raise ValueError("an open-ended period ends with the fiscal year of its start")
        written_start = _month_text(start, digits) if start.day == 1 else _day_text(start, digits)
        return f"{written_start} เป็นต้นไป"
    if deadline is None:
        raise ValueError("a period needs a deadline unless it is open-ended")
    if start is None:
        return f"ภายใน {_day_text(deadline, digits)}"
    if start > deadline:
        raise ValueError("start must not be after deadline")
    whole_months = start.day == 1 and deadline == last_day_of_month(deadline.year, deadline.month)
    if not whole_months:
        if start == deadline:
            return _day_text(start, digits)
        return f"{_day_text(start, digits)} - {_day_text(deadline, digits)}"
    if (start.year, start.month) == (deadline.year, deadline.month):
        return _month_text(start, digits)
    if start.year == deadline.year:
        return f"{THAI_ABBREVIATED_MONTHS[start.month - 1]} - {_month_text(deadline, digits)}"
    return f"{_month_text(start, digits)} - {_month_text(deadline, digits)}"
