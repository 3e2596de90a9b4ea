"""`kmbot reach report`, and the people commands that go with the reach log:
`kmbot users invite ROLE` (a one-time registration code) and `kmbot users forget USER_ID` (PDPA).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.extensions import get_config, get_database
from bot.models import ROLES, InteractionEvent, User
from bot.registration_models import DEFAULT_INVITE_DAYS, create_invitation
from scheduler.clock import fiscal_year_of, format_thai_datetime, now, parse_be_month, today


# --- reach report ------------------------------------------------------------------------------


@click.group("reach")
def reach_group() -> None:
    """Reach of the KM plan: engagement figures as indicator evidence."""


@reach_group.command("report")
@click.option("--fiscal-year", type=int, default=None, help="Thai fiscal year in BE, e.g. 2567 (default: the current one).")
@click.option("--month", default=None, help="One month, BE year and month, e.g. 2567-03.")
@click.option("--format", "format_name", type=click.Choice(["table", "csv", "xlsx", "json", "png"]), default="table", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="File to write (xlsx and png go to reach-<year>[-<month>].<ext> when not given).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@with_appcontext
def reach_report_command(fiscal_year: int | None, month: str | None, format_name: str, out_path: Path | None, as_json: bool) -> None:
    """Questions, answers, readers, pushes, satisfaction and the plan's indicators, by fiscal month."""
    from bot.reach_export import BINARY_FORMATS, FILE_SUFFIXES, print_table, render
    from bot.reach_report import collect_report

    if as_json:
        format_name = "json"
    try:
        fiscal_year, month_label = _report_period(fiscal_year, month)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    started = time.perf_counter()
    _progress(f"กำลังสรุปข้อมูล ปีงบประมาณ {fiscal_year}{' เดือน ' + month_label if month_label else ''} …")
    config = get_config()
    with get_database().session() as session:
        try:
            report = collect_report(session, fiscal_year, month_label, staff_count=config.staff_count)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    _progress(f"สรุปข้อมูลเสร็จใน {time.perf_counter() - started:.2f} วินาที")

    if format_name == "table" and out_path is None:
        print_table(report)
        return
    if out_path is None and format_name in BINARY_FORMATS:
        out_path = Path(f"reach-{fiscal_year}{'-' + month_label if month_label else ''}{FILE_SUFFIXES[format_name]}")
    if format_name in BINARY_FORMATS:
        _progress(f"กำลังสร้างไฟล์ {format_name.upper()} …")
    content = render(report, format_name)
    if out_path is None:
        stdout = click.get_binary_stream("stdout")
        stdout.write(content)
        stdout.flush()
        return
    out_path.write_bytes(content)
    click.echo(f"wrote {out_path} ({len(content):,} bytes)")


def _report_period(fiscal_year: int | None, month: str | None) -> tuple[int, str | None]:
    """The fiscal year and BE month label asked for; a month alone implies its fiscal year."""
    if month is not None:
        year, month_number = parse_be_month(month)
        month_label = f"{year + 543:04d}-{month_number:02d}"
        month_fiscal_year = fiscal_year_of(datetime(year, month_number, 1).date())
        if fiscal_year is not None and fiscal_year != month_fiscal_year:
            raise ValueError(f"เดือน {month_label} อยู่ในปีงบประมาณ {month_fiscal_year} ไม่ใช่ {fiscal_year}")
        return month_fiscal_year, month_label
    if fiscal_year is None:
        return fiscal_year_of(today()), None
    if fiscal_year < 2400:
        raise ValueError(f"ปีงบประมาณต้องเป็น พ.ศ. เช่น 2567 (ได้ {fiscal_year})")
    return fiscal_year, None


def _progress(message: str) -> None:
    click.echo(message, err=True)


# --- registration codes ---------------------------------------------------------------------


@click.command("invite")
@click.argument("role", type=click.Choice([role for role in ROLES if role != "staff"]))
@click.option("--days", type=click.IntRange(1, 90), default=DEFAULT_INVITE_DAYS, show_default=True, help="Days the code stays valid.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def users_invite_command(role: str, days: int, as_json: bool) -> None:
    """Make a one-time code that gives ROLE to whoever sends it to the bot."""
    with get_database().session() as session:
        invitation = create_invitation(session, role, days=days)
    if as_json:
        click.echo(json.dumps({"code": invitation.code, "role": role, "expires_at": invitation.expires_at.isoformat()}, ensure_ascii=False))
        return
    click.echo(f"registration code for {role}: {invitation.code}")
    click.echo(f"valid once, until {format_thai_datetime(invitation.expires_at, 'arabic')} ({invitation.expires_at.isoformat()})")
    click.echo("the person sends this code to the bot in a 1:1 chat to get the role")


# --- forgetting a person ------------------------------------------------------------------------


def forget_user(session: Session, user: User, at: datetime) -> int:
    """Remove what identifies a person and keep the anonymous counts; returns comments removed.

    The row stays (its id keeps the person counted once in past reports); the LINE id goes,
    the role falls back to staff, and survey comments, the only free text kept per person,
    are dropped from their events.
    """
    user.line_user_id = None
    user.role = "staff"
    user.following = False
    user.forgotten_at = at
    removed = 0
    events = session.scalars(
        select(InteractionEvent).where(InteractionEvent.user_id == user.id, InteractionEvent.kind == "survey_answer")
    )
    for event in events:
        if event.detail and "comment" in event.detail:
            event.detail = {key: value for key, value in event.detail.items() if key != "comment"}
            removed += 1
    return removed


@click.command("forget")
@click.argument("user_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def users_forget_command(user_id: str, as_json: bool) -> None:
    """PDPA: remove the LINE user USER_ID's identity, keeping only anonymous counts."""
    with get_database().session() as session:
        user = session.scalars(select(User).where(User.line_user_id == user_id)).one_or_none()
        if user is None:
            raise click.ClickException("no such LINE user is known (already forgotten, or never seen)")
        comments = forget_user(session, user, now())
        row_id = user.id
    if as_json:
        click.echo(json.dumps({"forgotten": True, "user": row_id, "comments_removed": comments}))
        return
    click.echo(f"forgotten: the LINE id is removed (anonymous user #{row_id} keeps its counts; {comments} survey comment(s) removed)")
