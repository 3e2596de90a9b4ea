"""`kmbot report year|memo|register|pack`: the year's documents for the executive and the assessor."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from bot.core.calendar import resolve_period
from bot.web.extensions import get_config, get_database

DIGITS = click.Choice(["thai", "arabic"])


@click.group("report")
def report_group() -> None:
    """The year-end KM report, memo, progress register and audit pack."""


def _year_data(fiscal_year: int | None):  # type: ignore[no-untyped-def]
    from bot.reach.year_report import NoPlanForYear, collect_year

    from bot.reach.register import fiscal_years_with_plans

    config = get_config()
    with get_database().session() as session:
        # No year given: the current one, or the latest with a plan when the current has none.
        available = None if fiscal_year is not None else fiscal_years_with_plans(session)
        year = resolve_period(fiscal_year, None, available=available, strict=True).fiscal_year
        try:
            return collect_year(session, year, organisation=config.organisation_name, staff_count=config.staff_count,
                                declared_channels=config.reach_channels)
        except NoPlanForYear as error:
            raise click.ClickException(str(error)) from None


def _written(out_path: Path, content: bytes, as_json: bool, **extra: object) -> None:
    out_path.write_bytes(content)
    if as_json:
        click.echo(json.dumps({"file": str(out_path), "bytes": len(content), **extra}, ensure_ascii=False))
    else:
        click.echo(f"wrote {out_path} ({len(content):,} bytes)")


_FISCAL_YEAR = click.option("--fiscal-year", type=int, default=None, help="Thai fiscal year in BE, e.g. 2567 (default: the current one).")
_DIGITS = click.option("--digits", type=DIGITS, default="thai", show_default=True, help="Numerals in the Word documents.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")


@report_group.command("year")
@_FISCAL_YEAR
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: km-report-<year>.docx")
@_DIGITS
@_JSON
@with_appcontext
def report_year_command(fiscal_year: int | None, out_path: Path | None, digits: str, as_json: bool) -> None:
    """The year-end KM report (Word): plans, activities and evidence, indicators, survey, gaps, charts."""
    from bot.reach.year_report import SECTIONS, build_report_docx

    data = _year_data(fiscal_year)
    content = build_report_docx(data, digits=digits)  # type: ignore[arg-type]
    _written(out_path or Path(f"km-report-{data.fiscal_year}.docx"), content, as_json,
             fiscal_year=data.fiscal_year, sections=list(SECTIONS), activities=data.activities,
             done=data.register.done_count, evidence_files=data.register.evidence_count)


@report_group.command("memo")
@_FISCAL_YEAR
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: km-memo-<year>.docx")
@click.option("--to", "addressee", default=None, help="เรียน: who the memo is addressed to.")
@_DIGITS
@_JSON
@with_appcontext
def report_memo_command(fiscal_year: int | None, out_path: Path | None, addressee: str | None, digits: str, as_json: bool) -> None:
    """The draft บันทึกข้อความ reporting the year to the executive (Word)."""
    from bot.reach.year_report import DEFAULT_ADDRESSEE, build_memo_docx

    data = _year_data(fiscal_year)
    content = build_memo_docx(data, digits=digits, addressee=addressee or DEFAULT_ADDRESSEE)  # type: ignore[arg-type]
    _written(out_path or Path(f"km-memo-{data.fiscal_year}.docx"), content, as_json, fiscal_year=data.fiscal_year)


@report_group.command("register")
@_FISCAL_YEAR
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: km-register-<year>.xlsx")
@_JSON
@with_appcontext
def report_register_command(fiscal_year: int | None, out_path: Path | None, as_json: bool) -> None:
    """The progress and evidence register (XLSX): the monitoring record of every activity."""
    from bot.reach.register import to_xlsx

    data = _year_data(fiscal_year)
    _written(out_path or Path(f"km-register-{data.fiscal_year}.xlsx"), to_xlsx(data.register), as_json,
             fiscal_year=data.fiscal_year, activities=data.activities)


@report_group.command("pack")
@_FISCAL_YEAR
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: km-pack-<year>.zip")
@_DIGITS
@_JSON
@with_appcontext
def report_pack_command(fiscal_year: int | None, out_path: Path | None, digits: str, as_json: bool) -> None:
    """The audit pack (ZIP): report, memo, register, reach files, survey and every evidence file, with a SHA-256 manifest."""
    from bot.reach.pack import build_pack
    from kb.evidence import evidence_folder

    data = _year_data(fiscal_year)
    out_path = out_path or Path(f"km-pack-{data.fiscal_year}.zip")
    with out_path.open("wb") as stream:
        summary = build_pack(data, evidence_folder(get_config()), stream, digits=digits)  # type: ignore[arg-type]
    size = out_path.stat().st_size
    if as_json:
        click.echo(json.dumps({"file": str(out_path), "bytes": size, "fiscal_year": data.fiscal_year,
                               "files": len(summary.entries), "missing": summary.missing}, ensure_ascii=False))
        return
    click.echo(f"wrote {out_path} ({size:,} bytes, {len(summary.entries)} files)")
    for path in summary.missing:
        click.echo(f"missing evidence file: {path}", err=True)
