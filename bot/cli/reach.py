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

from bot.core.calendar import (
    fiscal_year_of,
    format_thai_datetime,
    now,
    parse_be_month,
    today,
)
from bot.core.people import DEFAULT_INVITE_DAYS, create_invitation, forget_user
from bot.core.tables import ROLES, InteractionEvent, User
from bot.web.extensions import get_config, get_database

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
    from bot.reach.export import BINARY_FORMATS, FILE_SUFFIXES, print_table, render
    from bot.reach.queries import collect_report

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
