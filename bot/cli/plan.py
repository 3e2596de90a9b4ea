"""`kmbot plan import|list|set-dates|done|reopen`: the KM action plan from the terminal."""

from __future__ import annotations

import json
import re
import calendar as calendar_module
from datetime import date
from pathlib import Path
from typing import Any

import click
from pythainlp.util import thai_digit_to_arabic_digit
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.cli.output import print_rows
from bot.core.calendar import (
    THAI_ABBREVIATED_MONTHS,
    THAI_FULL_MONTHS,
    format_thai_date,
    to_bangkok,
    to_common_era_year,
)
from bot.web.extensions import get_database
from kb.plan_document import PlanFormatError, read_plan_file
from kb.plan_store import (
    activity_dates_thai,
    activity_label,
    mark_activity_done,
    refresh_plan_article,
    save_plan_reading,
    set_activity_dates,
)
from kb.tables import Activity, Plan


def activity_row(activity: Activity) -> dict[str, Any]:
    """One activity as `plan list --json` prints it (SPEC's fields first, extra fields after)."""
    plan = activity.plan
    return {
        "id": activity.id,
        "plan": plan.number,
        "number": activity.number,
        "step": activity.step,
        "name": activity.name,
        "period_text": activity.period_text,
        "start": activity.start.isoformat() if activity.start else None,
        "deadline": activity.deadline.isoformat() if activity.deadline else None,
        "open_ended": bool(activity.open_ended),
        "status": activity.status,
        "warnings": list(activity.warnings or []),
        "fiscal_year": plan.fiscal_year,
        "start_thai": format_thai_date(activity.start) if activity.start else None,
        "deadline_thai": format_thai_date(activity.deadline) if activity.deadline else None,
        "dates_set_by_hand": bool(activity.dates_set_by_hand),
        "done_at": to_bangkok(activity.done_at).isoformat() if activity.done_at else None,
        "evidence_note": activity.evidence_note,
    }


def _flags(activity: Activity) -> str:
    flags = []
    if activity.open_ended:
        flags.append("open-ended")
    if activity.dates_set_by_hand:
        flags.append("dates set by hand")
    if activity.status == "done":
        flags.append("done")
    if activity.warnings:
        flags.append(f"{len(activity.warnings)} warning(s)")
    return ", ".join(flags)


def print_activities(activities: list[Activity]) -> None:
    """Two lines an activity: the ASCII columns first and Thai text last, so columns stay aligned
    in any terminal (Thai vowel and tone marks take no width of their own)."""
    current_plan = None
    for activity in activities:
        plan = activity.plan
        if (plan.fiscal_year, plan.number) != current_plan:
            current_plan = (plan.fiscal_year, plan.number)
            click.echo(f"\nplan {plan.number}, fiscal year {plan.fiscal_year}: {plan.knowledge_topic}")
        if activity.deadline is None:
            dates = (f"NO DATES (ยังไม่มีวันที่ จึงยังไม่แจ้งเตือน): no reminders until set with "
                     f"`kmbot plan set-dates {activity.id} START DEADLINE`")
        else:
            start = activity.start.isoformat() if activity.start else "?"
            dates = f"{start} .. {activity.deadline.isoformat()}  ({activity_dates_thai(activity)})"
        flags = _flags(activity)
        click.echo(f"  #{activity.id:<4} {activity.step or '?':6} {activity.name}")
        click.echo(f"         period “{activity.period_text}” -> {dates}" + (f"  [{flags}]" if flags else ""))


def _activities(session: Session, plan_ids: list[int] | None = None, fiscal_year: int | None = None) -> list[Activity]:
    query = select(Activity).join(Plan).options(selectinload(Activity.plan))
    if plan_ids is not None:
        query = query.where(Activity.plan_id.in_(plan_ids))
    if fiscal_year is not None:
        query = query.where(Plan.fiscal_year == fiscal_year)
    return list(session.scalars(query.order_by(Plan.fiscal_year, Plan.number, Activity.position)))


