"""The reach dashboard: a fiscal year's figures per month, the plan's indicators, and downloads.

The numbers come from `bot.reach.queries.collect_report` and the files from `bot.reach.export`,
so the page, the CLI and the LINE /stats command always agree. The charts are drawn by the
export's matplotlib code (`month_chart_svg`, the same bars as the PNG) and inlined as SVG: no
script, and they print and scale like the rest of the page.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, render_template, request
from markupsafe import Markup
from sqlalchemy import select

from bot.core.calendar import (
    fiscal_month_label,
    fiscal_months,
    format_thai_datetime,
    format_thai_month,
    now,
    resolve_period,
)
from bot.core.people import masked_id
from bot.core.tables import ChatGroup
from bot.reach.export import (
    CHART_SERIES,
    CHART_TITLE,
    USER_CHART_TITLE,
    USER_SERIES,
    month_chart_svg,
    render,
)
from bot.reach.figures import FIGURE_HEADINGS, Indicator, ReachReport
from bot.reach.queries import collect_report
from bot.web.admin import blueprint
from bot.web.extensions import get_config, get_database
from kb.tables import Plan
from scheduler.deliveries import undelivered_pushes

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "json": "application/json; charset=utf-8",
}
YEARS_BACK = 4
# Pushes older than this that never arrived are history, not something to act on.
UNDELIVERED_LOOKBACK = timedelta(days=31)
# Figures shown as cards at the top, in this order.
CARD_KEYS = ("questions", "answered", "distinct_users", "article_views", "feedback_helpful", "feedback_unhelpful",
             "pushes", "survey_responses")


def _requested_period() -> tuple[int, str | None]:
    period = resolve_period(request.args.get("fiscal_year", ""), request.args.get("month"))
    return period.fiscal_year, period.month


def _collect(fiscal_year: int, month: str | None) -> ReachReport:
    with get_database().session() as session:
        config = get_config()
        return collect_report(session, fiscal_year, month=month, staff_count=config.staff_count,
                              declared_channels=config.reach_channels, organisation=config.organisation_title)


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
        undelivered=_undelivered(),
        report=report,
        cards=cards,
        indicators=[_indicator_view(indicator) for indicator in report.indicators],
        charts=[_chart(yearly, CHART_SERIES, CHART_TITLE, fiscal_year), _chart(yearly, USER_SERIES, USER_CHART_TITLE, fiscal_year)],
        fiscal_year=fiscal_year,
        month=month,
        years=_year_choices(fiscal_year),
        months=[(fiscal_month_label(*pair), format_thai_month(*pair, "arabic")) for pair in fiscal_months(fiscal_year)],
        generated=format_thai_datetime(report.generated_at, "arabic"),
        staff_reached_percent=report.staff_reached_percent,
    )


def _undelivered() -> list[dict[str, object]]:
    """The last month's pushes that have not reached their group, each with its group's name."""
    with get_database().session() as session:
        pushes = undelivered_pushes(session, now() - UNDELIVERED_LOOKBACK)
        names = dict(session.execute(
            select(ChatGroup.id, ChatGroup.name).where(ChatGroup.id.in_({push.group_id for push in pushes if push.group_id}))
        ).all())
    return [
        {"what": push.purpose_label, "to": names.get(push.group_id) or masked_id(push.recipient),
         "when": format_thai_datetime(push.claimed_at, "arabic"), "reason": push.reason, "state": push.state}
        for push in pushes
    ]


def _chart(report: ReachReport, series: tuple[tuple[str, str, str], ...], title: str, fiscal_year: int) -> dict[str, object]:
    """A month chart drawn by the export's matplotlib code, inlined as SVG."""
    return {"title": title, "svg": Markup(month_chart_svg(report, series, label=f"{title} ปีงบประมาณ {fiscal_year}"))}


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
        "rule": indicator.rule,
        "events": indicator.events,
        "measured": indicator.measured,
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
