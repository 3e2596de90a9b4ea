"""The reach dashboard: a fiscal year's figures per month, the plan's indicators, and downloads.

The numbers come from `bot.reach.queries.collect_report` and the files from `bot.reach.export`,
so the page, the CLI and the LINE /stats command always agree. Charts are inline SVG drawn
here on the server: no script, and they print and scale like the rest of the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Response, abort, render_template, request
from sqlalchemy import select

from bot.core.calendar import (
    THAI_ABBREVIATED_MONTHS,
    fiscal_month_label,
    fiscal_months,
    format_thai_datetime,
    format_thai_month,
    resolve_period,
)
from bot.reach.export import render
from bot.reach.figures import FIGURE_HEADINGS, Indicator, ReachReport
from bot.reach.queries import collect_report
from bot.web.admin import blueprint
from bot.web.extensions import get_config, get_database
from kb.tables import Plan

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "json": "application/json; charset=utf-8",
}
YEARS_BACK = 4
# Figures shown as cards at the top, in this order.
CARD_KEYS = ("questions", "answered", "distinct_users", "article_views", "feedback_helpful", "feedback_unhelpful",
             "pushes", "survey_responses")
ACTIVITY_SERIES = (("questions", "คำถาม", "#1B4F72"), ("answered", "ตอบได้", "#28B463"), ("article_views", "เปิดอ่านบทความ", "#F39C12"))
USER_SERIES = (("distinct_users", "ผู้ใช้งาน (คน)", "#8E44AD"),)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class BarChart:
    """Everything the template needs to draw grouped vertical bars in an SVG viewBox."""

    title: str
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    bars: list[Bar]
    month_labels: list[tuple[float, str, str]]  # (x, month, year)
    grid: list[tuple[float, int]]  # (y, value)
    legend: list[tuple[str, str]]  # (label, color)


def bar_chart(report: ReachReport, series: tuple[tuple[str, str, str], ...], title: str) -> BarChart:
    # Small enough that the axis text stays legible when the chart shrinks to half a desk screen.
    width, height = 560, 250
    left, right, top, bottom = 40, 8, 14, 200
    plot_width = width - left - right
    months = report.months
    group_width = plot_width / max(len(months), 1)
    bar_width = group_width * 0.8 / len(series)
    tallest = max((getattr(row.figures, key) for row in months for key, _label, _color in series), default=0)
    scale_top = _nice_ceiling(tallest)
    bars: list[Bar] = []
    labels: list[tuple[float, str, str]] = []
    for index, row in enumerate(months):
        group_left = left + index * group_width + group_width * 0.1
        for series_index, (key, label, color) in enumerate(series):
            value = getattr(row.figures, key)
            bar_height = (bottom - top) * value / scale_top
            bars.append(Bar(
                x=round(group_left + series_index * bar_width, 1), y=round(bottom - bar_height, 1),
                width=round(bar_width * 0.92, 1), height=round(bar_height, 1), color=color,
                title=f"{row.thai_label} · {label}: {value:,}",
            ))
        labels.append((round(left + (index + 0.5) * group_width, 1), THAI_ABBREVIATED_MONTHS[row.month - 1], f"{(row.year + 543) % 100:02d}"))
    steps = 4
    grid = [(round(bottom - (bottom - top) * step / steps, 1), scale_top * step // steps) for step in range(steps + 1)]
    return BarChart(title, width, height, left, bottom, bars, labels, grid, [(label, color) for _key, label, color in series])


def _nice_ceiling(value: int) -> int:
    """A round axis top at or above `value` that divides into four whole, round steps."""
    if value <= 4:
        return 4
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for factor in (1, 2, 2.5, 3, 4, 5, 10):
        step = factor * magnitude
        if step >= raw_step and step == int(step):
            return int(step) * 4
    return int(10 * magnitude) * 4


def _requested_period() -> tuple[int, str | None]:
    period = resolve_period(request.args.get("fiscal_year", ""), request.args.get("month"))
    return period.fiscal_year, period.month


def _collect(fiscal_year: int, month: str | None) -> ReachReport:
    with get_database().session() as session:
        return collect_report(session, fiscal_year, month=month, staff_count=get_config().staff_count)


def _year_choices(selected: int) -> list[int]:
    current = resolve_period().fiscal_year
    with get_database().session() as session:
        plan_years = set(session.scalars(select(Plan.fiscal_year).distinct()))
    return sorted({*range(current - YEARS_BACK, current + 1), *plan_years, selected}, reverse=True)


@blueprint.get("/reach")
def reach() -> str:
    fiscal_year, month = _requested_period()
    report = _collect(fiscal_year, month)
    totals = report.totals
    cards = [{"key": key, "label": FIGURE_HEADINGS[key], "value": getattr(totals, key)} for key in CARD_KEYS]
    yearly = report if month is None else _collect(fiscal_year, None)
    return render_template(
        "admin/reach.html",
        report=report,
        cards=cards,
        indicators=[_indicator_view(indicator) for indicator in report.indicators],
        charts=[bar_chart(yearly, ACTIVITY_SERIES, "คำถาม คำตอบ และการเปิดอ่านบทความ รายเดือน"),
                bar_chart(yearly, USER_SERIES, "จำนวนผู้ใช้งานรายเดือน (คน)")],
        fiscal_year=fiscal_year,
        month=month,
        years=_year_choices(fiscal_year),
        months=[(fiscal_month_label(*pair), format_thai_month(*pair, "arabic")) for pair in fiscal_months(fiscal_year)],
        generated=format_thai_datetime(report.generated_at, "arabic"),
        staff_reached_percent=report.staff_reached_percent,
    )


def _indicator_view(indicator: Indicator) -> dict[str, object]:
    share = None
    if indicator.target and indicator.value is not None:
        share = max(0.0, min(100.0, 100.0 * indicator.value / indicator.target))
    return {
        "name": indicator.name,
        "value": _amount(indicator.value, indicator.unit),
        "target": None if indicator.target is None else _amount(indicator.target, indicator.unit),
        "met": indicator.met,
        "share": share,
        "note": indicator.note,
        "target_source": indicator.target_source,
    }


def _amount(value: int | float | None, unit: str) -> str | None:
    """"ร้อยละ 80" (Thai puts this unit first) or "12 ครั้ง"; None when there is nothing to show."""
    if value is None:
        return None
    number = f"{value:,g}"
    return f"{unit} {number}" if unit == "ร้อยละ" else f"{number} {unit}"


@blueprint.get("/reach/export/<format_name>")
def reach_export(format_name: str) -> Response:
    if format_name not in EXPORT_TYPES:
        abort(404)
    fiscal_year, month = _requested_period()
    report = _collect(fiscal_year, month)
    data = render(report, format_name)
    file_name = f"kmbot-reach-{month or fiscal_year}.{format_name}"
    return Response(data, mimetype=EXPORT_TYPES[format_name],
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})