def _activity_or_fail(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise click.ClickException(f"no activity {activity_id}: see `kmbot plan list`")
    return activity


@click.group("plan")
def plan_group() -> None:
    """The KM action plan: import it, list its activities, set dates, mark activities done."""


@plan_group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--fiscal-year", type=int, default=None, help="BE fiscal year for a plan whose file does not state one.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary, the activities and the warnings as JSON.")
@with_appcontext
def plan_import_command(path: Path, fiscal_year: int | None, as_json: bool) -> None:
    """Read the plan's activity tables (the plan document as .txt/.md, or the CSV/YAML template).

    Re-importing updates the activities and keeps their status and hand-set dates. A period
    that cannot be read is listed with its table and row and gets no reminders until its
    dates are set with `kmbot plan set-dates`.
    """
    try:
        reading = read_plan_file(path)
    except PlanFormatError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"{path}: cannot read the file ({error.strerror or error})") from None
    if not reading.activities:
        # Nothing useful happened: say so, and exit non-zero so a script notices.
        raise click.ClickException(
            f"ไม่พบตารางกิจกรรมของแผน KM ในไฟล์ {path} จึงไม่ได้บันทึกอะไร / "
            f"{path}: no KM plan activity table was found; nothing was saved"
        )
    with get_database().session() as session:
        summary = save_plan_reading(session, reading, fiscal_year=fiscal_year)
        activities = _activities(session, list(summary.plan_ids))
        rows = [activity_row(activity) for activity in activities]
    if as_json:
        click.echo(json.dumps({**summary.as_dict(), "activities": rows}, ensure_ascii=False, indent=2))
        return
    click.echo(f"KM plan activities read from {path}:")
    print_activities(activities)
    click.echo("")
    click.echo(
        f"saved: {summary.plans_created + summary.plans_updated} plan(s) "
        f"({summary.plans_created} new, {summary.plans_updated} updated), "
        f"{summary.activities_created + summary.activities_updated} activities "
        f"({summary.activities_created} new, {summary.activities_updated} updated, {summary.activities_removed} removed"
        + (f", {summary.kept_hand_set_dates} kept their hand-set dates" if summary.kept_hand_set_dates else "")
        + ")"
    )
    unreadable = [row for row in rows if row["deadline"] is None]
    if unreadable:
        click.echo(f"{len(unreadable)} activit{'y has' if len(unreadable) == 1 else 'ies have'} no dates and get no reminders until set: "
                   + ", ".join(f"#{row['id']} (plan {row['plan']} {row['step']})" for row in unreadable))
    if summary.warnings:
        click.echo(f"\nwarnings ({len(summary.warnings)}):")
        for warning in summary.warnings:
            click.echo(f"  - {warning}")


@plan_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--fiscal-year", type=int, default=None, help="Only this BE fiscal year.")
@with_appcontext
def plan_list_command(as_json: bool, fiscal_year: int | None) -> None:
    """Every imported activity with its start and deadline (ISO and Thai) and status."""
    with get_database().session() as session:
        activities = _activities(session, fiscal_year=fiscal_year)
        rows = [activity_row(activity) for activity in activities]
    if as_json:
        print_rows(rows, [], as_json=True)
        return
    if not activities:
        click.echo("no plan imported yet: see `kmbot plan import PATH`")
        return
    print_activities(activities)


# Month names as people type them: "มิถุนายน", "มิ.ย.", "มิย", also "June" and "Jun".
def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for number, (full, short) in enumerate(zip(THAI_FULL_MONTHS, THAI_ABBREVIATED_MONTHS), start=1):
        for name in (full, short, short.replace(".", ""), calendar_module.month_name[number], calendar_module.month_abbr[number]):
            names[name.lower()] = number
    return names


MONTH_NAMES = _month_names()
BAD_DATE = (
    "{text!r} ไม่ใช่วันที่ที่อ่านได้ / is not a date: write 2024-06-30, 2567-06-30, 30/6/2567 or 30 มิ.ย. 2567"
)


def _parse_day(text: str, name: str) -> date:
    """A day typed by the secretary: ISO (CE or BE year), day/month/year, or day, Thai month, year.

    Thai digits are read too; a year of 2400 or more is a BE year (2567 is 2024)."""
    plain = thai_digit_to_arabic_digit(" ".join(text.split()))
    numbers: tuple[int, int, int] | None = None
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", plain):
        year, month, day = (int(part) for part in match.groups())
        numbers = (year, month, day)
    elif match := re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", plain):
        day, month, year = (int(part) for part in match.groups())
        numbers = (year, month, day)
    elif match := re.fullmatch(r"(\d{1,2})\s*([^\d\s]+?)\s*(?:พ\.?ศ\.?\s*)?(\d{4})", plain):
        month_number = MONTH_NAMES.get(match.group(2).lower()) or MONTH_NAMES.get(match.group(2).replace(".", "").lower())
        if month_number is not None:
            numbers = (int(match.group(3)), month_number, int(match.group(1)))
    if numbers is None:
        raise click.BadParameter(BAD_DATE.format(text=text), param_hint=name)
    year, month, day = numbers
    # Thai offices often write BE years; 2567-06-30 is unambiguous, so it is read as 2024-06-30.
    if year >= 2400:
        year = to_common_era_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise click.BadParameter(f"{text!r} ไม่มีวันนี้ในปฏิทิน / is not a real date", param_hint=name) from None


@plan_group.command("set-dates")
@click.argument("activity_id", type=int)
@click.argument("start")
@click.argument("deadline")
@with_appcontext
def plan_set_dates_command(activity_id: int, start: str, deadline: str) -> None:
    """Set an activity's START and DEADLINE (2024-06-30, 2567-06-30, 30/6/2567 or "30 มิ.ย. 2567"); a later import keeps them."""
    start_day, deadline_day = _parse_day(start, "START"), _parse_day(deadline, "DEADLINE")
    if start_day > deadline_day:
        raise click.BadParameter("วันเริ่มอยู่หลังวันครบกำหนด / START is after DEADLINE", param_hint="START")
    with get_database().session() as session:
        activity = _activity_or_fail(session, activity_id)
        set_activity_dates(session, activity, start_day, deadline_day)
        label, dates = activity_label(activity), activity_dates_thai(activity)
    click.echo(f"activity {activity_id} ({label}): {start_day.isoformat()} .. {deadline_day.isoformat()} ({dates})")


@plan_group.command("done")
@click.argument("activity_id", type=int)
@click.option("--note", default=None, help="The evidence: what was done, where the document is.")
@with_appcontext
def plan_done_command(activity_id: int, note: str | None) -> None:
    """Mark an activity done (its later reminders are cancelled)."""
    with get_database().session() as session:
        activity = _activity_or_fail(session, activity_id)
        label = activity_label(activity)
        if activity.status == "done":
            click.echo(f"activity {activity_id} ({label}) was already marked done at {to_bangkok(activity.done_at).isoformat() if activity.done_at else '?'}")
            return
        mark_activity_done(session, activity, user_id=None, note=note)
        done_at = to_bangkok(activity.done_at).isoformat() if activity.done_at else ""
    click.echo(f"activity {activity_id} ({label}) marked done at {done_at}")


@plan_group.command("reopen")
@click.argument("activity_id", type=int)
@with_appcontext
def plan_reopen_command(activity_id: int) -> None:
    """Undo a mistaken "done": the activity is pending again and its future reminders resume."""
    with get_database().session() as session:
        activity = _activity_or_fail(session, activity_id)
        activity.status = "pending"
        activity.done_at = None
        activity.done_by_user_id = None
        activity.evidence_note = None
        session.flush()
        refresh_plan_article(session, activity.plan)
        label = activity_label(activity)
    click.echo(f"activity {activity_id} ({label}) is pending again")
